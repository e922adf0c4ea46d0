// P12's cross-inspection round in the browser: the office sees the round the rules generated
// (no rule broken, every unit by another area's team); the inspector of 蒲山镇's team records
// the score of the unit assigned to it on a 360 px phone, and the round shows it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test('a generated round keeps the rules and an inspector scores on a phone', async () => {
  const office = await contextAt(browser, demo.base);
  const o = await office.newPage();
  await signIn(o, demo, 'office');
  await o.goto('/inspections');
  await submit(o, '#insp-table a');
  assert.equal(await o.locator('#insp-problems').count(), 0, 'the generated round breaks no rule');
  const rows = o.locator('#insp-assignments tbody tr');
  assert.equal(await rows.count(), 8);
  for (let i = 0; i < 8; i++) {
    const team = await rows.nth(i).getAttribute('data-team');
    const unit = await rows.nth(i).getAttribute('data-unit');
    assert.notEqual(team, `JC-${unit}`, 'never the own unit');
  }
  await screenshot(o, 'inspection-round');

  const phone = await contextAt(browser, demo.base, 360);
  const p = await phone.newPage();
  await signIn(p, demo, 'inspector');
  await p.goto('/inspections/1');
  const unit = await p.inputValue('#is-unit');
  // The checklist's items; the score is their sum (18 + 17 + 26.5 + 14.5 + 15 = 91).
  for (const [item, score] of [['duty', '18'], ['ledger', '17'], ['sites', '26.5'], ['plans', '14.5'], ['training', '15']]) {
    await p.fill(`#is-item-${item}`, score);
  }
  await p.fill('#is-note', '现场检查隐患1处，已交办');
  await submit(p, '#insp-score button');
  assert.match(await p.textContent('#insp-done'), /得分已录入/);
  assert.match(await p.textContent(`#insp-assignments tr[data-unit="${unit}"]`), /91/);
  assert.ok((await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'fits the phone');
  await screenshot(p, 'inspection-score-360');

  // A major hazard with a photo taken on the phone: recorded, and a rectification task opened.
  await p.selectOption('#ih-unit', unit);
  await p.fill('#ih-location', '镇中心加油站卸油区');
  await p.selectOption('#ih-category', 'chemicals');
  await p.selectOption('#ih-severity', 'major');
  await p.fill('#ih-description', '卸油口防静电接地装置失效');
  await p.setInputFiles('#ih-file', { name: '现场.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') });
  await submit(p, '#insp-hazard button');
  assert.match(await p.textContent('#insp-done'), /隐患已记录/);
  const row = p.locator('#insp-hazards tbody tr', { hasText: '镇中心加油站卸油区' });
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /重大隐患/);
  assert.match(await row.textContent(), /现场\.png/);
  assert.match(await row.textContent(), /待整改/);
  assert.ok((await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'fits the phone');
  await screenshot(p, 'inspection-hazard-360');

  // The office sees the task among the rectifications, from the inspection.
  await o.goto('/rectifications?source=inspection');
  assert.match(await o.textContent('main'), /镇中心加油站卸油区/);
  await office.close();
  await phone.close();
});

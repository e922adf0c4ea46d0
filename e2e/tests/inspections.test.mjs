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
  await p.fill('#is-score', '91');
  await p.fill('#is-note', '现场检查隐患2处，已交办');
  await submit(p, '#insp-score button');
  assert.match(await p.textContent('#insp-done'), /得分已录入/);
  assert.match(await p.textContent(`#insp-assignments tr[data-unit="${unit}"]`), /91/);
  assert.ok((await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'fits the phone');
  await screenshot(p, 'inspection-score-360');
  await office.close();
  await phone.close();
});

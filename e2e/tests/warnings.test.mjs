// Early warnings: a submitted number that crosses a scheme's warning line shows on the
// dashboard and the office's home page at once, before anyone has reviewed it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test('a low mediation rate raises a red warning the moment it is submitted', async () => {
  const oc = await contextAt(browser, demo.base);
  const office = await oc.newPage();
  await signIn(office, demo, 'office');
  const before = Number(await office.textContent('#home-warnings'));
  await office.goto('/dashboard/wolong-2025/2025Q4');
  const qlyRows = office.locator('table.warnings tr', { hasText: '七里园街道' });
  assert.equal(await qlyRows.count(), 0, 'no warning for QLY yet');

  const rc = await contextAt(browser, demo.base);
  const rep = await rc.newPage();
  await signIn(rep, demo, 'qly_reporter');
  await rep.goto('/entry/QLY/2025Q4');
  await rep.fill('#v-mediation_cases', '40');
  await rep.fill('#v-mediation_agreements', '20');
  // A draft is not yet reported: no warning.
  await submit(rep, 'button[value=save]');
  await office.goto('/');
  assert.equal(Number(await office.textContent('#home-warnings')), before);
  await submit(rep, 'button[value=submit]');

  await office.goto('/');
  assert.equal(Number(await office.textContent('#home-warnings')), before + 1);
  await office.goto('/dashboard/wolong-2025/2025Q4');
  const row = office.locator('table.warnings tr', { hasText: '七里园街道' });
  assert.equal(await row.count(), 1);
  const text = await row.textContent();
  assert.match(text, /红色/);
  assert.match(text, /行政调解成功率偏低/);
  assert.match(text, /50 %/);
  await screenshot(office, 'warnings');
  await oc.close();
  await rc.close();
});

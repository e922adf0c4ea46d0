// The organisation page: the office merges a village from a day in November; the quarters
// before keep it (its report card names the successor), a change that breaks a scheme is shown
// with its place and changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test('the office merges a village from 15 November; Q2 keeps it with its successor named', async () => {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, 'office');
  // The dashboard lists who has not reported yet, by name, each linked to its form.
  await page.goto('/dashboard/wolong-2025/2025Q4');
  const missing = page.locator('#missing a[href="/entry/QLY/2025Q4"]');
  assert.equal(await missing.count(), 1);
  assert.match(await missing.textContent(), /七里园街道/);
  await page.click('nav >> text=组织机构');
  assert.equal(new URL(page.url()).pathname, '/units');
  const ranks = async (period) => page.evaluate(async (p) => {
    const r = await (await fetch(`/api/v1/results/wolong-2025/${p}`)).json();
    return r.classes.flatMap((c) => c.rows.map((x) => `${x.unit}:${x.rank}:${x.total}`));
  }, period);
  const q2 = await ranks('2025Q2');

  await page.click('#unit-QLY-C01 summary');
  await page.selectOption('#into-QLY-C01', 'QLY-C02');
  await page.fill('#eff-m-QLY-C01', '2025-11-15');
  await page.fill('#why-m-QLY-C01', '区划调整：并入王庄社区');
  await submit(page, '#merge-QLY-C01 button');
  assert.match(await page.textContent('#units-done'), /2025-11-15/);
  assert.match(await page.textContent('#units tr[data-unit="QLY-C01"]'), /自 2025-11-15 起并入 QLY-C02/);
  assert.deepEqual(await ranks('2025Q2'), q2);
  assert.ok(!(await ranks('2025Q4')).some((r) => r.startsWith('QLY-C01:')));

  // A class code that is not one: refused, saying which, nothing changed.
  await page.click('#unit-QLY-C02 summary');
  await page.fill('#class-QLY-C02', 'vill@ge');
  await page.fill('#eff-c-QLY-C02', '2025-10-01');
  await page.fill('#why-c-QLY-C02', '试改类别');
  await submit(page, '#change-QLY-C02 button');
  const refused = await page.textContent('#units-refused');
  assert.match(refused, /QLY-C02/);
  assert.match(refused, /vill@ge/);
  assert.match(await page.textContent('#units tr[data-unit="QLY-C02"]'), /village/);
  await screenshot(page, 'units');

  await page.goto('/report/wolong-2025/2025Q2/QLY-C01');
  assert.match(await page.textContent('#card-lineage'), /并入王庄社区/);
  await ctx.close();
});

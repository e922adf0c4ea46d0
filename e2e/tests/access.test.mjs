// A reporter cannot open another unit's form (a proper page, not an error dump); a value
// returned by the unit leader shows its reason to the reporter, on the home page and beside
// the field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test("another unit's form is a 403 page", async () => {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, 'qly_reporter');
  const r = await page.goto('/entry/LHE/2025Q4');
  assert.equal(r.status(), 403);
  assert.match(r.headers()['content-type'], /text\/html/);
  assert.equal((await page.textContent('h1')).trim(), '无权访问');
  assert.equal(await page.locator('header nav').count(), 1, 'the page keeps the site around it');
  await screenshot(page, 'forbidden');
  // Another unit's report card, too.
  const card = await page.goto('/report/wolong-2025/2025Q4/LHE');
  assert.equal(card.status(), 403);
  await ctx.close();
});

test('a returned value shows its reason to the reporter', async () => {
  const rep = await contextAt(browser, demo.base);
  const page = await rep.newPage();
  await signIn(page, demo, 'qly_reporter');
  await page.goto('/entry/QLY/2025Q4');
  // More agreements than cases: the scheme's error-level check stops the submission.
  await page.fill('#v-mediation_cases', '12');
  await page.fill('#v-mediation_agreements', '30');
  await submit(page, 'button[value=submit]');
  assert.match(await page.textContent('main'), /达成调解协议件数不能多于受理件数/);
  await page.goto('/entry/QLY/2025Q4');
  await page.fill('#v-mediation_cases', '400');
  await page.fill('#v-mediation_agreements', '30');
  await submit(page, 'button[value=submit]');
  assert.match(await page.textContent('#entry-message'), /已提交/);

  const leadCtx = await contextAt(browser, demo.base);
  const lead = await leadCtx.newPage();
  await signIn(lead, demo, 'qly_leader');
  // The queue filters by state: nothing submitted is "approved" yet.
  await lead.goto('/review?state=approved');
  assert.equal(await lead.locator('#review-empty').count(), 1);
  await lead.goto('/review?state=submitted');
  assert.equal(await lead.locator('input[name=pick]').count(), 2);
  // 400 cases against 35, 48 and 53 before is flagged for a second look; 30 agreements is not.
  const cases = lead.locator('li.rcard', { has: lead.locator('input[value^="QLY|mediation_cases|"]') });
  assert.match(await cases.textContent(), /异常值[^]*往期中位数 48/);
  const agreements = lead.locator('li.rcard', { has: lead.locator('input[value^="QLY|mediation_agreements|"]') });
  assert.doesNotMatch(await agreements.textContent(), /异常值/);
  await lead.goto('/review?element=mediation_agreements');
  await lead.locator('input[name=pick]').first().check();
  // Returning needs a reason: the queue comes back with the problem on top, the tick kept.
  await lead.click('#review-bar summary');
  await submit(lead, 'button[value=return]');
  assert.match(await lead.textContent('#review-problem'), /退回必须填写原因/);
  assert.equal(await lead.locator('input[name=pick]').first().isChecked(), true);
  await lead.fill('#reason', '协议件数不能多于受理件数，请核对台账');
  await submit(lead, 'button[value=return]');
  assert.match(await lead.textContent('#review-message'), /已退回 1 条/);

  await page.goto('/');
  const home = await page.locator('section.cards').textContent();
  assert.match(home, /协议件数不能多于受理件数，请核对台账/);
  await page.goto('/entry/QLY/2025Q4');
  assert.match(await page.textContent('#r-mediation_agreements'), /协议件数不能多于受理件数/);
  assert.equal((await page.textContent('#s-mediation_agreements')).trim(), '已退回');
  assert.equal(await page.getAttribute('#v-mediation_agreements', 'readonly'), null, 'editable again');
  await screenshot(page, 'entry-returned');
  await rep.close();
  await leadCtx.close();
});

// Phone first: a street clerk enters and submits a quarter on a 360 px phone without
// scrolling past unrelated items (what is done is folded away, the save/submit bar stays in
// view, the checks between numbers answer as one types); a leader approves on a phone seeing
// everything needed to decide (one card per value: value, computed rate, target, last period,
// evidence, state) with select-all and a confirmation that says what approving does. Also at
// 1366 px. Screenshots of each are kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

const phone = () => browser.newContext({
  baseURL: demo.base, viewport: { width: 360, height: 740 }, locale: 'zh-CN', hasTouch: true, isMobile: true,
});
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
const inView = async (page, selector) => {
  const box = await page.locator(selector).boundingBox();
  const height = page.viewportSize().height;
  return box !== null && box.y >= 0 && box.y + box.height <= height;
};

test('a street clerk enters and submits the quarter on a phone', async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await signIn(page, demo, 'qly_reporter');
  await page.goto('/entry/QLY/2025Q4');
  assert.ok((await overflow(page)) <= 0, `scrolls sideways by ${await overflow(page)} px`);
  // Submit is in view at once, not eight screens down.
  assert.ok(await inView(page, '#entry-bar button[value=submit]'), 'the submit button is on the first screen');
  // What is counted already is folded away.
  assert.equal(await page.locator('#entry-done').getAttribute('open'), null);
  assert.equal(await page.locator('#v-certified_officers').isVisible(), false);
  // Counts of events reported only when they happen wait apart, folded too.
  assert.equal(await page.locator('#entry-optional').getAttribute('open'), null);
  assert.equal(await page.locator('#v-summons').isVisible(), false);
  assert.ok(await page.locator('#v-mediation_cases').isVisible());

  // 50 agreements of 40 cases: said beside the field while typing, before any save.
  await page.fill('#v-mediation_cases', '40');
  await page.fill('#v-mediation_agreements', '50');
  const live = page.locator('p.live-check:not([hidden])');
  await live.first().waitFor();
  assert.match(await live.first().textContent(), /数据之间不一致/);
  await screenshot(page, 'entry-check-360');
  // Corrected (in full-width digits, as a Chinese input method types them): the problem goes.
  await page.fill('#v-mediation_agreements', '３２');
  await page.waitForFunction(() => document.querySelectorAll('p.live-check:not([hidden])').length === 0);
  await submit(page, '#entry-bar button[value=save]');
  assert.match(await page.textContent('#entry-message'), /草稿已保存/);
  assert.equal(await page.inputValue('#v-mediation_agreements'), '32');

  // Evidence for the agreements, then submit.
  const dir = mkdtempSync(join(tmpdir(), 'jx-phone-'));
  const file = join(dir, '调解台账.pdf');
  writeFileSync(file, '%PDF-1.4\n% Q4 agreements\n');
  await page.setInputFiles('#f-mediation_agreements', file);
  await submit(page, 'form[action*="/evidence/mediation_agreements"] button');
  assert.ok(await inView(page, '#entry-bar button[value=submit]'));
  await submit(page, '#entry-bar button[value=submit]');
  assert.match(await page.textContent('#entry-message'), /已提交/);
  // Everything reported: the indicator is folded away with the rest.
  assert.equal(await page.locator('#v-mediation_cases').isVisible(), false);
  await screenshot(page, 'entry-submitted-360');
  await ctx.close();

  const wide = await contextAt(browser, demo.base, 1366);
  const desk = await wide.newPage();
  await signIn(desk, demo, 'qly_reporter');
  await desk.goto('/entry/QLY/2025Q4');
  await desk.click('#entry-done summary');
  assert.ok(await desk.locator('#v-mediation_cases').isVisible());
  await screenshot(desk, 'entry-1366');
  await wide.close();
});

test('a leader approves on a phone, seeing everything needed to decide', async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await signIn(page, demo, 'qly_leader');
  await page.goto('/review');
  assert.ok((await overflow(page)) <= 0, `scrolls sideways by ${await overflow(page)} px`);
  const cards = page.locator('li.rcard');
  assert.equal(await cards.count(), 2);
  const agreements = page.locator('li.rcard', { has: page.locator('input[value^="QLY|mediation_agreements|"]') });
  const text = await agreements.textContent();
  for (const shown of ['调解成功', '32', '80', '目标值', '上期值', '调解台账.pdf', '已提交']) {
    assert.ok(text.includes(shown), `the card shows ${shown}: ${text}`);
  }
  assert.ok(await inView(page, '#review-bar button[value=forward]'), 'the action bar is in view');

  // Select all (in place with JavaScript; the link itself ticks them without).
  await page.click('a[data-select="*"]');
  assert.equal(await page.locator('input[name=pick]:checked').count(), 2);
  assert.match(await page.textContent('#review-selected'), /已选 2 条/);
  const href = await page.getAttribute('a[data-select="*"]', 'href');
  const nojs = await browser.newContext({ baseURL: demo.base, javaScriptEnabled: false, storageState: await ctx.storageState() });
  const plain = await nojs.newPage();
  await plain.goto(href);
  assert.equal(await plain.locator('input[name=pick]:checked').count(), 2, 'the link ticks them without JavaScript');
  await nojs.close();
  await screenshot(page, 'review-360');

  // Approving says what it does first.
  await submit(page, '#review-bar button[value=forward]');
  assert.match(await page.textContent('#review-confirm'), /确认通过所选 2 条数据[^]*牵头部门核验/);
  assert.equal(await page.locator('input[name=pick]:checked').count(), 2, 'still ticked');
  await screenshot(page, 'review-confirm-360');
  await submit(page, '#review-confirm-yes');
  assert.match(await page.textContent('#review-message'), /已通过 2 条/);
  await ctx.close();

  // The lead department on a desktop: cards side by side, select this unit's.
  const wide = await contextAt(browser, demo.base, 1366);
  const desk = await wide.newPage();
  await signIn(desk, demo, 'sfj_reviewer');
  await desk.goto('/review');
  await desk.click('a[data-select="QLY"]');
  const mine = desk.locator('input[name=pick][data-unit="QLY"]');
  assert.equal(await desk.locator('input[name=pick][data-unit="QLY"]:checked').count(), await mine.count());
  await screenshot(desk, 'review-1366');
  await submit(desk, '#review-bar button[value=forward]');
  assert.match(await desk.textContent('#review-confirm'), /立即计分并影响正式排名/);
  await submit(desk, '#review-confirm-yes');
  assert.match(await desk.textContent('#review-message'), /已通过/);
  await wide.close();
});

test('the dashboard reads on a phone: charts with a title, a scale and labels a person can read', async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await signIn(page, demo, 'leader');
  await page.goto('/dashboard/wolong-2025/2025Q4');
  assert.ok((await overflow(page)) <= 0, `scrolls sideways by ${await overflow(page)} px`);
  const chart = page.locator('section.class svg.chart').first();
  // A visible title and the scale named (total, full marks), ticks from 0.
  assert.match(await chart.locator('text.ttl').textContent(), /总分排名/);
  const ticks = await chart.locator('text.val').allTextContents();
  assert.ok(ticks.includes('0') && ticks.some((t) => /总分（满分 \d+/.test(t)), ticks.join(' | '));
  // Unit names at least 10 px high on a 360 px screen.
  const label = await chart.locator('text.lbl').first().boundingBox();
  assert.ok(label.height >= 10, `labels are ${label.height} px high`);
  // What the columns mean: the rank change against the period before, on time by the deadline.
  assert.match(await page.textContent('#dashboard-legend'), /与上一期（2025年第三季度|与上一期（2025Q3/);
  assert.match(await page.textContent('#dashboard-legend'), /按期报送/);
  await screenshot(page, 'dashboard-360');
  await ctx.close();
  const wide = await contextAt(browser, demo.base, 1366);
  const desk = await wide.newPage();
  await signIn(desk, demo, 'leader');
  await desk.goto('/dashboard/wolong-2025/2025Q4');
  await screenshot(desk, 'dashboard-1366');
  await wide.close();
});

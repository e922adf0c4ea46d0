// The full cycle through the pages: the reporter enters and submits with evidence → the unit
// leader approves → the lead department verifies (the demo counts verified values at once) →
// the dashboard ranking changes → the report card explains the new score → the office
// publishes → the public page shows it.
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

async function as(user, width = 1280) {
  const ctx = await contextAt(browser, demo.base, width);
  const page = await ctx.newPage();
  await signIn(page, demo, user);
  return { ctx, page };
}

async function standing(page) {
  await page.goto('/dashboard/wolong-2025/2025Q4');
  const row = page.locator('tr[data-unit="QLY"]');
  return {
    rank: (await row.locator('td').first().textContent()).trim(),
    total: (await row.locator('td.total').textContent()).trim(),
  };
}

test('report, approve, verify, rank, explain, publish, see it in public', async () => {
  const office = await as('office');
  const incomplete = Number(await office.page.textContent('#incomplete-count'));
  assert.ok(incomplete > 0, 'QLY has not finished the fourth quarter');
  const before = await standing(office.page);
  await screenshot(office.page, 'dashboard-before');

  // The reporter fills in the two mediation figures left open by the demo.
  const rep = await as('qly_reporter');
  const todo = rep.page.locator('a[href="/entry/QLY/2025Q4"]');
  assert.equal(await todo.count(), 1, 'the open form is on the home page');
  await submit(rep.page, 'a[href="/entry/QLY/2025Q4"]');
  const form = rep.page;
  assert.equal(await form.locator('#v-mediation_cases').inputValue(), '');
  // A bad number is refused beside its field and nothing is saved.
  await form.fill('#v-mediation_cases', '四十');
  await form.fill('#v-mediation_agreements', '36');
  await submit(form, 'button[value=save]');
  assert.match(await form.textContent('#e-mediation_cases'), /不是数字/);
  assert.equal(await form.getAttribute('#v-mediation_cases', 'aria-invalid'), 'true');
  // The summary at the top is an error (red, not the success green), says nothing was
  // saved, and links to the field; what was typed is kept.
  const summary = form.locator('#entry-problems');
  assert.match(await summary.textContent(), /全部未保存/);
  assert.equal(await summary.getAttribute('class'), 'error-summary');
  assert.equal(await summary.locator('a').first().getAttribute('href'), '#v-mediation_cases');
  assert.equal(await form.locator('#v-mediation_cases').inputValue(), '四十');
  assert.equal(await form.locator('#entry-message').count(), 0);
  assert.equal((await form.textContent('#s-mediation_agreements')).trim(), '未填报', 'nothing was saved');
  // Impossible together (50 agreements of 40 cases): refused on save, beside the number,
  // before it could ever reach a reviewer; nothing saved.
  await form.fill('#v-mediation_cases', '40');
  await form.fill('#v-mediation_agreements', '50');
  await submit(form, 'button[value=save]');
  assert.match(await form.textContent('#e-mediation_agreements'), /不能多于受理件数/);
  assert.equal((await form.textContent('#s-mediation_cases')).trim(), '未填报', 'nothing was saved');
  await form.fill('#v-mediation_agreements', '36');
  // The rate is computed as the numbers are typed (with the scheme's formula, on the server).
  await form.fill('#v-mediation_cases', '40');
  await form.locator('#c-mediation_rate').filter({ hasText: '90' }).waitFor();
  await submit(form, 'button[value=save]');
  assert.match(await form.textContent('#entry-message'), /草稿已保存/);
  assert.equal((await form.textContent('#s-mediation_cases')).trim(), '草稿');
  // Evidence for the number of cases.
  const dir = mkdtempSync(join(tmpdir(), 'jixiao-evidence-'));
  const file = join(dir, '调解台账.pdf');
  writeFileSync(file, '%PDF-1.4\n% mediation register, 40 cases\n%%EOF\n');
  await form.setInputFiles('#f-mediation_cases', file);
  await submit(form, 'form.upload:has(#f-mediation_cases) button');
  assert.match(await form.textContent('#entry-message'), /佐证材料已上传/);
  assert.equal(await form.locator('a[href^="/api/v1/evidence/"]', { hasText: '调解台账.pdf' }).count(), 1);
  await screenshot(form, 'entry-filled');
  // The litigation figures the demo also left open: 12 concluded, 1 lost (inside its lines).
  await form.fill('#v-lit_concluded', '12');
  await form.fill('#v-lit_lost', '1');
  await submit(form, 'button[value=submit]');
  assert.match(await form.textContent('#entry-message'), /已提交/);
  assert.equal((await form.textContent('#s-mediation_cases')).trim(), '已提交');
  assert.equal((await form.textContent('#s-mediation_agreements')).trim(), '已提交');

  // The unit leader approves both at once.
  const lead = await as('qly_leader');
  assert.equal((await lead.page.textContent('#review-count')).trim(), '4');
  await lead.page.goto('/review');
  const picks = lead.page.locator('input[name=pick]');
  assert.equal(await picks.count(), 4);
  for (let i = 0; i < 4; i++) await picks.nth(i).check();
  await screenshot(lead.page, 'review-leader');
  await submit(lead.page, 'button[value=forward]');
  // A confirmation says what approving does before anything moves.
  assert.match(await lead.page.textContent('#review-confirm'), /确认通过所选 4 条数据[^]*牵头部门核验/);
  await submit(lead.page, '#review-confirm-yes');
  assert.match(await lead.page.textContent('#review-message'), /已通过 4 条/);
  assert.equal(await lead.page.locator('#review-empty').count(), 1);

  // The lead department (司法局) verifies; the demo counts verified values at once.
  const sfj = await as('sfj_reviewer');
  await sfj.page.goto('/review?unit=QLY');
  const mine = sfj.page.locator('input[name=pick][value^="QLY|mediation"]');
  assert.equal(await mine.count(), 2);
  await mine.nth(0).check();
  await mine.nth(1).check();
  await submit(sfj.page, 'button[value=forward]');
  assert.match(await sfj.page.textContent('#review-confirm'), /立即计分并影响正式排名/);
  await submit(sfj.page, '#review-confirm-yes');
  assert.match(await sfj.page.textContent('#review-message'), /已通过 2 条/);

  // The ranking moved: QLY's total is now scored with the mediation indicator.
  const after = await standing(office.page);
  assert.notEqual(after.total, before.total, `the total changed (${before.total} → ${after.total})`);
  await screenshot(office.page, 'dashboard-after');
  await office.page.goto('/');
  assert.equal(Number(await office.page.textContent('#incomplete-count')), incomplete - 1, 'QLY is complete now');

  // The report card explains the new score.
  await rep.page.goto('/report/wolong-2025/2025Q4/QLY');
  assert.equal((await rep.page.textContent('#card-total')).trim(), after.total);
  const ind = rep.page.locator('section.ind', { hasText: '行政调解成功率' });
  const text = await ind.textContent();
  assert.match(text, /行政调解受理件数[^]*40/);
  assert.match(text, /达成调解协议件数[^]*36/);
  assert.match(text, /90/);
  assert.equal(await ind.locator('a', { hasText: '调解台账.pdf' }).count(), 1, 'evidence on the card');
  assert.ok(await rep.page.locator('svg[role=img] title').count() >= 2, 'radar and trend charts');
  await screenshot(rep.page, 'report-card');

  // The office publishes the quarter; anyone can read it.
  await office.page.goto('/publish');
  const row = office.page.locator('tr', { has: office.page.locator('input[name=period][value="2025Q4"]') })
    .filter({ has: office.page.locator('input[name=scheme][value="wolong-2025"]') });
  await row.locator('input[name=reason]').fill('2025年第四季度考核结果公示');
  await submit(office.page, `tr:has(input[name=scheme][value="wolong-2025"]):has(input[name=period][value="2025Q4"]) button`);
  // First what goes public, then the confirmation.
  assert.match(await office.page.textContent('#publish-ready'), /对公众公开/);
  assert.equal(await office.page.inputValue('#confirm-reason'), '2025年第四季度考核结果公示');
  await screenshot(office.page, 'publish-confirm');
  await submit(office.page, '#publish-confirm button');
  assert.match(await office.page.textContent('#publish-message'), /已公示/);

  const anon = await browser.newContext({ baseURL: demo.base });
  const pub = await anon.newPage();
  await pub.goto('/public');
  await submit(pub, 'a[href^="/public/"]');
  const qly = pub.locator('tr', { hasText: '七里园街道' });
  assert.equal(await qly.count(), 1);
  assert.equal((await qly.locator('td').nth(2).textContent()).trim(), after.total);
  // The notice as a government portal shows it: who publishes, the publicity period, where
  // objections go, the revision in force.
  assert.match(await pub.textContent('#public-notice'), /绩效考核办公室/);
  assert.match(await pub.textContent('#public-period'), /\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}（7 天）/);
  assert.match(await pub.textContent('#public-objection'), /异议/);
  assert.match(await pub.textContent('#public-revision'), /现行有效/);
  // Every total with the scheme's two places (71.40, not 71.4).
  const totals = await pub.locator('section.class td.num').allTextContents();
  assert.ok(totals.length > 20);
  for (const t of totals) assert.match(t.trim(), /^\d+\.\d{2}$/);
  await screenshot(pub, 'public');
  for (const c of [office, rep, lead, sfj]) await c.ctx.close();
  await anon.close();
});

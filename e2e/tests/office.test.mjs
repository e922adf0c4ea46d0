// The office's pages and the workbooks: the audit log with its chain status, the scheme viewer
// and what-if, appeals from filing to a re-publication, and Excel in and out (the data-entry
// template filled in and uploaded; tables downloaded).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

async function as(user) {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, user);
  return { ctx, page };
}

/** Follows a download link; returns the workbook. */
async function workbook(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(await download.path());
  return { wb, name: download.suggestedFilename() };
}

const cells = (ws, row) => ws.getRow(row).values.slice(1).map((v) => (v === null || v === undefined ? '' : String(v)));

test('the audit log shows the chain intact, filters, and downloads', async () => {
  const { ctx, page } = await as('office');
  await page.goto('/audit');
  assert.match(await page.textContent('#chain-status'), /哈希链完整/);
  // Actions in words, changes field by field.
  await page.goto('/audit?entity=value');
  assert.match((await page.textContent('table.audit tbody tr td:nth-child(4)')).trim(), /^[^A-Za-z]+$/, 'the action in words');
  const fields = await page.locator('table.diff td:first-child code').allTextContents();
  assert.ok(fields.includes('value') && fields.includes('state'), fields.join(','));
  // Filters by names: a unit typed by its name, an action chosen by its name.
  await page.goto('/audit');
  await page.fill('#a-contains', '七里园街道');
  await page.selectOption('#a-action', { label: '保存数据' });
  await submit(page, 'form.filters button');
  const ids = await page.locator('table.audit tbody tr td:nth-child(5)').allTextContents();
  assert.ok(ids.length > 0 && ids.every((t) => t.toUpperCase().includes('QLY')), 'every entry is about QLY');
  // Targets in words, the code only as secondary text.
  assert.ok(ids.every((t) => /^数据：[^A-Za-z·]+ · [^A-Za-z·]+ · 2025/.test(t.trim())), ids.slice(0, 3).join(' | '));
  const acts = await page.locator('table.audit tbody tr td:nth-child(4)').allTextContents();
  assert.ok(acts.every((t) => t.trim() === '保存数据'), acts.slice(0, 3).join(','));
  await screenshot(page, 'audit');
  const { wb } = await workbook(page, 'a[href*="format=xlsx"]');
  const ws = wb.worksheets[0];
  assert.equal(cells(ws, 1)[0], '序号');
  // In the workbook too: times are dates (sortable), actions and targets in words.
  assert.ok(ws.getRow(2).getCell(2).value instanceof Date, String(ws.getRow(2).getCell(2).value));
  assert.match(ws.getRow(2).getCell(2).numFmt, /yyyy-mm-dd hh:mm/);
  // (the newest value entry: a value the server wrote from a budget project, say)
  assert.match(cells(ws, 2)[4], /^[^A-Za-z]+$/, 'the action in words');
  assert.match(cells(ws, 2)[5], /^数据：[^A-Za-z]+ · [^A-Za-z]+ · 20\d\d/);
  assert.equal(ws.views[0].state, 'frozen', 'the header row is frozen');
  assert.ok(ws.rowCount > 1);
  // Readers who are not the office do not see it.
  const { ctx: c2, page: leader } = await as('qly_reporter');
  const r = await leader.goto('/audit');
  assert.equal(r.status(), 403);
  await ctx.close();
  await c2.close();
});

test('the scheme viewer shows the tree and history; what-if shows who moves', async () => {
  const { ctx, page } = await as('office');
  await page.goto('/schemes/wolong-2025');
  assert.ok(await page.locator('table.tree td', { hasText: '行政调解成功率' }).count() >= 1);
  assert.match(await page.textContent('main'), /发布年度目标绩效考核方案/, 'the version history gives the reason');
  await screenshot(page, 'scheme');
  const tree = (await workbook(page, '#scheme-xlsx')).wb;
  assert.ok(tree.worksheets.length >= 5, 'a sheet per class');
  const street = tree.getWorksheet('街道（乡镇）');
  assert.ok([...Array(street.rowCount).keys()].some((i) => cells(street, i + 1)[1] === 'mediation'));
  await submit(page, '#whatif-link');
  await page.selectOption('#w-period', '2025Q3');
  await page.selectOption('#k-1', 'target');
  await page.fill('#c-1', 'street/mediation');
  await page.fill('#v-1', '80');
  await submit(page, 'form.whatif button[type=submit]');
  const result = await page.textContent('#whatif-result');
  assert.match(result, /mediation|行政调解/);
  assert.ok((await page.locator('#whatif-moved tbody tr').count()) + /另有 [1-9]/.test(result) > 0, 'someone moves');
  await screenshot(page, 'whatif');
  await page.fill('#c-1', 'street/no_such_indicator');
  await submit(page, 'form.whatif button[type=submit]');
  assert.match(await page.textContent('#whatif-error'), /no_such_indicator/);
  await ctx.close();
});

test('a unit appeals a published score; the office upholds it and publishes again', async () => {
  const office = await as('office');
  await office.page.goto('/publish');
  // The third quarter cannot be published: a village misses data the rules require.
  const q3 = 'tr:has(input[name=scheme][value="wolong-2025"]):has(input[name=period][value="2025Q3"])';
  await office.page.fill(`${q3} input[name=reason]`, '第三季度结果公示');
  await submit(office.page, `${q3} button`);
  // Before anything goes public: the unit that blocks it, by name, linked to its form.
  const blocked = office.page.locator('#publish-blocked');
  assert.match(await blocked.textContent(), /缺少/);
  assert.equal(await blocked.locator('a[href="/entry/WLG-C04/2025Q3"]').count(), 1);
  assert.equal(await office.page.locator('#publish-confirm').count(), 0, 'no way to confirm');
  await office.page.goto('/publish');
  const row = 'tr:has(input[name=scheme][value="wolong-2025"]):has(input[name=period][value="2025Q2"])';
  await office.page.fill(`${row} input[name=reason]`, '第二季度结果公示');
  await submit(office.page, `${row} button`);
  await submit(office.page, '#publish-confirm button');
  assert.match(await office.page.textContent('#publish-message'), /已公示/);

  const rep = await as('qly_reporter');
  await rep.page.goto('/appeals');
  const option = rep.page.locator('#target option', { hasText: '2025Q2' }).first();
  await rep.page.selectOption('#target', await option.getAttribute('value'));
  await rep.page.fill('#appeal-reason', '第二季度调解台账漏报2件，附补充台账');
  await submit(rep.page, 'form.stack button[type=submit]');
  assert.match(await rep.page.textContent('#appeal-message'), /申诉已提交/);
  const dir = mkdtempSync(join(tmpdir(), 'jixiao-appeal-'));
  writeFileSync(join(dir, '补充台账.pdf'), '%PDF-1.4\n% two more cases\n%%EOF\n');
  await rep.page.setInputFiles('article.appeal input[type=file]', join(dir, '补充台账.pdf'));
  await submit(rep.page, 'article.appeal form.upload button');
  assert.match(await rep.page.textContent('#appeal-message'), /佐证材料已上传/);
  assert.equal(await rep.page.locator('article.appeal a', { hasText: '补充台账.pdf' }).count(), 1);

  await office.page.goto('/appeals');
  const card = office.page.locator('article.appeal').first();
  assert.match(await card.textContent(), /漏报2件/);
  await card.locator('input[value=uphold]').check();
  await card.locator('textarea[name=reason]').fill('经核对台账，申诉属实，重新公示');
  await submit(office.page, 'article.appeal form.resolve button[type=submit]');
  assert.match(await office.page.textContent('#appeal-message'), /复核结果已记录/);
  await screenshot(office.page, 'appeals');

  await rep.page.goto('/appeals');
  const mine = await rep.page.locator('article.appeal').first().textContent();
  assert.match(mine, /申诉成立/);
  assert.match(mine, /经核对台账/);
  assert.equal(await rep.page.locator('article.appeal a[href^="/public/"]').count(), 2, 'both versions are linked');
  const sheet = (await workbook(rep.page, '#appeals-xlsx')).wb.worksheets[0];
  assert.equal(cells(sheet, 2)[5], '申诉成立');
  assert.match(cells(sheet, 2)[6], /经核对台账/);
  await rep.page.goto('/entry');
  const forms = (await workbook(rep.page, 'a[href="/entry?format=xlsx"]')).wb.worksheets[0];
  assert.ok([...Array(forms.rowCount).keys()].some((i) => cells(forms, i + 1)[0] === 'QLY'));
  await office.ctx.close();
  await rep.ctx.close();
});

test('the data-entry form round-trips through Excel; a bad cell is named by row and column', async () => {
  const { ctx, page } = await as('qly_reporter');
  await page.goto('/entry/QLY/2025Q4');
  const { wb } = await workbook(page, '#template-xlsx');
  const ws = wb.worksheets[0];
  assert.equal(cells(ws, 1)[0], '代码');
  assert.equal(cells(ws, 1)[6], '填报值');
  const rowOf = (code) => {
    for (let r = 2; r <= ws.rowCount; r++) if (cells(ws, r)[0] === code) return r;
    throw new Error(`${code} not in the template`);
  };
  const dir = mkdtempSync(join(tmpdir(), 'jixiao-xlsx-'));
  // First a bad one: text where a number belongs.
  ws.getCell(rowOf('mediation_cases'), 7).value = '四十';
  ws.getCell(rowOf('mediation_agreements'), 7).value = 31;
  const bad = join(dir, 'bad.xlsx');
  await wb.xlsx.writeFile(bad);
  await page.setInputFiles('#xlsx-file', bad);
  await submit(page, '#excel form button');
  const problem = await page.textContent('main');
  assert.match(problem, new RegExp(`第${rowOf('mediation_cases')}行G列`), problem);
  await page.goto('/entry/QLY/2025Q4');
  assert.equal((await page.textContent('#s-mediation_agreements')).trim(), '未填报', 'nothing was saved');
  // Then the good one.
  ws.getCell(rowOf('mediation_cases'), 7).value = 35;
  ws.getCell(rowOf('mediation_cases'), 8).value = '据调解台账';
  const good = join(dir, 'good.xlsx');
  await wb.xlsx.writeFile(good);
  await page.setInputFiles('#xlsx-file', good);
  await submit(page, '#excel form button');
  assert.match(await page.textContent('#entry-message'), /草稿已保存/);
  assert.equal(await page.inputValue('#v-mediation_cases'), '35');
  assert.equal(await page.inputValue('#v-mediation_agreements'), '31');
  assert.equal(await page.inputValue('#n-mediation_cases'), '据调解台账');
  // And the downloaded template now carries the saved numbers.
  const again = (await workbook(page, '#template-xlsx')).wb.worksheets[0];
  const r = [...Array(again.rowCount).keys()].map((i) => cells(again, i + 1)).find((c) => c[0] === 'mediation_cases');
  assert.equal(r[6], '35');
  assert.equal(r[5], '草稿');
  await ctx.close();
});

test('the dashboard, review queue, report card and public page download as workbooks', async () => {
  const { ctx, page } = await as('office');
  await page.goto('/dashboard/wolong-2025/2025Q4');
  const dash = (await workbook(page, '#dashboard-xlsx')).wb;
  const names = dash.worksheets.map((w) => w.name);
  assert.ok(names.includes('街道（乡镇）'), names.join(','));
  const street = dash.getWorksheet('街道（乡镇）');
  assert.deepEqual(cells(street, 1).slice(0, 4), ['名次', '代码', '单位', '总分']);
  assert.equal(cells(street, 2)[0], '1');
  await page.goto('/report/wolong-2025/2025Q4/QLY');
  const card = (await workbook(page, 'a[href*="format=xlsx"]')).wb.worksheets[0];
  assert.ok(card.rowCount > 5);
  assert.equal(cells(card, 1)[1], '得分');
  // The report card as PDF, printed by the server's headless Chromium.
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('#card-pdf')]);
  const bytes = readFileSync(await pdf.path());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  assert.ok(bytes.length > 20000, `a real document (${bytes.length} bytes)`);
  assert.match(pdf.suggestedFilename(), /QLY-2025Q4-成绩单\.pdf/);
  // A4 (595 × 842 points), not US Letter (612 × 792).
  const box = bytes.toString('latin1').match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  assert.ok(box, 'a page size');
  assert.equal(Math.round(Number(box[1])), 595);
  assert.equal(Math.round(Number(box[2])), 842);
  await page.goto('/review');
  const queue = (await workbook(page, 'a[href*="format=xlsx"]')).wb.worksheets[0];
  assert.deepEqual(cells(queue, 1).slice(0, 3), ['代码', '单位', '数据项']);
  // The appeals test published the second quarter twice.
  await page.goto('/public');
  await submit(page, 'a[href^="/public/"]');
  // The published rankings as an A4 PDF to print and seal.
  const [rpdf] = await Promise.all([page.waitForEvent('download'), page.click('#public-pdf')]);
  const rbytes = readFileSync(await rpdf.path());
  assert.equal(rbytes.subarray(0, 5).toString(), '%PDF-');
  const rbox = rbytes.toString('latin1').match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  assert.equal(Math.round(Number(rbox[1])), 595);
  assert.equal(Math.round(Number(rbox[2])), 842);
  const pub = (await workbook(page, 'a[href*="format=xlsx"]')).wb;
  const streets = pub.getWorksheet('街道（乡镇）');
  assert.ok([...Array(streets.rowCount).keys()].some((i) => cells(streets, i + 1)[2] === '七里园街道'));
  await ctx.close();
});

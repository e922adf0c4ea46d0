// Excel in, the office's way: download the class template, fill it in, check it, import it,
// and find the values in the unit leader's review queue; a bad cell is reported by row and
// column, and the problem report downloads with the bad value highlighted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

async function download(page, click) {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(await d.path());
  return wb;
}

test('template → filled → checked → imported → in the review queue', async () => {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, 'qly_reporter');
  await page.goto('/import');
  await page.selectOption('#t-scheme', 'wolong-2025');
  await page.selectOption('#t-class', 'street');
  await page.selectOption('#t-period', '2025Q4');
  const wb = await download(page, () => page.click('#template-form button'));
  const ws = wb.worksheets[0];
  const heads = ws.getRow(1).values.slice(1).map(String);
  assert.deepEqual(heads.slice(0, 3), ['单位代码', '单位名称', '期间']);
  const col = (name) => heads.indexOf(name) + 1;
  assert.ok(col('行政调解受理件数') > 3 && col('达成调解协议件数') > 3, heads.join(','));
  assert.equal(ws.getCell(2, 1).value, 'QLY', 'the reporter gets their own unit');
  assert.equal(ws.rowCount, 2, 'and only the units in their scope of this class');
  assert.equal(ws.getCell(2, col('行政调解受理件数')).dataValidation?.type, 'decimal', 'numbers only');
  assert.ok(ws.getCell(2, col('化解矛盾纠纷件数')).value !== null, 'entered values are filled in');
  const dir = mkdtempSync(join(tmpdir(), 'jixiao-import-'));

  // A bad cell first: the problem names the sheet's row and column; nothing is written.
  ws.getCell(2, col('行政调解受理件数')).value = '四十';
  ws.getCell(2, col('达成调解协议件数')).value = 36;
  const bad = join(dir, 'bad.xlsx');
  await wb.xlsx.writeFile(bad);
  await page.setInputFiles('#import-file', bad);
  await submit(page, '#import-form button[value=import]');
  assert.match(await page.textContent('#import-report h2'), /未导入任何数据/);
  const letter = ws.getColumn(col('行政调解受理件数')).letter;
  const row = page.locator('#import-problems tbody tr').first();
  assert.deepEqual((await row.locator('td').allTextContents()).slice(1, 4), ['2', letter, '四十']);
  await screenshot(page, 'import-problems');
  // The same file as a problem report: the bad value highlighted.
  await page.setInputFiles('#import-file', bad);
  const report = await download(page, () => page.click('#import-form button[value=report]'));
  const problems = report.worksheets[1];
  assert.equal(problems.getCell(2, 4).value, '四十');
  assert.equal(problems.getCell(2, 4).fill?.fgColor?.argb, 'FFFFC7CE');
  await page.goto('/entry/QLY/2025Q4');
  assert.equal((await page.textContent('#s-mediation_cases')).trim(), '未填报', 'nothing was written');

  // Corrected: a dry run says what would happen, then the import.
  ws.getCell(2, col('行政调解受理件数')).value = 40;
  const good = join(dir, 'good.xlsx');
  await wb.xlsx.writeFile(good);
  await page.goto('/import');
  await page.setInputFiles('#import-file', good);
  await page.check('#dry-run');
  await submit(page, '#import-form button[value=import]');
  assert.match(await page.textContent('#import-report h2'), /未写入/);
  assert.equal((await page.textContent('#n-imported')).trim(), '2');
  await page.setInputFiles('#import-file', good);
  await submit(page, '#import-form button[value=import]');
  assert.match(await page.textContent('#import-report h2'), /已导入/);
  assert.equal((await page.textContent('#n-imported')).trim(), '2');
  assert.ok(Number(await page.textContent('#n-unchanged')) > 0, 'the numbers already there are left alone');
  await screenshot(page, 'import-done');

  // The round trip: the export reproduces every number of the filled template. Each heading's
  // note starts with the element's code.
  const csv = await page.evaluate(async () => (await fetch('/api/v1/exports/values?unit=QLY&period=2025Q4&format=csv')).text());
  const exported = new Map(csv.replace(/^\uFEFF/, '').trim().split('\n').slice(1)
    .map((line) => line.split(','))
    .map((f) => [f[1], Number(f[3])]));
  let compared = 0;
  for (let c = 4; c <= heads.length; c += 1) {
    const value = ws.getCell(2, c).value;
    if (typeof value !== 'number') continue;
    const note = ws.getCell(1, c).note;
    const text = typeof note === 'string' ? note : (note?.texts ?? []).map((t) => t.text).join('');
    // Excel shows the note's author on its first line ("jixiao:"); the code starts the next.
    const code = text.match(/^\s*(?:jixiao:\s*)?([A-Za-z_][A-Za-z0-9_]*) · /)?.[1];
    assert.equal(exported.get(code), value, `${code} (${heads[c - 1]})`);
    compared += 1;
  }
  assert.ok(compared >= 2, `${compared} numbers compared`);

  const lc = await contextAt(browser, demo.base);
  const lead = await lc.newPage();
  await signIn(lead, demo, 'qly_leader');
  await lead.goto('/review');
  const rows = lead.locator('input[name=pick][value^="QLY|mediation"]');
  assert.equal(await rows.count(), 2, 'both are waiting for review');
  await ctx.close();
  await lc.close();
});

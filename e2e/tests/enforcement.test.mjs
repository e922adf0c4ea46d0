// P13's legality checks in the browser: the legal office (司法局) finds the open legal-review
// flags from the by-rule table, opens a case, reads the trace and confirms the violation with a
// reason; the department's legal-review count drops at once. A street sees only its own cases and
// cannot decide; a bad file is turned away with its row and column.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test('the legal office confirms a legal-review flag and the count moves', async () => {
  const ctx = await contextAt(browser, demo.base);
  const p = await ctx.newPage();
  await signIn(p, demo, 'sfj_reviewer');
  await p.goto('/enforcement');
  const rule = p.locator('#enf-by-rule tr[data-rule="legal_review"]');
  assert.match(await rule.textContent(), /重大执法决定未经法制审核/);
  await submit(p, '#enf-by-rule tr[data-rule="legal_review"] td.num a');
  const first = p.locator('#enf-cases tbody tr').first();
  assert.match(await first.textContent(), /待审查/);
  await submit(p, '#enf-cases tbody tr:first-child td:first-child a');
  const card = p.locator('section[data-rule="legal_review"]');
  assert.match(await card.textContent(), /第五十八条/);
  assert.match(await card.locator('.why').textContent(), /法制审核/);
  assert.ok(await p.locator('#enf-timeline li[data-field="decided"]').count() === 1);
  const dept = new URL(await p.locator('.lead a').getAttribute('href'), demo.base).searchParams.get('dept');
  const decided = (await p.locator('#enf-timeline li[data-field="decided"] time').textContent()).trim();
  const q = Math.floor((Number(decided.slice(5, 7)) - 1) / 3) + 1;
  const value = async () => (await (await p.request.get(`/api/v1/values/${dept}/major_reviewed/${decided.slice(0, 4)}Q${q}`)).json()).row.value;
  const before = Number(await value());
  await screenshot(p, 'enforcement-case');
  await card.locator('input[value="confirmed"]').check();
  await card.locator('input[name="reason"]').fill('案卷中无法制审核意见书，属实');
  await submit(p, 'section[data-rule="legal_review"] form button');
  assert.equal(await p.locator('section[data-rule="legal_review"]').getAttribute('data-state'), 'confirmed');
  assert.match(await p.locator('section[data-rule="legal_review"]').textContent(), /案卷中无法制审核意见书/);
  assert.equal(Number(await value()), before - 1);
  await ctx.close();
});

test('a street sees its own cases only, and a bad file names its row and column', async () => {
  const ctx = await contextAt(browser, demo.base);
  const p = await ctx.newPage();
  await signIn(p, demo, 'qly_reporter');
  await p.goto('/enforcement');
  const depts = await p.locator('#enf-by-dept tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.dept));
  assert.deepEqual(depts, ['QLY']);
  await submit(p, '#enf-cases tbody tr:first-child td:first-child a');
  assert.equal(await p.locator('form[id^="enf-decide-"]').count(), 0, 'a street does not decide flags');
  await p.goto('/enforcement');
  const bad = '案件编号,执法部门代码,当事人类型（个人/单位）,程序（简易/普通）,立案日期,执法人员（证号:起:止;…）\n宛卧七里园综执简〔2026〕001号,QLY,个人,简易,2026-13-01,411309001:2021-01-01:2027-12-31\n';
  await p.setInputFiles('#ei-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await p.fill('#ei-reason', '导入');
  await submit(p, '#enf-import button');
  const problems = await p.textContent('#enf-problems');
  assert.match(problems, /第2行“E”列/);
  assert.match(problems, /2026-13-01/);
  await ctx.close();
});

// P11's first gates in the browser: finance declares a project above the threshold and sends it
// to an expert, the expert scores the five dimensions, finance concludes (予以支持), the targets
// are declared in the standard indicator system and approved, and its monitoring at the end of
// June comes out red with its measures. A project not supported shows why and offers no targets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => {
  demo = await startDemo();
  browser = await launch();
});
after(async () => { await browser?.close(); await demo?.stop(); });

async function as(user) {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, user);
  return { ctx, page };
}

test('a project passes the ex-ante gate and gets its targets approved', async () => {
  const finance = await as('finance');
  const f = finance.page;
  await f.goto('/projects');
  await f.fill('#p-code', 'XM2026-09');
  await f.fill('#p-name', '老旧小区雨污分流改造');
  await f.selectOption('#p-dept', 'CGJ');
  await f.fill('#p-amount', '260');
  await f.fill('#p-source', '一般公共预算');
  await f.fill('#p-reason', '2026年预算申报');
  await submit(f, '#proj-form button');
  assert.match(await f.textContent('#proj-done'), /项目已申报/);
  assert.match(await f.textContent('#proj-stage'), /申报中/);
  assert.equal(await f.locator('#proj-targets-form').count(), 0, 'no targets before the ex-ante gate');
  await f.fill('#pa-experts', 'evaluator');
  await f.fill('#pa-reason', '组织事前绩效评估');
  await submit(f, '#proj-assign button');
  assert.match(await f.textContent('#proj-stage'), /事前评估中/);

  const expert = await as('evaluator');
  const e = expert.page;
  await e.goto('/projects/XM2026-09');
  for (const [i, v] of ['18', '17', '16', '16', '15'].entries()) await e.fill(`#ps-${i + 1}`, v);
  await e.fill('#ps-comment', '建议分片区实施');
  await submit(e, '#proj-score button');
  assert.match(await e.textContent('#proj-done'), /评分已提交/);
  await screenshot(e, 'project-expert');

  await f.goto('/projects/XM2026-09');
  assert.match(await f.textContent('#proj-reason'), /总分 82 ≥ 80：予以支持/);
  await f.fill('#pc-reason', '专家评审完成');
  await submit(f, '#proj-conclude button');
  assert.match(await f.textContent('#proj-conclusion'), /予以支持/);

  // Targets in the standard system: an output quantity, a social benefit, satisfaction.
  const form = f.locator('#proj-targets-form');
  const rows = [['quantity', '改造小区数量', '12', '个'], ['social', '内涝积水点消除数', '8', '处'], ['satisfaction', '居民满意度', '90', '%']];
  for (const [i, [kind, name, value, unit]] of rows.entries()) {
    await form.locator('select[name=kind]').nth(i).selectOption(kind);
    await form.locator('input[name=name]').nth(i).fill(name);
    await form.locator('input[name=value]').nth(i).fill(value);
    await form.locator('input[name=unit]').nth(i).fill(unit);
  }
  await f.fill('#pt-reason', '申报绩效目标');
  await submit(f, '#proj-targets-form button[type=submit]');
  assert.match(await f.textContent('#proj-stage'), /绩效目标待审核/);
  await f.fill('#pr-reason', '目标明确，予以批复');
  await submit(f, '#proj-review button[value=approve]');
  assert.match(await f.textContent('#proj-stage'), /绩效目标已批复/);
  const list = await f.textContent('#proj-target-list');
  assert.match(list, /改造小区数量[^]*≥ 12 个/);
  assert.match(list, /社会效益指标[^]*内涝积水点消除数/);
  await screenshot(f, 'project-approved');

  // Monitoring at the end of June: 50 of 260 spent (19.2%) against 49.6% of the year — red,
  // reported with the corrective measures; the six of twelve estates done run 30.8 points
  // ahead of spending.
  await f.fill('#pm-date', '2026-06-30');
  await f.fill('#pm-spent', '50');
  await f.fill('#pm-c1', '6');
  await f.fill('#pm-measures', '加快工程款拨付');
  await submit(f, '#proj-monitor button');
  const june = f.locator('#proj-monitoring .report[data-day="2026-06-30"]');
  assert.match(await june.textContent(), /红色[^]*落后序时进度 30\.36 个百分点[^]*目标快于支出/);
  await f.goto('/monitoring/2026-06-30');
  assert.match(await f.textContent('#monitoring-table tr[data-project="XM2026-09"]'), /红色[^]*加快工程款拨付/);
  await screenshot(f, 'monitoring-report');
  const [mx] = await Promise.all([f.waitForEvent('download'), f.click('#monitoring-xlsx')]);
  assert.equal(readFileSync(await mx.path()).subarray(0, 2).toString(), 'PK', 'the monitoring workbook');
  const mpdf = await f.request.get(new URL(await f.getAttribute('#monitoring-pdf', 'href'), f.url()).href);
  assert.equal((await mpdf.body()).subarray(0, 4).toString(), '%PDF', 'the monitoring report on A4');

  // Next year's budget: last year's projects by their evaluation — amount × coefficient.
  await f.goto('/projects');
  await submit(f, 'a.adj-link');
  const p1 = await f.textContent('#adj-table tr[data-project="P2025-01"]');
  assert.match(p1, /食用菌基地[^]*1200/);
  assert.match(await f.textContent('#adj-totals'), /合计/);
  const [ax] = await Promise.all([f.waitForEvent('download'), f.click('#adj-xlsx')]);
  assert.equal(readFileSync(await ax.path()).subarray(0, 2).toString(), 'PK', 'the adjustment workbook');
  const apdf = await f.request.get(new URL(await f.getAttribute('#adj-pdf', 'href'), f.url()).href);
  assert.equal((await apdf.body()).subarray(0, 4).toString(), '%PDF', 'the adjustment table on A4');
  await screenshot(f, 'budget-adjustment');
  // Finance reviews it: the compound renovation decided at 2,800 with its reason, published.
  await f.fill('input[name="amount:P2025-02"]', '2800');
  await f.fill('input[name="why:P2025-02"]', '剩余1个小区结转实施');
  await f.fill('#adj-reason-input', '预算编制复核');
  await submit(f, '#adj-publish-form button');
  assert.match(await f.textContent('#adj-done'), /已发布/);
  assert.match(await f.textContent('#adj-table tr[data-project="P2025-02"]'), /2800[^]*剩余1个小区结转实施/);

  // A project list from a spreadsheet: one row with an unknown department is refused with its
  // row and column; corrected, it is declared.
  const head = '项目代码,项目名称,主管部门代码,年度,金额（万元）,资金来源,类型（新增/延续）,重大项目（是/否）,绩效评价类别,申报理由\n';
  const importList = async (dept) => {
    await f.goto('/projects');
    await f.setInputFiles('#proj-file', { name: 'projects.csv', mimeType: 'text/csv', buffer: Buffer.from(`${head}XM2026-31,城区公厕提升改造,${dept},2026,85,一般公共预算,新增,否,,\n`) });
    await f.fill('#proj-import-reason', '第二批项目申报');
    await submit(f, '#proj-import-form button');
  };
  await importList('NOPE');
  assert.match(await f.textContent('#proj-problems'), /第2行“C”列[^]*NOPE/);
  await importList('CGJ');
  assert.match(await f.textContent('#proj-imported'), /已导入 1 项/);
  assert.match(await f.textContent('#proj-table tr[data-project="XM2026-31"]'), /城区公厕提升改造/);

  // The project not supported says why and offers no targets.
  await f.goto('/projects/XM2026-02');
  assert.match(await f.textContent('#proj-conclusion'), /不予支持[^]*筹资合规性/);
  assert.equal(await f.locator('#proj-targets-form').count(), 0);
  await finance.ctx.close();
  await expert.ctx.close();
});

// The acceptance of P10: the office publishes 2025 and downloads the 结果运用 report
// showing each unit's bonus coefficient and eligibility with reasons; a village's change moves
// its sub-district; an indicator's chain page shows who answers for it.
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

test('a village moves its street, the office publishes 2025 and downloads the results applied', async () => {
  const office = await as('office');
  const page = office.page;

  // 卧龙岗街道 answers for its villages: the demo leaves one village number open.
  await page.goto('/report/wolong-2025/2025/WLG');
  const before = (await page.textContent('#card-total')).trim();
  await page.goto('/entry/WLG-C04/2025Q3');
  await page.fill('#v-satisfaction', '90');
  await submit(page, 'button[value=submit]');
  assert.match(await page.textContent('#entry-message'), /已提交/);
  await page.goto('/review?unit=WLG-C04');
  await page.locator('input[name=pick]').first().check();
  await submit(page, 'button[value=forward]');
  await submit(page, '#review-confirm-yes');
  assert.match(await page.textContent('#review-message'), /已通过 1 条/);
  await page.goto('/report/wolong-2025/2025/WLG');
  const after = (await page.textContent('#card-total')).trim();
  assert.notEqual(after, before, `the street moved with its village (${before} → ${after})`);
  const villages = page.locator('section.ind', { hasText: '所辖村（社区）考核平均得分' });
  assert.match(await villages.textContent(), /所辖村（社区）平均得分[^]*\d+\.\d+/);

  // Publish the year, the results applied shown to the public too.
  await page.goto('/publish');
  const sel = 'tr:has(input[name=scheme][value="wolong-2025"]):has(input[name=period][value="2025"])';
  await page.locator(`${sel} input[name=reason]`).fill('2025年度考核结果公示');
  await submit(page, `${sel} button`);
  assert.match(await page.textContent('#publish-ready'), /对公众公开/);
  await page.check('#applied-public');
  await submit(page, '#publish-confirm button');
  assert.match(await page.textContent('#publish-message'), /已公示/);

  // The 结果运用 report of that publication.
  await submit(page, `${sel} a.applied-link`);
  assert.match(await page.textContent('#applied-source'), /第 1 版/);
  // Every unit's coefficient follows its grade, with the rule that decided it.
  const coefficient = { 优秀: '1.2', 良好: '1.0', 合格: '0.8', 不合格: '0' };
  const rows = page.locator('table.applied tbody tr');
  assert.ok(await rows.count() > 50);
  for (const unit of ['QLY', 'MXI', 'FGW', 'QLY-C01']) {
    const cells = page.locator(`tr[data-unit="${unit}"] td`);
    const grade = (await cells.nth(3).textContent()).trim();
    const vetoed = (await cells.nth(1).textContent()).includes('一票否决');
    const bonus = (await cells.nth(4).locator('strong').textContent()).trim();
    assert.equal(bonus, vetoed ? '0' : coefficient[grade], `${unit} ${grade}`);
    assert.match(await cells.nth(4).textContent(), /规则\d：|其他情况/);
    // 评优评先: 良好 or better and not vetoed.
    const honours = (await cells.nth(5).locator('strong').textContent()).trim();
    assert.equal(honours, !vetoed && (grade === '优秀' || grade === '良好') ? '是' : '否', unit);
  }
  const psh = await page.locator('tr[data-unit="PSH"]').textContent();
  assert.match(psh, /一票否决/, 'the vetoed town says why');
  assert.match(await page.textContent('#applied-summary'), /绩效奖金系数[^]*1\.2/);
  await screenshot(page, 'applied-report');
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#applied-xlsx')]);
  const bytes = readFileSync(await xlsx.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'a workbook');
  const pdf = await page.request.get(new URL(await page.getAttribute('#applied-pdf', 'href'), page.url()).href);
  assert.equal(pdf.status(), 200);
  assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF');

  // 集体记功 (优秀 three years running) reads the years the office recorded before jixiao.
  const swj = page.locator('tr[data-unit="SWJ"] td');
  assert.equal((await swj.nth(7).locator('strong').textContent()).trim(), '是');
  assert.match(await swj.nth(7).textContent(), /优秀（2024年度）、优秀（2023年度）/);
  await submit(page, '#applied-earlier');
  const periods = page.locator('section.earlier-period h2');
  assert.match(await periods.nth(0).textContent(), /2025年度[^]*第 \d+ 号公示/, 'the publication recorded 2025');
  assert.match(await periods.nth(1).textContent(), /2024年度[^]*考核办录入/);
  await screenshot(page, 'earlier-results');

  // The public notice shows them, as chosen.
  const anon = await browser.newContext({ baseURL: demo.base });
  const pub = await anon.newPage();
  await pub.goto('/public');
  await submit(pub, 'a[href^="/public/"]');
  assert.match(await pub.textContent('section.class thead'), /绩效奖金系数/);

  // 五链: the mediation indicator's chain from the scheme page.
  await page.goto('/schemes/wolong-2025');
  await submit(page, 'a.chain-link[href$="/mediation"]');
  const who = await page.textContent('#chain-responsible');
  assert.match(who, /牵头[^]*区司法局[^]*70%/);
  assert.match(who, /配合[^]*区民政局[^]*30%/);
  assert.ok(await page.locator('table.chain-units tr[data-unit="QLY"]').count() === 1);
  await screenshot(page, 'chain');
  await office.ctx.close();
  await anon.close();
});

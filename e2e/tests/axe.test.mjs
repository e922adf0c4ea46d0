// axe-core (the accessibility engine browsers' audit tools use) on every key page, at phone
// width (360 px) and desktop width (1366 px): no critical, serious or moderate finding.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { contextAt, launch, signIn, startDemo } from '../lib.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

const PAGES = {
  office: ['/', '/review', '/dashboard/wolong-2025/2025Q4', '/schemes/wolong-2025', '/schemes/wolong-2025/whatif',
    '/audit', '/publish', '/appeals', '/units', '/import', '/feeds', '/report/wolong-2025/2025Q4/QLY',
    '/applied/wolong-2025/2025?kind=provisional', '/chain/wolong-2025/2025Q4/mediation', '/earlier/wolong-2025',
    '/inspections', '/inspections/1'],
  qly_reporter: ['/', '/entry/QLY/2025Q4', '/report/wolong-2025/2025Q4/QLY', '/appeals'],
  finance: ['/projects', '/projects/XM2026-01', '/projects/XM2026-04', '/projects/XM2026-07', '/monitoring/2026-06-30', '/budget-adjustment/wolong-budget-self-2025/2025?kind=provisional',
    '/budget-adjustment/wolong-budget-self-2025/2025?published=1'],
  evaluator: ['/projects/XM2026-03'],
  inspector: ['/inspections/1'],
  public: ['/public', '/login'],
};

async function findings(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => ['critical', 'serious', 'moderate'].includes(v.impact))
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

test('the check itself finds what it must (an unreachable scrolling table, an image without text)', async () => {
  const ctx = await contextAt(browser, demo.base, 360);
  const page = await ctx.newPage();
  await page.goto('/public');
  await page.evaluate(() => {
    const d = document.createElement('div');
    d.style.cssText = 'overflow:auto;height:40px;width:100px';
    d.innerHTML = '<p style="width:800px;height:400px">宽表格内容宽表格内容</p>';
    document.querySelector('main').append(d);
    const img = document.createElement('img');
    img.src = '/static/none.png';
    document.querySelector('main').append(img);
  });
  const found = (await findings(page)).join('\n');
  assert.match(found, /scrollable-region-focusable/);
  assert.match(found, /image-alt/);
  await ctx.close();
});

for (const width of [360, 1366]) {
  test(`axe finds nothing critical, serious or moderate at ${width} px`, async () => {
    const problems = [];
    for (const [who, paths] of Object.entries(PAGES)) {
      const ctx = await contextAt(browser, demo.base, width);
      const page = await ctx.newPage();
      if (who !== 'public') await signIn(page, demo, who);
      for (const path of paths) {
        await page.goto(path);
        for (const f of await findings(page)) problems.push(`${who} ${path}: ${f}`);
      }
      await ctx.close();
    }
    assert.deepEqual(problems, []);
  });
}

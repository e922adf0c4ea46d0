// At 360 px (a phone) the data-entry form, the report card and the budget pages need no
// horizontal scrolling (wide tables scroll inside their own box);
// English replaces every interface string on every page (nothing untranslated, no missing key).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit, textOutsideChinese } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test('at 360 px the form and the report card fit the screen', async () => {
  const ctx = await contextAt(browser, demo.base, 360);
  const page = await ctx.newPage();
  await signIn(page, demo, 'qly_reporter');
  for (const [path, name] of [['/entry/QLY/2025Q4', 'entry-360'], ['/report/wolong-2025/2025Q4/QLY', 'report-card-360'], ['/', 'home-360']]) {
    await page.goto(path);
    assert.ok((await overflow(page)) <= 0, `${path} scrolls sideways by ${await overflow(page)} px`);
    await screenshot(page, name);
  }
  await ctx.close();
  for (const [user, paths] of Object.entries({
    finance: ['/projects', '/projects/XM2026-07', '/monitoring', '/monitoring/2026-09-30',
      '/budget-adjustment/wolong-budget-self-2025/2025?kind=provisional', '/budget-adjustment/wolong-budget-self-2025/2025?published=1'],
    office: ['/earlier/wolong-2025', '/inspections', '/inspections/1', '/surveys', '/surveys/1', '/s/1/QLY-C01'],
    inspector: ['/inspections/1'],
  })) {
    const c = await contextAt(browser, demo.base, 360);
    const p = await c.newPage();
    await signIn(p, demo, user);
    for (const path of paths) {
      const r = await p.goto(path);
      assert.ok(r.status() < 400, `${user} ${path}: ${r.status()}`);
      assert.ok((await overflow(p)) <= 0, `${user} ${path} scrolls sideways by ${await overflow(p)} px`);
    }
    await c.close();
  }
});

const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

// Every page, for every kind of user (both language scans read this list).
const pages = {
  qly_reporter: ['/', '/entry', '/entry/QLY/2025Q4', '/report/wolong-2025/2025Q4/QLY', '/auth/password', '/appeals', '/import',
    '/enforcement', '/enforcement/cases/256', '/enforcement/new'],
  qly_leader: ['/', '/review'],
  sfj_reviewer: ['/', '/review', '/enforcement', '/enforcement?rule=time_limit&state=flagged', '/enforcement/cases/115',
    '/enforcement/cases/48', '/enforcement/cases/2', '/enforcement/rules'],
  office: ['/', '/review', '/dashboard/wolong-2025/2025Q4', '/dashboard/wolong-2025/2025Q4?kind=provisional', '/publish', '/report/wolong-2025/2025Q4/QLY',
    '/audit', '/appeals', '/schemes/wolong-2025', '/schemes/wolong-2025/whatif', '/entry/QLY/2025Q4', '/units', '/feeds', '/dhis2', '/import', '/public',
    '/applied/wolong-2025/2025?kind=provisional', '/chain/wolong-2025/2025Q4/mediation', '/earlier/wolong-2025', '/report/wolong-2025/2025/QLY',
    '/inspections', '/inspections/1', '/surveys', '/surveys/1', '/s/1/QLY-C01', '/applied/wolong-rd-2025/2025?kind=provisional',
    '/dashboard/wolong-bready-2025/2025?kind=provisional', '/enforcement/rules'],
  leader: ['/dashboard/wolong-2025/2025Q3'],
  finance: ['/projects', '/projects/XM2026-01', '/projects/XM2026-02', '/projects/XM2026-04', '/projects/XM2026-06', '/projects/XM2026-07', '/monitoring', '/monitoring/2026-06-30',
    '/monitoring/2026-09-30', '/budget-adjustment/wolong-budget-self-2025/2025?kind=provisional', '/budget-adjustment/wolong-budget-self-2025/2025?published=1'],
  evaluator: ['/projects', '/projects/XM2026-03'],
  inspector: ['/inspections', '/inspections/1'],
};

// Words a Chinese page may show in Latin letters: names of formats and products, and the
// math functions of a formula (min, max). Codes are shown as secondary text in <code>.
const LATIN_OK = new Set(['jixiao', 'Excel', 'PDF', 'Office', 'CSV', 'UTF', 'GBK', 'JSON', 'API', 'DHIS', 'TOML', 'HMAC', 'min', 'max']);

test('no English words in the Chinese pages', async () => {
  for (const [user, paths] of Object.entries(pages)) {
    const ctx = await contextAt(browser, demo.base);
    const page = await ctx.newPage();
    await signIn(page, demo, user);
    for (const path of paths) {
      const r = await page.goto(path);
      assert.ok(r.status() < 400, `${user} ${path}: ${r.status()}`);
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      const words = await page.evaluate(() => {
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const el = n.parentElement;
          if (!el || el.closest('[lang="en"], script, style, code, kbd, samp, pre, .code')) continue;
          for (const m of n.textContent.matchAll(/[A-Za-z][A-Za-z_]{2,}/g)) {
            out.push([m[0], n.textContent.slice(Math.max(0, m.index - 12), m.index + 20).trim()]);
          }
        }
        return out;
      });
      const bad = words.filter(([w]) => !LATIN_OK.has(w));
      assert.equal(bad.length, 0, `${user} ${path}: English in the Chinese page: ${bad.slice(0, 5).map(([w, c]) => `${w} (“${c}”)`).join(', ')}`);
    }
    await ctx.close();
  }
});

test('English after the switch, on every page, for every kind of user', async () => {
  const anon = await contextAt(browser, demo.base);
  const a = await anon.newPage();
  await a.goto('/login');
  await submit(a, 'a.lang');
  assert.equal(await a.getAttribute('html', 'lang'), 'en', 'the switch works before signing in');
  assert.equal((await a.textContent('h1')).trim(), 'Log in');
  for (const path of ['/login', '/public', '/no-such-page-at-all']) {
    await a.goto(path);
    const text = await textOutsideChinese(a);
    assert.ok(!han.test(text), `${path}: untranslated: ${text.match(new RegExp(`.{0,20}${han.source}.{0,20}`))}`);
    assert.ok(!text.includes('⟦'), `${path}: a missing key`);
  }
  await anon.close();
  for (const [user, paths] of Object.entries(pages)) {
    const ctx = await contextAt(browser, demo.base);
    const page = await ctx.newPage();
    await signIn(page, demo, user);
    await submit(page, 'a.lang');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    for (const path of paths) {
      const r = await page.goto(path);
      assert.ok(r.status() < 400, `${user} ${path}: ${r.status()}`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the choice persists');
      const text = await textOutsideChinese(page);
      const bad = text.match(new RegExp(`.{0,30}${han.source}.{0,30}`));
      assert.ok(!bad, `${user} ${path}: untranslated text: “${bad?.[0]}”`);
      assert.ok(!text.includes('⟦'), `${user} ${path}: a missing key`);
    }
    await screenshot(page, `english-${user}`);
    // And back to Chinese.
    await submit(page, 'a.lang');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await ctx.close();
  }
});

// Accessibility on the key pages: every form control has a label, charts have a title and a
// text description, the keyboard reaches the content (skip link first) with a visible focus,
// and text has enough contrast (WCAG AA: 4.5:1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, signIn, startDemo } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

const audit = (page) => page.evaluate(() => {
  const problems = [];
  const visible = (el) => el.offsetParent !== null || el.getClientRects().length > 0;
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !visible(el)) continue;
    const named = el.labels?.length > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (visible(el) && !el.textContent.trim() && !el.getAttribute('aria-label')) problems.push(`empty ${el.tagName} ${el.outerHTML.slice(0, 60)}`);
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getAttribute('role') !== 'img' || !svg.querySelector('title')?.textContent || !svg.querySelector('desc')?.textContent) {
      problems.push(`chart without role, title or description: ${svg.id}`);
    }
  }
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll('main p, main td, main th, main a, main label, main dt, main dd, main li, header a, header span, button')) {
    if (!visible(el) || !el.textContent.trim() || el.closest('svg')) continue;
    const fg = lum(rgb(getComputedStyle(el).color));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} on “${el.textContent.trim().slice(0, 30)}”`);
  }
  if (!document.documentElement.lang) problems.push('no page language');
  if (!document.querySelector('h1')) problems.push('no heading');
  return problems;
});

test('labels, charts, contrast and headings on every key page', async () => {
  for (const [user, paths] of Object.entries({
    qly_reporter: ['/', '/entry/QLY/2025Q4', '/report/wolong-2025/2025Q4/QLY', '/appeals', '/auth/password', '/import'],
    office: ['/', '/review', '/dashboard/wolong-2025/2025Q4', '/schemes/wolong-2025', '/schemes/wolong-2025/whatif', '/audit', '/publish', '/appeals', '/units'],
  })) {
    const ctx = await contextAt(browser, demo.base);
    const page = await ctx.newPage();
    await signIn(page, demo, user);
    for (const path of paths) {
      await page.goto(path);
      assert.deepEqual(await audit(page), [], `${user} ${path}`);
    }
    await ctx.close();
  }
  const anon = await contextAt(browser, demo.base);
  const p = await anon.newPage();
  for (const path of ['/login', '/public']) {
    await p.goto(path);
    assert.deepEqual(await audit(p), [], path);
  }
  await anon.close();
});

test('the keyboard reaches the content first, and focus is visible', async () => {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, 'qly_reporter');
  await page.goto('/entry/QLY/2025Q4');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip', 'the skip link comes first');
  assert.ok(await page.evaluate(() => document.activeElement.getBoundingClientRect().left >= 0), 'and shows when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // Tabbing on reaches the first empty field of the form, each focus with a visible outline.
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return { id: el.id, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.ok(f.outline !== 'none' && f.width >= 2, `focus on ${f.id} is visible (${f.outline} ${f.width}px)`);
    reached = f.id === 'v-mediation_agreements';
  }
  assert.ok(reached, 'the keyboard reaches the fields to fill in');
  await page.keyboard.type('30');
  assert.equal(await page.inputValue('#v-mediation_agreements'), '30');
  await ctx.close();
});

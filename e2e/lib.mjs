// Shared by the browser tests: start the demo (the README's main command, on a fresh SQLite
// database in a temporary directory), drive Debian's Chromium with playwright-core, sign in.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
export const shots = join(root, 'e2e', 'screenshots');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

/** Starts `jixiao demo`; resolves with its address and the printed accounts. */
export async function startDemo(env = {}) {
  const bin = process.env.JIXIAO_BIN ?? join(root, 'target', 'debug', 'jixiao');
  const dir = mkdtempSync(join(tmpdir(), 'jixiao-e2e-'));
  const port = await freePort();
  const child = spawn(bin, ['demo', '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JIXIAO_LOG: 'warn', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`demo exited: ${err}`);
    try {
      const r = await fetch(`${base}/api/v1/ready`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (i > 600) throw new Error(`demo did not become ready: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const accounts = {};
  for (const line of out.split('\n')) {
    const m = line.match(/^ {2}(\w+)\s+([0-9a-f]{12})\s+(\w+)\s+(\S+)/);
    if (m) accounts[m[1]] = { password: m[2], role: m[3], unit: m[4] === '-' ? null : m[4] };
  }
  if (Object.keys(accounts).length < 9) throw new Error(`accounts not printed: ${out}`);
  return {
    base,
    accounts,
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A new browser context (its own cookies) at `width` pixels. */
export async function contextAt(browser, base, width = 1280) {
  return browser.newContext({ baseURL: base, viewport: { width, height: 900 }, locale: 'zh-CN' });
}

export const newPassword = (user) => `Pw-${user.length}-correct-horse-2026`;

/** Clicks a submit button and waits for the page the form leads to. */
export async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/**
 * Signs in through the login page; at the first sign-in the page asks for a new password,
 * which this chooses. Returns the page on the home page.
 */
export async function signIn(page, demo, user) {
  const acc = demo.accounts[user];
  await page.goto('/login');
  await page.fill('#username', user);
  await page.fill('#password', acc.changed ? newPassword(user) : acc.password);
  await submit(page, 'form.stack button[type=submit]');
  if (new URL(page.url()).pathname === '/auth/password') {
    await page.fill('#old_password', acc.password);
    await page.fill('#new_password', newPassword(user));
    await page.fill('#repeat', newPassword(user));
    await submit(page, 'form.stack button[type=submit]');
    acc.changed = true;
  }
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** The page's visible text outside elements marked as Chinese content (names, notes). */
export async function textOutsideChinese(page) {
  return page.evaluate(() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const parts = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[lang="zh-CN"], script, style, svg title, svg desc')) continue;
      parts.push(n.textContent);
    }
    // Attributes people read or hear: placeholders, labels, titles.
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
      if (el.closest('[lang="zh-CN"]')) continue;
      for (const a of ['placeholder', 'aria-label', 'title']) {
        if (el.getAttribute(a)) parts.push(el.getAttribute(a));
      }
    }
    parts.push(document.title);
    return parts.join(' ');
  });
}

// P12's citizen satisfaction survey in the browser: a citizen opens 金华社区's (QLY-C05) questionnaire
// from its link (the one its QR code holds) on a 360 px phone with JavaScript off, answers and
// submits; the community reaches the minimum sample and its satisfaction element changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test('a citizen answers by the QR link and the community satisfaction changes', async () => {
  const office = await contextAt(browser, demo.base);
  const o = await office.newPage();
  await signIn(o, demo, 'office');
  const value = async () => (await (await o.request.get('/api/v1/values/QLY-C05/satisfaction/2025Q4')).json()).row.value;
  const before = await value();
  await o.goto('/surveys');
  await submit(o, '#survey-table a');
  const row = o.locator('#survey-results tr[data-unit="QLY-C05"]');
  assert.match(await row.textContent(), /不足下限/);
  const link = await row.locator('a', { hasText: '链接' }).getAttribute('href');
  assert.match(link, /\/s\/1\/QLY-C05$/);
  const qr = await o.request.get('/s/1/QLY-C05/qr.svg');
  assert.equal(qr.headers()['content-type'], 'image/svg+xml');
  assert.match(await qr.text(), /<svg/);

  // The citizen's phone: no sign-in, no JavaScript.
  const phone = await browser.newContext({ baseURL: demo.base, viewport: { width: 360, height: 800 }, locale: 'zh-CN', javaScriptEnabled: false });
  const p = await phone.newPage();
  await p.goto(new URL(link).pathname);
  assert.match(await p.textContent('h1'), /满意度调查/);
  await p.check('input[name="q:service"][value="1"]');
  await p.check('input[name="q:environment"][value="2"]');
  await p.check('input[name="q:safety"][value="1"]');
  await p.fill('#sa-comment', '社区活动室开放时间希望延长');
  assert.ok((await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'fits the phone');
  await screenshot(p, 'survey-360');
  await submit(p, '#survey-answer button');
  assert.match(await p.textContent('#survey-thanks'), /感谢/);
  // The same phone cannot answer twice.
  await p.goto(new URL(link).pathname);
  await p.check('input[name="q:service"][value="3"]');
  await p.check('input[name="q:environment"][value="3"]');
  await p.check('input[name="q:safety"][value="5"]');
  await submit(p, '#survey-answer button');
  assert.match(await p.textContent('main'), /本设备已提交过/);

  // The results are written within seconds: the 30th answer reaches the minimum sample.
  let now = before;
  for (let i = 0; i < 40 && now === before; i++) {
    await new Promise((r) => setTimeout(r, 250));
    now = await value();
  }
  assert.notEqual(now, before, 'the satisfaction element changed');
  await o.reload();
  assert.match(await row.textContent(), /达到下限/);
  assert.match(await row.textContent(), /30/);
  await office.close();
  await phone.close();
});

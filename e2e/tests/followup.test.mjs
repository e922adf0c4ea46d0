// The acceptance of P9: submitting a litigation-loss rate over its line puts a red warning in
// the unit's and the lead department's inbox and on a webhook receiver; the unit answers it; a
// rectification task with a deadline follows; verifying it resolves the warning; the dashboard
// shows open warnings by age and level and the rectification rate per unit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
let receiver;
const got = [];
before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { got.push({ headers: req.headers, body }); res.end('ok'); });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  // A scheduled round every second, so the webhook is delivered while the test waits.
  demo = await startDemo({ JIXIAO_SCHEDULE_SECONDS: '1' });
  browser = await launch();
});
after(async () => { await browser?.close(); await demo?.stop(); receiver?.close(); });

async function as(user) {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  await signIn(page, demo, user);
  return { ctx, page };
}

test('a red warning is followed to its end', async () => {
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  const admin = await as('admin');
  await admin.page.goto('/channels');
  await admin.page.fill('#cn-name', '区考核办预警群');
  await admin.page.fill('#cn-target', hook);
  await admin.page.check('input[name=kind_of][value=warning]');
  await submit(admin.page, '#channel-add');
  assert.match(await admin.page.textContent('#channel-secret'), /[0-9a-f]{64}/);

  // 10 lawsuits concluded, 3 lost: 30% against a red line of 20%.
  const rep = await as('qly_reporter');
  await rep.page.goto('/entry/QLY/2025Q4');
  await rep.page.fill('#v-lit_concluded', '10');
  await rep.page.fill('#v-lit_lost', '3');
  await submit(rep.page, 'button[value=submit]');
  await rep.page.goto('/');
  assert.ok(Number(await rep.page.textContent('#inbox-count')) >= 1, 'an unread count in the header');
  await rep.page.goto('/inbox');
  assert.match(await rep.page.textContent('#inbox-items'), /红色预警/);
  const sfj = await as('sfj_reviewer');
  await sfj.page.goto('/inbox');
  assert.match(await sfj.page.textContent('#inbox-items'), /红色预警/);

  // The webhook receiver gets it, signed.
  for (let i = 0; i < 100 && !got.some((g) => g.body.includes('"warning"')); i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const sent = got.find((g) => g.body.includes('"warning"'));
  assert.ok(sent, 'the webhook received the warning');
  assert.match(sent.headers['x-jixiao-signature'], /^t=\d+,v1=[0-9a-f]{64}$/);

  // The unit answers; its rectification task follows.
  await rep.page.goto('/warnings?level=red&unit=QLY');
  await submit(rep.page, '#warnings-table a[href^="/warnings/"]');
  const warningUrl = rep.page.url();
  await rep.page.fill('#wa-cause', '征地补偿类案件集中败诉，个别案件程序瑕疵');
  await rep.page.fill('#wa-measures', '逐案复盘，重大决定一律经法制审核，律师全程参与应诉');
  await submit(rep.page, '#warning-answer-submit');
  assert.match(await rep.page.textContent('#warning-message'), /已答复/);
  await submit(rep.page, '#warning-tasks a');
  const taskUrl = rep.page.url();
  assert.match(await rep.page.textContent('#rect-facts'), /整改时限/);
  await submit(rep.page, '#rect-start');
  await rep.page.fill('#rt-submit', '已完成案件复盘，修订法制审核流程');
  await submit(rep.page, '#rect-submit');
  assert.match(await rep.page.textContent('#rect-state'), /待核验/);

  // The lead department verifies it: the warning is resolved.
  await sfj.page.goto(taskUrl);
  await submit(sfj.page, '#rect-verify');
  assert.match(await sfj.page.textContent('#rect-state'), /已销号/);
  await sfj.page.goto(warningUrl);
  assert.match(await sfj.page.textContent('#warning-state'), /已销号/);
  await screenshot(sfj.page, 'warning-resolved');

  // The office's dashboard: open warnings by age and level, rectification per unit.
  const office = await as('office');
  await office.page.goto('/dashboard/wolong-2025/2025Q4');
  assert.match(await office.page.textContent('#open-warnings-by-age'), /红色/);
  assert.match(await office.page.textContent('#rectification-rates'), /七里园街道/);
  await screenshot(office.page, 'dashboard-follow-up');
  for (const s of [admin, rep, sfj, office]) await s.ctx.close();
});

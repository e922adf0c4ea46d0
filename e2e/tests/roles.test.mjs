// Every role signs in (choosing its own password first) and lands on its own home page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

// role → the navigation it must see, and a home-page section only it (or its kind) has.
const expected = {
  admin: { role: 'admin', nav: ['首页', '数据导入', '审核', '排名总览', '考核方案', '预算项目', '交叉检查', '满意度调查', '执法监督', '发布公示', '申诉', '预警', '整改', '组织机构', '数据接口', '审计日志', '通知渠道', '公示结果'] },
  office: { role: 'office', nav: ['首页', '数据导入', '审核', '排名总览', '考核方案', '交叉检查', '满意度调查', '执法监督', '发布公示', '申诉', '预警', '整改', '组织机构', '数据接口', '审计日志', '公示结果'] },
  finance: { role: 'finance', nav: ['首页', '排名总览', '考核方案', '预算项目', '发布公示', '预警', '整改', '公示结果'] },
  sfj_reviewer: { role: 'lead_reviewer', nav: ['首页', '审核', '考核方案', '执法监督', '预警', '整改', '公示结果'] },
  qly_reporter: { role: 'reporter', nav: ['首页', '数据填报', '数据导入', '成绩单', '预算项目', '执法监督', '申诉', '预警', '整改', '公示结果'], section: '待填报' },
  qly_leader: { role: 'unit_leader', nav: ['首页', '审核', '成绩单', '预算项目', '执法监督', '申诉', '预警', '整改', '公示结果'], section: '待审核' },
  evaluator: { role: 'evaluator', nav: ['首页', '数据填报', '数据导入', '预算项目', '公示结果'], section: '待填报' },
  inspector: { role: 'inspector', nav: ['首页', '数据填报', '数据导入', '交叉检查', '公示结果'], section: '待填报' },
  leader: { role: 'leader', nav: ['首页', '排名总览', '考核方案', '执法监督', '申诉', '预警', '整改', '公示结果'] },
};

test('each role signs in, changes the seeded password and sees its home page', async () => {
  for (const [user, want] of Object.entries(expected)) {
    const ctx = await contextAt(browser, demo.base);
    const page = await ctx.newPage();
    await signIn(page, demo, user);
    assert.equal(new URL(page.url()).pathname, '/', `${user} lands on the home page`);
    assert.equal(await page.getAttribute('[data-role]', 'data-role'), want.role, user);
    await page.getByText('密码已修改').waitFor();
    const nav = await page.locator('header nav a').allTextContents();
    assert.deepEqual(nav, want.nav, `${user}'s navigation`);
    if (want.section) {
      assert.ok(await page.locator('h2', { hasText: want.section }).count(), `${user} sees ${want.section}`);
    }
    await screenshot(page, `home-${user}`);
    // Signing out ends the session: the home page asks to sign in again.
    await submit(page, 'header form button');
    assert.match(page.url(), /\/login$/);
    await page.goto('/');
    assert.match(page.url(), /\/login$/);
    await ctx.close();
  }
});

test('a wrong password is refused on the form, and repeated failures lock the account', async () => {
  const ctx = await contextAt(browser, demo.base);
  const page = await ctx.newPage();
  let last = '';
  for (let i = 0; i < 6; i++) {
    await page.goto('/login');
    await page.fill('#username', 'leader');
    await page.fill('#password', 'not-the-password');
    await submit(page, 'form.stack button[type=submit]');
    last = await page.textContent('#login-error');
  }
  assert.match(last, /锁定/, `the lockout is explained: ${last}`);
  await screenshot(page, 'login-locked');
  await ctx.close();
});

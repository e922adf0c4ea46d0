// Machine feeds: a system posts events with an API key; the numbers land in the scheme's
// elements with no hand work, and the office sees the feed's health and its problems.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextAt, launch, screenshot, signIn, startDemo, submit } from '../lib.mjs';

let demo;
let browser;
before(async () => { demo = await startDemo(); browser = await launch(); });
after(async () => { await browser?.close(); await demo?.stop(); });

test('the hotline posts cases; the office sees the numbers and the feed health', async () => {
  const ac = await contextAt(browser, demo.base);
  const admin = await ac.newPage();
  await signIn(admin, demo, 'admin');
  const csrf = await admin.inputValue('input[name=_csrf]');
  const made = await admin.evaluate(async (csrf) => {
    const r = await fetch('/api/v1/api-keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ name: '12345热线', role: 'feed', items: ['hotline_12345'] }),
    });
    return { status: r.status, body: await r.json() };
  }, csrf);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const post = (body) => fetch(`${demo.base}/api/v1/feeds/hotline_12345/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${made.body.key}` },
    body: JSON.stringify(body),
  });
  const events = [1, 2, 3, 4, 5].map((i) => ({
    id: `case-${i}`, unit: 'MZJ', at: `2025-10-0${i}T09:00:00+08:00`,
    data: { case_no: `W${i}`, closed_on_time: i !== 3 },
  }));
  let r = await post({ events });
  assert.equal(r.status, 200, await r.text());
  r = await post({ events }); // a replay
  assert.equal((await r.json()).replayed, 5);
  r = await post({ events: [{ id: 'case-9', unit: 'MZJ', at: '2025-10-09', data: { case_no: 'W9', closed_on_time: 'yes' } }] });
  assert.equal(r.status, 422);
  assert.equal((await r.json()).problems[0].path, 'events[0].data.closed_on_time');

  const oc = await contextAt(browser, demo.base);
  const office = await oc.newPage();
  await signIn(office, demo, 'office');
  const value = async (key) => office.evaluate(async (key) => (await (await fetch(`/api/v1/values/${key}`)).json()).row, key);
  const received = await value('MZJ/hotline_received/2025Q4');
  assert.equal(received.value, '5');
  assert.equal(received.state, 'counted');
  assert.equal((await value('MZJ/hotline_closed/2025Q4')).value, '4');

  await office.click('nav >> text=数据接口');
  const row = office.locator('#feed-health tr[data-feed=hotline_12345]');
  const cells = await row.locator('td').allTextContents();
  assert.match(cells[0], /hotline_received/);
  assert.deepEqual(cells.slice(3, 6).map((c) => c.trim()), ['5', '5', '1']);
  const problems = office.locator('#feed-hotline_12345 table.rejections tr', { hasText: 'closed_on_time' });
  assert.equal(await problems.count(), 1);
  assert.match(await problems.textContent(), /case-9/);
  await screenshot(office, 'feeds');
  await ac.close();
  await oc.close();
});

test('the office keeps the DHIS2 mapping table as a file', async () => {
  const oc = await contextAt(browser, demo.base);
  const office = await oc.newPage();
  await signIn(office, demo, 'office');
  await office.goto('/feeds');
  await office.click('text=DHIS2 对照表');
  assert.equal(new URL(office.url()).pathname, '/dhis2');
  const dir = mkdtempSync(join(tmpdir(), 'jixiao-dhis2-'));
  const good = join(dir, 'mapping.csv');
  writeFileSync(good, '类型,DHIS2 标识 dhis2,本系统代码 jixiao\ndata_element,fbfJHSPpUQD,mediation_cases\n组织机构,DiszpKrYNg8,QLY\n');
  await office.setInputFiles('#dhis2-file', good);
  await office.fill('#dhis2-reason', '与省平台对接');
  await submit(office, '#dhis2-form button');
  assert.match(await office.textContent('#dhis2-done'), /2/);
  assert.equal(await office.locator('#dhis2-mappings tbody tr').count(), 2);
  assert.match(await office.textContent('#dhis2-mappings'), /DiszpKrYNg8[\s\S]*QLY/);

  // A table with a code that does not exist: the row is named, and nothing changes.
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'kind,dhis2,jixiao\norg_unit,XXXX,NOWHERE\n');
  await office.setInputFiles('#dhis2-file', bad);
  await office.fill('#dhis2-reason', '试错');
  await submit(office, '#dhis2-form button');
  assert.match(await office.textContent('#dhis2-problems'), /第 2 行[\s\S]*NOWHERE/);
  assert.equal(await office.locator('#dhis2-mappings tbody tr').count(), 2);
  await screenshot(office, 'dhis2');
  await oc.close();
});

test('the office changes a feed definition on the page; a bad one is refused with its place', async () => {
  const oc = await contextAt(browser, demo.base);
  const office = await oc.newPage();
  await signIn(office, demo, 'office');
  await office.goto('/feeds');
  await office.click('#edit-service_reviews summary');
  const area = office.locator('#def-service_reviews');
  const toml = await area.inputValue();
  assert.match(toml, /\[fields\.rating\]/);
  await area.fill(`${toml}\n[fields.device]\ntype = "string"\nrequired = false\n`);
  await office.fill('#reason-service_reviews', '新增设备字段');
  await submit(office, '#edit-service_reviews button');
  const fields = await office.textContent('#feed-service_reviews');
  assert.match(fields, /device/);

  await office.click('#edit-service_reviews summary');
  await office.locator('#def-service_reviews').fill('name = { zh = "好差评" }\n[fields.rating]\ntype = "stars"\n');
  await office.fill('#reason-service_reviews', '试错');
  await submit(office, '#edit-service_reviews button');
  const refused = await office.textContent('#feed-refused');
  assert.match(refused, /service_reviews/);
  assert.match(refused, /stars/);
  assert.match(refused, /第3行|line 3/);
  await office.goto('/feeds');
  assert.match(await office.textContent('#feed-service_reviews'), /device/, 'nothing changed by the bad one');
  await oc.close();
});

// Real-browser test of the waiting list: Debian's Chromium driven by playwright-core, axe-core
// (WCAG 2.2 A/AA) on each page, screenshots in tests/artifacts/. Needs a running local stack
// (scripts/test.sh starts one): PT4C_API_URL and PT4C_CONTROL_URL.
//
// The flow: a parent with the e-learning done and no workshop that suits them (they need a
// Welsh interpreter) joins the waiting list from the booking page; a workshop with a Welsh
// interpreter is published; its seat is held for them and emailed; the email's accept link
// leads to a page with one button, which books it.

import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { API, CHROMIUM, CHROMIUM_ARGS, CONTROL, ROOT, assertNoAxeViolations, rfc3339, screenshot, send, steps, watchPage, syncClock, stackNow, clockNow, mailTo } from './support.mjs';

const DAY_MS = 24 * 3_600_000;
const ts = Date.now();
const referralId = `WAITING-${ts}`;
const parentId = `${referralId}.A`;
const parentEmail = `alex.waiting.${ts}@example.com`;
const step = steps();


const linkIn = (mail, pattern) => {
  const m = pattern.exec(mail.text ?? '');
  assert.ok(m, `no link ${pattern} in ${JSON.stringify(mail.subject)}:\n${mail.text}`);
  return m[0];
};

describe('The waiting list in Chromium', () => {
  let browser;
  let page;
  let problems;
  let bookingLink;
  let workshopId;

  before(async () => {
    assert.ok(API && CONTROL, 'set PT4C_API_URL and PT4C_CONTROL_URL to a running local stack (scripts/test.sh does)');
    await syncClock();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    problems = watchPage(page);
  });

  after(async () => {
    await browser?.close();
  });

  step('1. a parent who needs a Welsh interpreter finishes the e-learning', async () => {
    const body = JSON.parse(await readFile(join(ROOT, 'events', 'referral.json'), 'utf8'));
    body.referralId = referralId;
    // dates from the stack's clock: referred today, to complete within 60 days
    body.referredOn = stackNow().toISOString().slice(0, 10);
    body.completeBy = stackNow(60 * 24 * 3_600_000).toISOString().slice(0, 10);
    body.caseNumber = `WL${ts}`;
    body.parents[0].email = parentEmail;
    body.parents[0].interpreterLanguage = 'cy';
    body.parents[1].email = `jo.waiting.${ts}@example.com`;
    const { res, text } = await send('POST', `${API}/referrals`, body);
    assert.equal(res.status, 201, text);
    const { modules } = JSON.parse((await send('GET', `${API}/elearning/modules`)).text);
    for (const { moduleId } of modules) {
      const r = await send('POST', `${API}/elearning/completions`, { parentId, moduleId, completedAt: rfc3339(await clockNow()) });
      assert.equal(r.res.status, 200, r.text);
    }
    bookingLink = linkIn(await mailTo(parentEmail, /book your workshop/i), /https?:\/\/\S+\/book\/\S+/);
  });

  step('2. no workshop suits them: the booking page offers the waiting list (axe)', async () => {
    const res = await page.goto(bookingLink, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    assert.equal(await page.getByRole('heading', { name: 'Join the waiting list' }).count(), 1);
    await assertNoAxeViolations(page, 'the booking page with the waiting list');
    await screenshot(page, 'waiting-join.png');
  });

  step('3. they join it with one button: back on the page, on the list (axe)', async () => {
    await Promise.all([page.waitForURL(bookingLink), page.getByRole('button', { name: 'Join the waiting list' }).click()]);
    assert.equal(await page.getByRole('heading', { name: 'You are on the waiting list' }).count(), 1);
    await assertNoAxeViolations(page, 'the booking page, on the waiting list');
    await screenshot(page, 'waiting-joined.png');
    const view = JSON.parse((await send('GET', bookingLink)).text);
    assert.ok(view.waitingList?.joinedAt, JSON.stringify(view));
  });

  step('4. a workshop with a Welsh interpreter is published: its seat is held and emailed', async () => {
    const day = stackNow(12 * DAY_MS);
    day.setUTCHours(10, 0, 0, 0);
    const { res, text } = await send('POST', `${API}/workshops`, {
      startsAt: rfc3339(day), mode: 'online', location: 'https://meet.pt4c.example/w/waiting', capacity: 1, interpreters: ['cy'],
      trainer: { name: 'Tess Trainer', email: 'tess.trainer@pt4c.example' },
    });
    assert.equal(res.status, 201, text);
    workshopId = JSON.parse(text).workshopId;
    const offer = await mailTo(parentEmail, /place is held for you/i);
    const accept = linkIn(offer, /https?:\/\/\S+\/offer\/\S+\/accept/);
    const res2 = await page.goto(accept, { waitUntil: 'load' });
    assert.equal(res2?.status(), 200);
    assert.equal(await page.getByRole('button', { name: 'Take this place' }).count(), 1, 'a GET changes nothing: the page has the button');
    await assertNoAxeViolations(page, 'the offer page');
    await screenshot(page, 'waiting-offer.png');
  });

  step('5. they take the place: booked (axe), the seat theirs', async () => {
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Take this place' }).click()]);
    await page.getByRole('heading', { name: 'You are booked on the workshop' }).waitFor();
    await assertNoAxeViolations(page, 'the offer accepted');
    await screenshot(page, 'waiting-booked.png');
    const view = JSON.parse((await send('GET', bookingLink)).text);
    assert.equal(view.booking?.workshopId, workshopId, JSON.stringify(view));
    assert.equal(view.waitingList, null);
    assert.deepEqual(problems.splice(0), [], 'the pages have failed subresources or errors');
  });
});

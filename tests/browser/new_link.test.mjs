// "Get a new link to your Parent Hub" (/new-link) in Chromium at 375 px, with axe-core (WCAG 2.2
// A/AA): the form, an empty submit (the error summary), a parent's address (the "Check your
// email" page, and the fresh link in the mailbox). Needs a running local stack (scripts/test.sh
// starts one): PT4C_API_URL and PT4C_CONTROL_URL.

import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { API, CHROMIUM, CHROMIUM_ARGS, CONTROL, ROOT, assertFitsWidth, assertNoAxeViolations, screenshot, steps, watchPage, syncClock, stackNow } from './support.mjs';

const step = steps();
const ts = Date.now();
const referralId = `NEWLINK-${ts}`;
const parentA = `alex.${ts}@example.com`;

/** The emails to `address` so far. */
async function mailTo(address) {
  const res = await fetch(`${CONTROL}/mail`, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200);
  return (await res.json()).filter((m) => (m.to ?? []).some((to) => to.toLowerCase() === address));
}

/** Polls the mailbox until `address` has `count` emails (15 s at most). */
async function waitForMailTo(address, count) {
  const deadline = Date.now() + 15_000;
  let mails = [];
  while (Date.now() < deadline) {
    mails = await mailTo(address);
    if (mails.length >= count) return mails;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${address} has ${mails.length} email(s), not ${count}: ${mails.map((m) => m.subject).join('; ')}`);
}

describe('Get a new link to your Parent Hub, in Chromium at 375 px', () => {
  let browser;
  let page;
  let problems;

  before(async () => {
    assert.ok(API && CONTROL, 'set PT4C_API_URL and PT4C_CONTROL_URL to a running local stack (scripts/test.sh does)');
    await syncClock();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 375, height: 800 } });
    page = await context.newPage();
    problems = watchPage(page);
  });

  after(async () => {
    await browser?.close();
  });

  step('a referral whose parent A was welcomed', async () => {
    const body = JSON.parse(await readFile(join(ROOT, 'events', 'referral.json'), 'utf8'));
    body.referralId = referralId;
    // dates from the stack's clock: referred today, to complete within 60 days
    body.referredOn = stackNow().toISOString().slice(0, 10);
    body.completeBy = stackNow(60 * 24 * 3_600_000).toISOString().slice(0, 10);
    body.parents[0].email = parentA;
    body.parents[1].email = `jo.${ts}@example.com`;
    const res = await fetch(`${API}/referrals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, `POST /referrals answered ${res.status}: ${await res.text()}`);
    await waitForMailTo(parentA, 1);
  });

  step('/new-link: the form, accessible, fits a phone; reached from the contact page', async () => {
    await page.goto(`${API}/contact`, { waitUntil: 'load' });
    await Promise.all([page.waitForURL(`${API}/new-link`), page.getByRole('link', { name: 'get a new link by email' }).click()]);
    assert.equal(await page.getByRole('heading', { level: 1, name: 'Get a new link to your Parent Hub' }).count(), 1);
    const field = page.getByLabel('Email address');
    assert.equal(await field.getAttribute('type'), 'email');
    assert.equal(await field.getAttribute('autocomplete'), 'email');
    assert.equal(await field.getAttribute('spellcheck'), 'false');
    await assertNoAxeViolations(page, '/new-link');
    await assertFitsWidth(page, '/new-link');
    await screenshot(page, 'new-link.png');
    assert.deepEqual(problems.splice(0), [], '/new-link has failed subresources or errors');
  });

  step('an empty submit: the error summary, linked to the field, accessible', async () => {
    await page.goto(`${API}/new-link`, { waitUntil: 'load' });
    const [res] = await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.getByRole('button', { name: 'Send me a new link' }).click(),
    ]);
    assert.equal(res?.status(), 422);
    assert.match(await page.title(), /^Error: /);
    const summary = page.locator('.govuk-error-summary');
    assert.equal(await summary.count(), 1);
    assert.equal(await summary.getByRole('link', { name: 'Enter your email address' }).getAttribute('href'), '#email');
    await assertNoAxeViolations(page, '/new-link with an error');
    await assertFitsWidth(page, '/new-link with an error');
    await screenshot(page, 'new-link-error.png');
  });

  step("a parent's address, typed loosely: Check your email, accessible; the fresh link arrives", async () => {
    await page.goto(`${API}/new-link`, { waitUntil: 'load' });
    await page.getByLabel('Email address').fill(`  ${parentA.toUpperCase()} `);
    const [res] = await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.getByRole('button', { name: 'Send me a new link' }).click(),
    ]);
    assert.equal(res?.status(), 202);
    assert.equal(await page.getByRole('heading', { level: 1, name: 'Check your email' }).count(), 1);
    assert.ok((await page.content()).includes('If this address belongs to a parent on the course'));
    await assertNoAxeViolations(page, 'Check your email');
    await assertFitsWidth(page, 'Check your email');
    await screenshot(page, 'new-link-sent.png');
    const mails = await waitForMailTo(parentA, 2);
    assert.match(mails[mails.length - 1].text ?? '', /\/hub\//, 'the fresh email carries a Hub link');
    assert.deepEqual(problems.splice(0), [], 'the pages have failed subresources or errors');
  });
});

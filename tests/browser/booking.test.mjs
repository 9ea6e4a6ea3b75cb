// Real-browser tests of workshop booking: Debian's Chromium driven by playwright-core, axe-core
// (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA) on the booking page and its confirmation, full-page
// screenshots in tests/artifacts/.  Needs a running local stack (scripts/test.sh starts one):
//   PT4C_API_URL      the API, e.g. http://127.0.0.1:3000
//   PT4C_CONTROL_URL  the control plane (/mail), e.g. http://127.0.0.1:3001
// Run: node --test tests/browser/
//
// The flow: a referral (parent A online), parent A's e-learning completed, two online workshops
// published (a morning and an evening), the "book your workshop" email's /book/ link, the booking
// page, its filter narrowed to mornings (the evening workshop gone), booking the
// workshop (303 back to the same page, now the confirmation), the confirmation email with its
// calendar invitation.  The steps depend on each other; once one fails, the later ones are
// skipped rather than failing for the same cause.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { syncClock, stackNow, clockNow } from './support.mjs';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const AXE_PATH = require.resolve('axe-core/axe.min.js');

const API = (process.env.PT4C_API_URL ?? '').replace(/\/+$/, '');
const CONTROL = (process.env.PT4C_CONTROL_URL ?? '').replace(/\/+$/, '');

const CHROMIUM = process.env.PT4C_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const MAIL_TIMEOUT_MS = 20_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const ts = Date.now();
const referralId = `BOOKING-${ts}`;
const parentIdA = `${referralId}.A`;
const parentA = `alex.booking.${ts}@example.com`;
const parentB = `jo.booking.${ts}@example.com`;

// --- helpers ---------------------------------------------------------------------------------

let failed = null;
/** A dependent step: skipped once an earlier step failed. */
function step(name, fn, timeout = 60_000) {
  it(name, { timeout }, async (t) => {
    if (failed) {
      t.skip(`an earlier step failed: ${failed}`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      throw e;
    }
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** RFC 3339 without milliseconds, e.g. 2026-11-22T10:00:00Z. */
const rfc3339 = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

async function postJson(path, body) {
  const res = await fetch(`${API}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { res, text };
}

async function mailbox() {
  const res = await fetch(`${CONTROL}/mail`, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200, `GET ${CONTROL}/mail answered ${res.status}: ${await res.clone().text()}`);
  const mails = await res.json();
  assert.ok(Array.isArray(mails), 'GET /mail (JSON) is an array');
  return mails;
}

/** Polls /mail until an email matches `pred`; fails after 20 s, listing what did arrive. */
async function waitForMail(what, pred) {
  const deadline = Date.now() + MAIL_TIMEOUT_MS;
  let mails = [];
  for (;;) {
    mails = await mailbox();
    const found = mails.find(pred);
    if (found) return found;
    if (Date.now() >= deadline) break;
    await sleep(250);
  }
  const seen = mails
    .filter((m) => (m.to ?? []).some((to) => to.includes(`.${ts}@`)))
    .map((m) => `  to ${m.to.join(', ')}: ${JSON.stringify(m.subject)}`);
  assert.fail(`no ${what} within ${MAIL_TIMEOUT_MS / 1000} s; this test's mail so far:\n${seen.join('\n') || '  (none)'}`);
}

const toParentA = (m) => (m.to ?? []).some((to) => to.toLowerCase() === parentA);

/** The first URL with /book/ in an email's text. */
function bookLink(mail) {
  const m = /https?:\/\/[^\s<>"'()[\]]*\/book\/[^\s<>"'()[\]]+/.exec(mail.text ?? '');
  assert.ok(m, `the email ${JSON.stringify(mail.subject)} has no /book/ link in its text:\n${mail.text}`);
  return m[0].replace(/[.,;:!?]+$/, '');
}

/** Every page: CSP with frame-ancestors 'none', Referrer-Policy no-referrer, nosniff. */
async function assertSecurityHeaders(response) {
  const h = await response.allHeaders();
  const where = `${response.request().method()} ${response.url()} (${response.status()})`;
  const csp = h['content-security-policy'];
  assert.ok(csp, `${where}: no Content-Security-Policy header`);
  assert.match(csp, /frame-ancestors 'none'/, `${where}: the CSP has no frame-ancestors 'none': ${csp}`);
  assert.equal(h['referrer-policy']?.trim().toLowerCase(), 'no-referrer', `${where}: Referrer-Policy`);
  assert.equal(h['x-content-type-options']?.trim().toLowerCase(), 'nosniff', `${where}: X-Content-Type-Options`);
}

/** lang="en", exactly one main landmark, an h1 saying `heading`. */
async function assertPageBasics(page, heading) {
  assert.equal(await page.getAttribute('html', 'lang'), 'en', '<html lang="en">');
  assert.equal(await page.locator('main, [role="main"]').count(), 1, 'exactly one <main> landmark');
  const h1 = page.locator('h1');
  assert.ok((await h1.count()) >= 1, 'the page has an <h1>');
  const text = (await h1.first().innerText()).replace(/\s+/g, ' ').trim();
  assert.ok(text.toLowerCase().includes(heading.toLowerCase()), `the <h1> says ${JSON.stringify(heading)} (it says ${JSON.stringify(text)})`);
}

/** axe-core with the WCAG A/AA tags: zero violations, each one printed if any. */
async function assertNoAxeViolations(page, label) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    AXE_TAGS,
  );
  const report = results.violations.map((v) => {
    const nodes = v.nodes.map((n) => `      ${JSON.stringify(n.target)}  ${n.failureSummary?.split('\n').join(' ') ?? ''}`);
    return `  ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n${nodes.join('\n')}`;
  });
  if (report.length) console.log(`axe violations on ${label}:\n${report.join('\n')}`);
  assert.equal(results.violations.length, 0, `axe found ${results.violations.length} violation(s) on ${label}:\n${report.join('\n')}`);
}

async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

/**
 * Follows a page's subresources: any that failed or answered >= 400 (a stylesheet or script
 * of the page missing), and any Content-Security-Policy violation (only where CSP applies).
 */
function watchPage(page) {
  const problems = [];
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.request().isNavigationRequest()) return;
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

// --- the flow --------------------------------------------------------------------------------

describe('Workshop booking in Chromium', () => {
  let browser;
  let context; // CSP bypassed, so that axe-core can be injected as an inline script
  let strictContext; // CSP enforced: the pages' own styles and scripts must pass their CSP
  let page;
  let problems;
  let workshopId;
  let eveningId;
  let link;
  let inviteMail;

  before(async () => {
    assert.ok(API && CONTROL, 'set PT4C_API_URL and PT4C_CONTROL_URL to a running local stack (scripts/test.sh does)');
    await syncClock();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    strictContext = await browser.newContext({ locale: 'en-GB' });
    page = await context.newPage();
    problems = watchPage(page);
  });

  after(async () => {
    await browser?.close();
  });

  /** Opens `url` in a CSP-enforcing context too: no failed subresource, no CSP violation. */
  async function assertCleanUnderCsp(url, expectedStatus) {
    const strict = await strictContext.newPage();
    const strictProblems = watchPage(strict);
    try {
      const res = await strict.goto(url, { waitUntil: 'load' });
      assert.equal(res?.status(), expectedStatus, `GET ${url} (CSP enforced)`);
      await strict.waitForLoadState('networkidle').catch(() => {});
      assert.deepEqual(strictProblems, [], `with its CSP enforced, ${url} has problems`);
    } finally {
      await strict.close();
    }
  }

  step('1. POST /referrals creates a referral, parent A online (201)', async () => {
    const body = JSON.parse(await readFile(join(ROOT, 'events', 'referral.json'), 'utf8'));
    body.referralId = referralId;
    // dates from the stack's clock: referred today, to complete within 60 days
    body.referredOn = stackNow().toISOString().slice(0, 10);
    body.completeBy = stackNow(60 * 24 * 3_600_000).toISOString().slice(0, 10);
    body.parents[0].email = parentA;
    body.parents[0].workshopMode = 'online';
    body.parents[1].email = parentB;
    const { res, text } = await postJson('/referrals', body);
    assert.equal(res.status, 201, `POST /referrals answered ${res.status}: ${text}`);
  });

  step('2. parent A completes every e-learning module (200 each)', async () => {
    const res = await fetch(`${API}/elearning/modules`, { headers: { accept: 'application/json' } });
    const text = await res.text();
    assert.equal(res.status, 200, `GET /elearning/modules answered ${res.status}: ${text}`);
    const { modules } = JSON.parse(text);
    assert.ok(Array.isArray(modules) && modules.length > 0, `GET /elearning/modules lists modules: ${text}`);
    const completedAt = rfc3339(await clockNow());
    for (const { moduleId } of modules) {
      const { res: r, text: t } = await postJson('/elearning/completions', { parentId: parentIdA, moduleId, completedAt });
      assert.equal(r.status, 200, `POST /elearning/completions (${moduleId}) answered ${r.status}: ${t}`);
    }
  });

  step('3. POST /workshops publishes a morning and an evening online workshop (201 each)', async () => {
    // 09:00 and 18:00 UTC are 9 or 10am and 6 or 7pm in London, whatever the season.
    const publish = async (days, hour) => {
      const day = stackNow(days * DAY_MS);
      day.setUTCHours(hour, 0, 0, 0);
      const { res, text } = await postJson('/workshops', {
        startsAt: rfc3339(day),
        mode: 'online',
        location: 'https://meet.pt4c.example/w/browser',
        capacity: 6,
        trainer: { name: 'Tess Trainer', email: 'tess.trainer@pt4c.example' },
      });
      assert.equal(res.status, 201, `POST /workshops answered ${res.status}: ${text}`);
      const id = JSON.parse(text).workshopId;
      assert.ok(typeof id === 'string' && id, `POST /workshops gave a workshopId: ${text}`);
      return id;
    };
    workshopId = await publish(10, 9);
    eveningId = await publish(10, 18);
  });

  step('4. the "book your workshop" email reaches parent A with a /book/ link', async () => {
    inviteMail = await waitForMail(
      `"book your workshop" email to ${parentA}`,
      (m) => toParentA(m) && /book your workshop/i.test(m.subject ?? ''),
    );
    link = bookLink(inviteMail);
    console.log(`booking email ${JSON.stringify(inviteMail.subject)}, link ${link}`);
  });

  step('5. the booking page: 200, the workshop offered, accessible, security headers', async () => {
    const res = await page.goto(link, { waitUntil: 'load' });
    assert.ok(res, `no response for ${link}`);
    assert.equal(res.status(), 200, `GET ${link}`);
    await assertSecurityHeaders(res);
    await page.waitForLoadState('networkidle').catch(() => {});
    await assertPageBasics(page, 'Book a workshop');
    const radio = page.locator(`input[type="radio"][value="${workshopId}"]`);
    assert.equal(await radio.count(), 1, `one radio input for workshop ${workshopId}`);
    assert.equal(await page.locator(`input[type="radio"][value="${eveningId}"]`).count(), 1, 'the evening workshop is offered too');
    assert.ok((await page.getByRole('heading', { name: /^Week beginning / }).count()) >= 1, 'workshops are grouped by week');
    await screenshot(page, 'booking.png');
    await assertNoAxeViolations(page, 'the booking page');
    assert.deepEqual(problems.splice(0), [], 'the booking page has failed subresources or errors');
    await assertCleanUnderCsp(link, 200);
  });

  step('5a. the filter: mornings only, applied with a GET; the evening workshop is not offered', async () => {
    await page.getByLabel(/^Morning/).check();
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame()),
      page.getByRole('button', { name: 'Apply' }).click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(res.status(), 200, `GET ${res.url()}`);
    const url = new URL(res.url());
    assert.equal(url.pathname, new URL(link).pathname, 'the filter stays on the same /book/ page');
    assert.deepEqual(url.searchParams.getAll('time'), ['morning'], `the filter is in the query: ${url.search}`);
    await assertSecurityHeaders(res);
    await page.waitForLoadState('networkidle').catch(() => {});
    await assertPageBasics(page, 'Book a workshop');
    assert.ok(await page.getByLabel(/^Morning/).isChecked(), 'the page shows the filter as chosen');
    assert.equal(await page.locator(`input[type="radio"][value="${workshopId}"]`).count(), 1, 'the morning workshop is offered');
    assert.equal(await page.locator(`input[type="radio"][value="${eveningId}"]`).count(), 0, 'the evening workshop is not');
    await screenshot(page, 'booking-filtered.png');
    await assertNoAxeViolations(page, 'the filtered booking page');
    assert.deepEqual(problems.splice(0), [], 'the filtered booking page has failed subresources or errors');
    await assertCleanUnderCsp(res.url(), 200);
  });

  step('5b. an unknown filter value: 400, the page with an error summary, accessible', async () => {
    const bad = `${link}?time=midnight`;
    const res = await page.goto(bad, { waitUntil: 'load' });
    assert.equal(res?.status(), 400, `GET ${bad}`);
    await page.waitForLoadState('networkidle').catch(() => {});
    assert.equal(await page.locator('.govuk-error-summary').count(), 1, 'a GOV.UK error summary');
    await assertNoAxeViolations(page, 'the booking page with an unknown filter');
    assert.deepEqual(problems.splice(0), [], 'the page with an unknown filter has failed subresources or errors');
    await page.goto(`${link}?time=morning`, { waitUntil: 'load' });
  });

  step('6. booking the workshop: 303 back to the page, now "Your workshop is booked"', async () => {
    await page.check(`input[type="radio"][value="${workshopId}"]`);
    const button = page.getByRole('button', { name: 'Book this workshop' });
    // the POST's own response (the redirect) and the document it leads to
    const [post, res] = await Promise.all([
      page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST'),
      page.waitForResponse(
        (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400),
      ),
      button.click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(post.status(), 303, `POST ${post.url()}`);
    assert.equal(res.status(), 200, `${res.request().method()} ${res.url()}`);
    assert.equal(new URL(res.url()).pathname, new URL(link).pathname, 'the redirect leads back to the same /book/ page');
    await assertSecurityHeaders(res);
    await page.waitForLoadState('networkidle').catch(() => {});
    await assertPageBasics(page, 'Your workshop is booked');
    assert.equal(await page.locator('.govuk-panel--confirmation').count(), 1, 'the confirmation panel is shown');
    await screenshot(page, 'booking-confirmed.png');
    await assertNoAxeViolations(page, 'the booking confirmation');
    assert.deepEqual(problems.splice(0), [], 'the booking confirmation has failed subresources or errors');
    await assertCleanUnderCsp(link, 200);
  });

  step('7. the "Your workshop is booked" email reaches parent A with a calendar invitation', async () => {
    const mail = await waitForMail(
      `"Your workshop is booked" email to ${parentA}`,
      (m) => toParentA(m) && /your workshop is booked/i.test(m.subject ?? ''),
    );
    const attachments = mail.attachments ?? [];
    const ics = attachments.find((a) => (a.contentType ?? '').toLowerCase().startsWith('text/calendar'));
    assert.ok(
      ics,
      `the email ${JSON.stringify(mail.subject)} has no text/calendar attachment; it has: ${JSON.stringify(
        attachments.map((a) => ({ filename: a.filename, contentType: a.contentType })),
      )}`,
    );
    console.log(`confirmation email ${JSON.stringify(mail.subject)}, attachment ${ics.filename} (${ics.contentType})`);
  });
});

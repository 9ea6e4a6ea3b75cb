// Real-browser tests of the Parent Hub: Debian's Chromium driven by playwright-core, axe-core
// (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA) on every page a parent sees, full-page screenshots in
// tests/artifacts/.  Needs a running local stack (scripts/test.sh starts one):
//   PT4C_API_URL      the API, e.g. http://127.0.0.1:3000
//   PT4C_CONTROL_URL  the control plane (/mail, /clock), e.g. http://127.0.0.1:3001
// Run: node --test tests/browser/
//
// The steps depend on each other (a referral, its welcome email, the hub link, the expired link,
// a new link); once one fails, the later ones are skipped rather than failing for the same cause.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { syncClock, stackNow } from './support.mjs';

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
const MAIL_TIMEOUT_MS = 15_000;
const HOUR_MS = 3_600_000;

const ts = Date.now();
const referralId = `BROWSER-${ts}`;
const parentA = `alex.${ts}@example.com`;
const parentB = `jo.${ts}@example.com`;

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

async function mailbox() {
  const res = await fetch(`${CONTROL}/mail`, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200, `GET ${CONTROL}/mail answered ${res.status}: ${await res.clone().text()}`);
  const mails = await res.json();
  assert.ok(Array.isArray(mails), 'GET /mail (JSON) is an array');
  return mails;
}

/** Polls /mail until an email matches `pred`; fails after 15 s, listing what did arrive. */
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

/** The first URL with /hub/ in an email's text. */
function hubLink(mail) {
  const m = /https?:\/\/[^\s<>"'()[\]]*\/hub\/[^\s<>"'()[\]]+/.exec(mail.text ?? '');
  assert.ok(m, `the email ${JSON.stringify(mail.subject)} has no /hub/ link in its text:\n${mail.text}`);
  return m[0].replace(/[.,;:!?]+$/, '');
}

async function setClock(now) {
  const res = await fetch(`${CONTROL}/clock`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ now }),
  });
  assert.ok(res.ok, `PUT /clock answered ${res.status}: ${await res.text()}`);
}

async function resetClock() {
  const res = await fetch(`${CONTROL}/clock`, { method: 'DELETE' });
  assert.ok(res.ok, `DELETE /clock answered ${res.status}`);
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

describe('Parent Hub in Chromium', () => {
  let browser;
  let context; // CSP bypassed, so that axe-core can be injected as an inline script
  let strictContext; // CSP enforced: the pages' own styles and scripts must pass their CSP
  let page;
  let problems;
  let welcomeLink;
  let firstMail;

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
    // never leave the stack's clock set, whatever failed
    if (CONTROL) await fetch(`${CONTROL}/clock`, { method: 'DELETE' }).catch(() => {});
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

  step('a. POST /referrals creates a referral (201)', async () => {
    const body = JSON.parse(await readFile(join(ROOT, 'events', 'referral.json'), 'utf8'));
    body.referralId = referralId;
    // dates from the stack's clock: referred today, to complete within 60 days
    body.referredOn = stackNow().toISOString().slice(0, 10);
    body.completeBy = stackNow(60 * 24 * 3_600_000).toISOString().slice(0, 10);
    body.parents[0].email = parentA;
    body.parents[1].email = parentB;
    const res = await fetch(`${API}/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, `POST /referrals answered ${res.status}: ${await res.text()}`);
  });

  step('b. the welcome email reaches parent A with a /hub/ link', async () => {
    firstMail = await waitForMail(`welcome email to ${parentA}`, toParentA);
    welcomeLink = hubLink(firstMail);
    console.log(`welcome email ${JSON.stringify(firstMail.subject)}, hub link ${welcomeLink}`);
  });

  step('c. the Parent Hub page: 200, accessible, security headers', async () => {
    const res = await page.goto(welcomeLink, { waitUntil: 'load' });
    assert.ok(res, `no response for ${welcomeLink}`);
    assert.equal(res.status(), 200, `GET ${welcomeLink}`);
    await assertSecurityHeaders(res);
    await page.waitForLoadState('networkidle').catch(() => {});
    await assertPageBasics(page, 'Your Parent Hub');
    await screenshot(page, 'hub.png');
    await assertNoAxeViolations(page, 'the Parent Hub');
    assert.deepEqual(problems.splice(0), [], 'the Parent Hub page has failed subresources or errors');
    await assertCleanUnderCsp(welcomeLink, 200);
  });

  step('c2. opening the link set nothing up; the set-up button (a POST) does, from the keyboard', async () => {
    const before = await (await fetch(`${API}/referrals/${referralId}`)).json();
    assert.equal(before.parents[0].status, 'invited', 'a GET of the welcome link (a mail scanner) sets nothing up');
    await page.goto(welcomeLink, { waitUntil: 'load' });
    const button = page.getByRole('button', { name: 'Set up your Parent Hub' });
    assert.equal(await button.count(), 1, 'the page offers the set-up button');
    await button.focus();
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    await assertPageBasics(page, 'Your Parent Hub');
    assert.ok((await page.content()).includes('Your course'), 'once set up, the Hub shows the course');
    await screenshot(page, 'hub-set-up.png');
    await assertNoAxeViolations(page, 'the Parent Hub once set up');
    const after = await (await fetch(`${API}/referrals/${referralId}`)).json();
    assert.equal(after.parents[0].status, 'activated');
    assert.deepEqual(problems.splice(0), [], 'the set-up round trip has failed subresources or errors');
  });

  step('d1. 73 hours on, the same link gives the expired page (410)', async () => {
    await setClock(stackNow(73 * HOUR_MS).toISOString());
    const res = await page.goto(welcomeLink, { waitUntil: 'load' });
    assert.ok(res, `no response for ${welcomeLink}`);
    assert.equal(res.status(), 410, `GET ${welcomeLink} after 73 h`);
    await assertSecurityHeaders(res);
    await page.waitForLoadState('networkidle').catch(() => {});
    await assertPageBasics(page, 'This link has expired');
    const submits = page.locator(
      'form button[type="submit"], form button:not([type]), form input[type="submit"], form input[type="image"]',
    );
    assert.equal(await submits.count(), 1, 'exactly one submit button in a form');
    await screenshot(page, 'hub-expired.png');
    await assertNoAxeViolations(page, 'the expired link page');
    assert.deepEqual(problems.splice(0), [], 'the expired link page has failed subresources or errors');
    await assertCleanUnderCsp(welcomeLink, 410);
  });

  step('d2. asking for a new link: 202, "Check your email", accessible', async () => {
    const submit = page.locator(
      'form button[type="submit"], form button:not([type]), form input[type="submit"], form input[type="image"]',
    );
    // the document the click leads to (after any redirect)
    const [res] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400),
      ),
      submit.click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(res.status(), 202, `${res.request().method()} ${res.url()}`);
    await assertSecurityHeaders(res);
    await page.waitForLoadState('networkidle').catch(() => {});
    await assertPageBasics(page, 'Check your email');
    await screenshot(page, 'new-link-sent.png');
    await assertNoAxeViolations(page, 'the new link sent page');
    assert.deepEqual(problems.splice(0), [], 'the new link sent page has failed subresources or errors');
  });

  step('d3. the new link arrives by email and opens the Hub (200) while the clock is 73 h on', async () => {
    const mail = await waitForMail(
      `"new Parent Hub link" email to ${parentA}`,
      (m) => toParentA(m) && m.messageId !== firstMail.messageId && /new Parent Hub link/i.test(m.subject ?? ''),
    );
    const link = hubLink(mail);
    assert.notEqual(link, welcomeLink, 'the new link differs from the expired one');
    const res = await page.goto(link, { waitUntil: 'load' });
    assert.ok(res, `no response for ${link}`);
    assert.equal(res.status(), 200, `GET ${link} (new link, clock 73 h on)`);
    await assertSecurityHeaders(res);
    await assertPageBasics(page, 'Your Parent Hub');
    await resetClock();
  });
});

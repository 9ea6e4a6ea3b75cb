// The staff console in Chromium: a new coordinator's first sign-in (new password, authenticator
// app set up with a real TOTP code), publishing and changing a workshop, booking a parent by phone
// and moving them; a trainer who sees only their workshops records attendance, a follow-up call
// and a concern; a Family Court Adviser sees their case and nothing else. The parent needs a Polish
// interpreter: the coordinator records one on the workshop and marks the arrangement done from the
// dashboard, where it is flagged (the workshop is within 72 hours). axe-core on every page
// (WCAG 2.2 AA), each page also at 375 px wide; screenshots in tests/artifacts/console-*.png.
// Needs a running local stack (scripts/test.sh starts one): PT4C_API_URL, PT4C_CONTROL_URL.

import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { TOTP } from 'otpauth';
import {
  API, CONTROL, CHROMIUM, CHROMIUM_ARGS, steps, rfc3339, send, assertNoAxeViolations, screenshot, assertFitsWidth, watchPage, syncClock, stackNow, clockNow,
} from './support.mjs';

const DAY_MS = 24 * 3_600_000;
const ts = Date.now();
const referralId = `CONSOLE-${ts}`;
const parentId = `${referralId}.A`;
const otherReferral = `CONSOLE-OTHER-${ts}`;
const coordinator = { email: `cora.${ts}@pt4c.example`, password: `Temporary-${ts}-Aa1!`, newPassword: `Chosen-${ts}-Bb2?` };
const trainer = { email: `tess.${ts}@pt4c.example`, password: `Trainer-${ts}-Cc3!` };
const adviser = { email: `sam.${ts}@cafcass.example`, password: `Adviser-${ts}-Dd4!` };
const step = steps();

async function staffUser(who, name, role, temporary) {
  const { res, text } = await send('POST', `${CONTROL}/staff-users`, { email: who.email, name, role, password: who.password, temporary });
  assert.equal(res.status, 201, `POST /staff-users (${role}) answered ${res.status}: ${text}`);
}

async function referral(id, fca) {
  const completeBy = stackNow(60 * DAY_MS).toISOString().slice(0, 10);
  const body = {
    referralId: id, caseNumber: `ZW26P${String(ts).slice(-5)}`, court: { name: 'Central Family Court', email: 'cfc.private@court.example' },
    familyCourtAdviser: { name: 'Sam Adviser', email: fca }, referredOn: stackNow().toISOString().slice(0, 10), completeBy,
    safeguardingConcerns: false,
    parents: [
      { parentRef: 'A', firstName: 'Alex', lastName: 'Console', email: `alex.${ts}@example.com`, phone: '+447700900123', workshopMode: 'online',
        interpreterLanguage: 'pl', adjustments: 'Step-free access' },
      { parentRef: 'B', firstName: 'Jo', lastName: 'Console', email: `jo.${ts}@example.com` },
    ],
  };
  const { res, text } = await send('POST', `${API}/referrals`, body);
  assert.equal(res.status, 201, `POST /referrals answered ${res.status}: ${text}`);
}

describe('The staff console in Chromium', () => {
  let browser;
  let context;
  let phone;
  let page;
  let problems;
  let phoneWorkshop;
  let newWorkshop;

  before(async () => {
    assert.ok(API && CONTROL, 'set PT4C_API_URL and PT4C_CONTROL_URL to a running local stack (scripts/test.sh does)');
    await syncClock();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    phone = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 375, height: 740 } });
    page = await context.newPage();
    problems = watchPage(page);
  });

  after(async () => {
    await fetch(`${CONTROL}/clock`, { method: 'DELETE' }).catch(() => {});
    await browser?.close();
  });

  /** The page now shown: its h1, axe, a screenshot, the same page at 375 px, no failed subresource. */
  async function check(heading, shot) {
    await page.waitForLoadState('load');
    const h1 = (await page.locator('h1').first().innerText()).replace(/\s+/g, ' ');
    assert.ok(h1.toLowerCase().includes(heading.toLowerCase()), `the <h1> says ${JSON.stringify(heading)} (it says ${JSON.stringify(h1)})`);
    await assertNoAxeViolations(page, heading);
    await screenshot(page, `console-${shot}.png`);
    assert.deepEqual(problems.splice(0), [], `${heading}: failed subresources or errors`);
    if (new URL(page.url()).pathname.startsWith('/console/sign-in')) return;
    const small = await phone.newPage();
    await phone.addCookies(await context.cookies());
    await small.goto(page.url(), { waitUntil: 'load' });
    await assertFitsWidth(small, heading);
    await small.close();
  }

  async function submit(button) {
    assert.equal(await page.getByRole('button', { name: button, exact: true }).count(), 1, `one "${button}" button on ${page.url()}`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: button, exact: true }).click()]);
  }

  async function signIn(who) {
    await page.goto(`${API}/console/sign-in`, { waitUntil: 'load' });
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    // The keyboard alone signs in.
    await page.focus('#password');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  }

  async function signOut() {
    await submit('Sign out');
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
  }

  step('1. given a referral, e-learning done, and two workshops of the trainer', async () => {
    await referral(referralId, adviser.email);
    await referral(otherReferral, `other.${ts}@cafcass.example`);
    const modules = JSON.parse((await send('GET', `${API}/elearning/modules`)).text).modules;
    for (const { moduleId } of modules) {
      const { res, text } = await send('POST', `${API}/elearning/completions`, { parentId, moduleId, completedAt: rfc3339(await clockNow()) });
      assert.equal(res.status, 200, text);
    }
    const starts = stackNow(5 * DAY_MS);
    starts.setUTCHours(10, 0, 0, 0);
    const { res, text } = await send('POST', `${API}/workshops`, {
      startsAt: rfc3339(starts), mode: 'online', location: 'https://meet.pt4c.example/w/console', trainer: { name: 'Tess Trainer', email: trainer.email },
    });
    assert.equal(res.status, 201, text);
    phoneWorkshop = JSON.parse(text).workshopId;
    await staffUser(coordinator, 'Cora Coordinator', 'coordinator', true);
    await staffUser(trainer, 'Tess Trainer', 'trainer', false);
    await staffUser(adviser, 'Sam Adviser', 'cafcass', false);
  });

  step('2. a new coordinator signs in: a new password, then an authenticator app set up with a real code', async () => {
    await signIn(coordinator);
    await check('Choose a new password', 'new-password');
    await page.fill('#password', coordinator.newPassword);
    await page.fill('#confirmPassword', coordinator.newPassword);
    await submit('Continue');
    await check('Set up your authenticator app', 'set-up-authenticator');
    const secret = (await page.locator('#setup-key').innerText()).trim();
    const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
    await page.fill('#code', totp.generate());
    await submit('Continue');
    await check('Dashboard', 'dashboard');
  });

  step('3. the coordinator publishes a workshop, then changes its places', async () => {
    await page.goto(`${API}/console/workshops`, { waitUntil: 'load' });
    await check('Workshops', 'workshops');
    await page.goto(`${API}/console/workshops/new`, { waitUntil: 'load' });
    await check('Publish a workshop', 'publish');
    await submit('Publish workshop');
    await check('Publish a workshop', 'publish-errors');
    assert.ok((await page.locator('.govuk-error-summary').count()) === 1, 'an error summary names the missing fields');
    const starts = stackNow(2 * DAY_MS);
    const local = starts.toLocaleString('sv-SE', { timeZone: 'Europe/London' }).slice(0, 16).replace(' ', 'T');
    await page.fill('#startsAt', local.slice(0, 11) + '10:00');
    await page.check('#mode');
    await page.fill('#location', 'https://meet.pt4c.example/w/console-2');
    await page.fill('#trainerName', 'Tess Trainer');
    await page.fill('#trainerEmail', trainer.email);
    await page.fill('#interpreters', 'pl');
    await submit('Publish workshop');
    newWorkshop = new URL(page.url()).pathname.split('/').pop();
    await check('Workshop', 'workshop');
    await page.getByRole('link', { name: 'Change this workshop' }).click();
    await page.waitForLoadState('load');
    await check('Change workshop', 'edit');
    await page.fill('#capacity', '5');
    await submit('Save changes');
    assert.ok((await page.locator('main').innerText()).includes('0 of 5'), 'the workshop now has 5 places');
  });

  step('4. the coordinator books the parent by phone, then moves them', async () => {
    await page.goto(`${API}/console/parents?q=${referralId}`, { waitUntil: 'load' });
    await check('Find a parent', 'find');
    await page.getByRole('link', { name: 'Alex Console' }).click();
    await page.waitForLoadState('load');
    await check('Alex Console', 'parent');
    await page.check(`input[value="${phoneWorkshop}"]`);
    await submit('Book workshop');
    await check('Alex Console', 'booked');
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Booked/);
    await page.check(`input[value="${newWorkshop}"]`);
    await submit('Move booking');
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Booking moved/);
    // The booking's event opens the arrangement task a moment later: the dashboard lists it, flagged.
    await page.goto(`${API}/console/`, { waitUntil: 'load' });
    for (let tries = 0; tries < 50 && (await page.locator('#arrangements').count()) === 0; tries += 1) {
      await page.reload({ waitUntil: 'load' });
    }
    await check('Dashboard', 'dashboard-tasks');
    const tasks = await page.locator('main').innerText();
    assert.match(tasks, /An interpreter for pl and adjustments/);
    assert.match(tasks, /starts within 72 hours/i);
    const arranged = page.getByRole('button', { name: /^Mark as arranged\s*: An interpreter for pl and adjustments for Alex Console$/ });
    assert.equal(await arranged.count(), 1, 'one "Mark as arranged" button, naming the task');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), arranged.click()]);
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Marked as arranged/);
    await page.goto(`${API}/console/workshops/${newWorkshop}`, { waitUntil: 'load' });
    assert.match(await page.locator('main').innerText(), /Interpreter for pl: booked/);
    await page.goto(`${API}/console/audit`, { waitUntil: 'load' });
    await check('Audit trail', 'audit');
    assert.match(await page.locator('main').innerText(), /booking\.move/);
    await signOut();
  });

  step('5. a trainer sees only their workshops, records attendance, a follow-up call and a concern', async () => {
    // The workshop has started: an hour after its start (whatever the time of day this runs at),
    // the stack's clock moves on; sessions start after it.
    const { res: got, text } = await send('GET', `${API}/workshops/${newWorkshop}`);
    assert.equal(got.status, 200, text);
    const started = new Date(Date.parse(JSON.parse(text).startsAt) + 3_600_000);
    const { res } = await send('PUT', `${CONTROL}/clock`, { now: rfc3339(started) });
    assert.equal(res.status, 200);
    await signIn(trainer);
    assert.equal(new URL(page.url()).pathname, '/console/', `the trainer is signed in (at ${page.url()})`);
    await check('Dashboard', 'trainer-dashboard');
    await page.goto(`${API}/console/workshops/${newWorkshop}`, { waitUntil: 'load' });
    await check('Workshop', 'roster');
    const attended = page.locator('button[name="attended"][value="yes"]');
    assert.equal(await attended.count(), 1, 'the roster offers attendance once the workshop has started');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), attended.click()]);
    assert.match(await page.locator('main').innerText(), /Attended/);
    await page.goto(`${API}/console/parents/${parentId}`, { waitUntil: 'load' });
    await page.check('#outcome');
    await submit('Record call');
    await check('Alex Console', 'follow-up');
    await page.fill('#summary', 'Said they were worried about their safety at handover.');
    await submit('Raise concern');
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Concern raised/);
    await page.goto(`${API}/console/concerns`, { waitUntil: 'load' });
    await check('Concerns', 'concerns');
    assert.match(await page.locator('main').innerText(), /worried about their safety/);
    await page.goto(`${API}/console/follow-ups?status=done`, { waitUntil: 'load' });
    await check('Follow-up calls', 'follow-ups');
    const audit = await page.goto(`${API}/console/audit`, { waitUntil: 'load' });
    assert.equal(audit.status(), 403, 'a trainer has no audit page');
    await check('You do not have access', 'forbidden');
    await page.goto(`${API}/console/`, { waitUntil: 'load' });
    await signOut();
  });

  step('6. a Family Court Adviser sees their case and nothing else', async () => {
    await signIn(adviser);
    const mine = await page.goto(`${API}/console/parents/${parentId}`, { waitUntil: 'load' });
    assert.equal(mine.status(), 200);
    await check('Alex Console', 'adviser-parent');
    assert.equal(await page.getByRole('button', { name: 'Raise concern' }).count(), 0, 'read-only');
    const theirs = await page.goto(`${API}/console/parents/${otherReferral}.A`, { waitUntil: 'load' });
    assert.equal(theirs.status(), 403);
    const workshops = await page.goto(`${API}/console/workshops`, { waitUntil: 'load' });
    assert.equal(workshops.status(), 403);
  });
});

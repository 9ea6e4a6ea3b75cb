// Unreachable parents in Chromium: a parent's welcome bounces (SES's mailbox simulator, which the
// local stack turns into SES's events); the coordinator finds them on the dashboard under
// "Unreachable parents", opens their page, corrects the address, and the welcome goes to the new
// one. axe-core (WCAG 2.2 AA) on each page, each also at 375 px; screenshots in tests/artifacts/.
// Needs a running local stack (scripts/test.sh starts one): PT4C_API_URL and PT4C_CONTROL_URL.

import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { API, CHROMIUM, CHROMIUM_ARGS, CONTROL, assertFitsWidth, assertNoAxeViolations, screenshot, send, steps, watchPage, syncClock, stackNow } from './support.mjs';

const DAY_MS = 24 * 3_600_000;
const ts = Date.now();
const referralId = `UNREACHABLE-${ts}`;
const parentId = `${referralId}.A`;
const corrected = `alex.corrected.${ts}@example.com`;
const coordinator = { email: `cora.unreachable.${ts}@pt4c.example`, password: `Coordinator-${ts}-Aa1!` };
const step = steps();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('Unreachable parents in Chromium', () => {
  let browser;
  let context;
  let phone;
  let page;
  let problems;

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
    await browser?.close();
  });

  /** The page now shown: axe, a screenshot, the same page at 375 px, no failed subresource. */
  async function check(label, shot) {
    await page.waitForLoadState('load');
    await assertNoAxeViolations(page, label);
    await screenshot(page, `${shot}.png`);
    assert.deepEqual(problems.splice(0), [], `${label}: failed subresources or errors`);
    const small = await phone.newPage();
    await phone.addCookies(await context.cookies());
    await small.goto(page.url(), { waitUntil: 'load' });
    await assertFitsWidth(small, label);
    await small.close();
  }

  step('1. a referral whose parent A\'s welcome bounces', async () => {
    const { res: made, text: why } = await send('POST', `${CONTROL}/staff-users`, {
      email: coordinator.email, name: 'Cora Coordinator', role: 'coordinator', password: coordinator.password,
    });
    assert.equal(made.status, 201, why);
    const body = {
      referralId, caseNumber: `UR${String(ts).slice(-8)}`, court: { name: 'Central Family Court', email: 'cfc.private@court.example' },
      familyCourtAdviser: { name: 'Sam Adviser', email: 'sam.adviser@cafcass.example' }, referredOn: stackNow().toISOString().slice(0, 10),
      completeBy: stackNow(60 * DAY_MS).toISOString().slice(0, 10), safeguardingConcerns: false,
      parents: [
        { parentRef: 'A', firstName: 'Alex', lastName: 'Bounced', email: 'bounce@simulator.amazonses.com' },
        { parentRef: 'B', firstName: 'Jo', lastName: 'Bounced', email: `jo.unreachable.${ts}@example.com` },
      ],
    };
    const { res, text } = await send('POST', `${API}/referrals`, body);
    assert.equal(res.status, 201, text);
  });

  step('2. the coordinator sees them under "Unreachable parents" on the dashboard (axe, 375 px)', async () => {
    await page.goto(`${API}/console/sign-in`, { waitUntil: 'load' });
    await page.fill('#email', coordinator.email);
    await page.fill('#password', coordinator.password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Continue', exact: true }).click()]);
    const link = page.locator('#unreachable-list').getByRole('link', { name: 'Alex Bounced' });
    const deadline = Date.now() + 20_000;
    while ((await link.count()) === 0) {
      assert.ok(Date.now() < deadline, 'parent A never listed as unreachable');
      await sleep(500);
      await page.goto(`${API}/console/`, { waitUntil: 'load' });
    }
    await check('the dashboard with an unreachable parent', 'console-unreachable');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.first().click()]);
    assert.equal(new URL(page.url()).pathname, `/console/parents/${parentId}`);
  });

  step('3. their page says why; the coordinator corrects the address (axe, 375 px)', async () => {
    assert.match(await page.locator('#unreachable').innerText(), /cannot be delivered: the welcome email bounced/);
    await check('the unreachable parent\'s page', 'console-unreachable-parent');
    await page.fill('#email', corrected);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Save the address and send a link', exact: true }).click()]);
    assert.match(await page.locator('.govuk-notification-banner--success').innerText(), /Email address corrected/);
    assert.equal(await page.locator('#unreachable').count(), 0, 'no longer marked unreachable');
    await check('the corrected parent\'s page', 'console-corrected');
  });

  step('4. the welcome reaches the corrected address', async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const mail = await (await fetch(`${CONTROL}/mail`, { headers: { accept: 'application/json' } })).json();
      if (mail.some((m) => (m.to ?? []).includes(corrected))) break;
      assert.ok(Date.now() < deadline, `no email to ${corrected} within 20 s`);
      await sleep(250);
    }
  });
});

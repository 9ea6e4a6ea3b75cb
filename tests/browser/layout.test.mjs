// Every console page and every parent page fits a 375-pixel phone, at moments that stress layout
// and dates: a Wednesday in late September (the longest weekday and month names), the Sunday the
// clocks go back, a week whose workshops span a month's end (the week after the clocks go forward),
// and the real date. At each moment the stack's clock is set there (running on), a referral is made,
// its parent finishes the e-learning, a workshop is published on each of the next seven days (one in
// person, with a long address) and the parent books one; then a coordinator signed in at 375 px
// opens every console page, and the parent opens every page a link or a footer leads to.
// Needs a running local stack (scripts/test.sh starts one): PT4C_API_URL, PT4C_CONTROL_URL.
// PT4C_LAYOUT_MOMENTS="2027-09-29T11:00:00Z,..." replaces the fixed moments (the real date is kept).

import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  API, CONTROL, CHROMIUM, CHROMIUM_ARGS, steps, rfc3339, send, screenshot, assertFitsWidth, watchPage, runClockFrom, stackNow, clockNow, mailTo,
} from './support.mjs';

const DAY_MS = 24 * 3_600_000;
const ts = Date.now();
const coordinator = { email: `cora.layout.${ts}@pt4c.example`, password: `Layout-${ts}-Aa1!` };
const FIXED = [
  ['a Wednesday in late September', '2027-09-29T22:30:00Z'],
  ['the Sunday the clocks go back', '2026-10-25T00:30:00Z'],
  ['a week that spans a month end', '2027-03-29T07:00:00Z'],
];
const MOMENTS = [
  ...(process.env.PT4C_LAYOUT_MOMENTS
    ? process.env.PT4C_LAYOUT_MOMENTS.split(',').map((m) => [`the moment ${m.trim()}`, m.trim()])
    : FIXED),
  ['the real date', null],
];


function linkIn(mail, path) {
  const m = new RegExp(`https?://[^\\s<>"'()\\[\\]]*/${path}/[^\\s<>"'()\\[\\]]+`).exec(mail.text ?? '');
  assert.ok(m, `the email ${JSON.stringify(mail.subject)} has no /${path}/ link`);
  return m[0].replace(/[.,;:!?]+$/, '');
}

describe('Every page fits a phone, at moments that stress dates', () => {
  let browser;

  before(async () => {
    assert.ok(API && CONTROL, 'set PT4C_API_URL and PT4C_CONTROL_URL to a running local stack (scripts/test.sh does)');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const { res, text } = await send('POST', `${CONTROL}/staff-users`, {
      email: coordinator.email, name: 'Cora Coordinator-Fitzwilliam', role: 'coordinator', password: coordinator.password,
    });
    assert.equal(res.status, 201, text);
  });

  after(async () => {
    await fetch(`${CONTROL}/clock`, { method: 'DELETE' }).catch(() => {});
    await browser?.close();
  });

  MOMENTS.forEach(([what, at], n) => {
    const step = steps(); // a moment's steps depend on each other; the next moment starts afresh
    const tag = `L${n}${String(ts).slice(-6)}`;
    const referralId = `LAYOUT-${tag}`;
    const parentId = `${referralId}.A`;
    const parentEmail = `alex.${tag.toLowerCase()}@example.com`;
    let workshops = [];
    let context;
    let page;
    let problems;

    async function fits(url, label) {
      const res = await page.goto(url, { waitUntil: 'load' });
      assert.ok(res.status() < 500, `${label} (${url}) answered ${res.status()}`);
      await assertFitsWidth(page, `${label} on ${what}`);
      await screenshot(page, `layout-${n}-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      assert.deepEqual(problems.splice(0), [], `${label}: failed subresources or errors`);
    }

    step(`${what}: given a referral, the e-learning done and a week of workshops`, async () => {
      await runClockFrom(at ? new Date(at) : new Date());
      context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 375, height: 740 } });
      page = await context.newPage();
      problems = watchPage(page);
      const { res, text } = await send('POST', `${API}/referrals`, {
        referralId, caseNumber: `ZW27P${tag.slice(-5)}`,
        court: { name: 'Central Family Court at the Royal Courts of Justice', email: 'cfc.private@court.example' },
        familyCourtAdviser: { name: 'Samantha Adviser-Montgomery', email: `sam.${tag.toLowerCase()}@cafcass.example` },
        referredOn: stackNow().toISOString().slice(0, 10), completeBy: stackNow(45 * DAY_MS).toISOString().slice(0, 10),
        safeguardingConcerns: false,
        parents: [
          { parentRef: 'A', firstName: 'Alexandria', lastName: 'Featherstonehaugh-Wolstenholme', email: parentEmail, phone: '+447700900123',
            workshopMode: 'online', interpreterLanguage: 'pl', adjustments: 'Step-free access and a hearing loop, please' },
          { parentRef: 'B', firstName: 'Jo', lastName: 'Layout', email: `jo.${tag.toLowerCase()}@example.com` },
        ],
      });
      assert.equal(res.status, 201, `POST /referrals: ${text}`);
      const modules = JSON.parse((await send('GET', `${API}/elearning/modules`)).text).modules;
      for (const { moduleId } of modules) {
        const r = await send('POST', `${API}/elearning/completions`, { parentId, moduleId, completedAt: rfc3339(await clockNow()) });
        assert.equal(r.res.status, 200, r.text);
      }
      workshops = [];
      for (let day = 1; day <= 7; day += 1) {
        const starts = stackNow(day * DAY_MS);
        starts.setUTCHours(day % 2 ? 9 : 17, 30, 0, 0);
        const inPerson = day === 3;
        const r = await send('POST', `${API}/workshops`, {
          startsAt: rfc3339(starts), mode: inPerson ? 'in_person' : 'online',
          location: inPerson ? 'Community Room 2, Wolverhampton Family Hub, 123 Long Street Name Avenue, Wolverhampton WV1 1AA'
            : `https://meet.pt4c.example/w/${tag.toLowerCase()}-${day}`,
          trainer: { name: 'Bartholomew Trainer-Cholmondeley', email: `tess.${tag.toLowerCase()}@pt4c.example` },
        });
        assert.equal(r.res.status, 201, `POST /workshops: ${r.text}`);
        workshops.push(JSON.parse(r.text).workshopId);
      }
    }, 120_000);

    step(`${what}: the parent's pages fit 375 px`, async () => {
      const welcome = await mailTo(parentEmail, /welcome/i);
      await fits(linkIn(welcome, 'hub'), 'the Parent Hub');
      const invite = await mailTo(parentEmail, /book your workshop/i);
      const book = linkIn(invite, 'book');
      await fits(book, 'the booking page');
      const r = await send('POST', book, { workshopId: workshops[0] });
      assert.equal(r.res.status, 201, `booking: ${r.text}`);
      await fits(book, 'the booking page, booked');
      await fits(`${book}/cancel`, 'the cancel page');
      await fits(`${API}/hub/not-a-valid-link`, 'an invalid link');
      for (const p of ['new-link', 'accessibility', 'privacy', 'contact']) await fits(`${API}/${p}`, `/${p}`);
    }, 120_000);

    step(`${what}: every console page fits 375 px`, async () => {
      await page.goto(`${API}/console/sign-in`, { waitUntil: 'load' });
      await assertFitsWidth(page, `sign-in on ${what}`);
      await page.fill('#email', coordinator.email);
      await page.fill('#password', coordinator.password);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Continue', exact: true }).click()]);
      assert.equal(new URL(page.url()).pathname.replace(/\/$/, ''), '/console', `signed in (at ${page.url()})`);
      const week = stackNow().toISOString().slice(0, 10);
      const pages = [
        ['/console/', 'the dashboard'],
        ['/console/workshops', 'workshops this week'],
        [`/console/workshops?week=${week}`, 'workshops, the week of the moment'],
        [`/console/workshops?week=${stackNow(7 * DAY_MS).toISOString().slice(0, 10)}`, 'workshops, the next week'],
        ['/console/workshops?sort=trainer&mode=online&free=yes', 'workshops, filtered'],
        ['/console/workshops/new', 'publish a workshop'],
        [`/console/workshops/${workshops[0]}`, 'a workshop with its roster'],
        [`/console/workshops/${workshops[2]}/edit`, 'change a workshop'],
        [`/console/parents?q=${encodeURIComponent('Featherstonehaugh-Wolstenholme')}`, 'find a parent'],
        [`/console/parents/${parentId}`, "a parent's page"],
        ['/console/follow-ups', 'follow-ups'],
        ['/console/concerns', 'concerns'],
        ['/console/audit', 'the audit trail'],
        ['/console/staff', 'staff accounts'],
        ['/console/reports', 'management information'],
      ];
      for (const [path, label] of pages) await fits(`${API}${path}`, label);
      await context.close();
    }, 180_000);
  });
});

// What the console's browser test needs from a running local stack and Chromium: the step
// runner (later steps skipped once one fails), axe-core, screenshots, the page's own problems.
// (Not a test file itself: node --test picks only *.test.mjs.)

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export const API = (process.env.PT4C_API_URL ?? '').replace(/\/+$/, '');
export const CONTROL = (process.env.PT4C_CONTROL_URL ?? '').replace(/\/+$/, '');
export const CHROMIUM = process.env.PT4C_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Dependent steps: once one fails, the later ones are skipped rather than failing for the same cause. */
export function steps() {
  let failed = null;
  return (name, fn, timeout = 60_000) =>
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

// The stack's clock (GET /clock), never the machine's: scripts/test.sh starts the stack at a fixed
// moment (PT4C_TEST_NOW) and it runs on from there, so no page or date depends on the real day.
let clockBase = null; // [the stack's ms, performance.now() when read]

/** Reads the stack's clock; later `stackNow()` calls run on from it. */
export async function syncClock() {
  const res = await fetch(`${CONTROL}/clock`);
  assert.equal(res.status, 200, `GET ${CONTROL}/clock answered ${res.status}`);
  const { now } = await res.json();
  clockBase = [Date.parse(now), performance.now()];
  return new Date(clockBase[0]);
}

/** Now as the stack's clock says it (one GET /clock): for times the stack checks against its own
 *  now (a completion no earlier than the invitation, never in the future). */
export async function clockNow() {
  const res = await fetch(`${CONTROL}/clock`);
  assert.equal(res.status, 200, `GET ${CONTROL}/clock answered ${res.status}`);
  return new Date(Date.parse((await res.json()).now));
}

/** Now on the stack's clock, plus `offsetMs` (syncClock() first): good to a second, for dates. */
export function stackNow(offsetMs = 0) {
  assert.ok(clockBase, 'syncClock() reads the stack clock first');
  return new Date(clockBase[0] + (performance.now() - clockBase[1]) + offsetMs);
}

/** Sets the stack's clock to `at` (a Date), running on from there (running: false stands still). */
export async function runClockFrom(at, running = true) {
  const res = await fetch(`${CONTROL}/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ now: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), running }) });
  assert.equal(res.status, 200, `PUT /clock answered ${res.status}: ${await res.text()}`);
  return syncClock();
}

/** Polls the mailbox (20 s at most) for an email to `address` whose subject matches `subject`. */
export async function mailTo(address, subject) {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const res = await fetch(`${CONTROL}/mail`, { headers: { accept: 'application/json' } });
    const found = (await res.json()).find((m) => (m.to ?? []).includes(address) && subject.test(m.subject ?? ''));
    if (found) return found;
    assert.ok(performance.now() < deadline, `no email ${subject} to ${address} within 20 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** RFC 3339 without milliseconds. */
export const rfc3339 = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function send(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { res, text: await res.text() };
}

/** axe-core with the WCAG 2.2 A/AA tags: zero violations, each printed if any. */
export async function assertNoAxeViolations(page, label) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  const report = results.violations.map((v) => {
    const nodes = v.nodes.map((n) => `      ${JSON.stringify(n.target)}  ${n.failureSummary?.split('\n').join(' ') ?? ''}`);
    return `  ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n${nodes.join('\n')}`;
  });
  assert.equal(results.violations.length, 0, `axe found ${results.violations.length} violation(s) on ${label}:\n${report.join('\n')}`);
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

/** No sideways scrolling: the page fits the viewport's width (a 375-pixel phone). */
export async function assertFitsWidth(page, label) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${label} scrolls sideways at ${width} px (${scroll} px wide)`);
}

/** Failed subresources, >= 400 answers to them, CSP violations and script errors of a page. */
export function watchPage(page) {
  const problems = [];
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (!r.request().isNavigationRequest() && r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

// The pages the law asks for (accessibility statement, privacy notice, contact), in Chromium with
// axe-core (WCAG 2.2 A/AA), reached from a parent page's footer. Needs a running local stack
// (scripts/test.sh starts one): PT4C_API_URL.

import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { API, CHROMIUM, CHROMIUM_ARGS, assertFitsWidth, assertNoAxeViolations, screenshot, steps, watchPage } from './support.mjs';

const step = steps();

describe('The accessibility statement, privacy notice and contact page in Chromium', () => {
  let browser;
  let page;
  let problems;

  before(async () => {
    assert.ok(API, 'set PT4C_API_URL to a running local stack (scripts/test.sh does)');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 375, height: 800 } });
    page = await context.newPage();
    problems = watchPage(page);
  });

  after(async () => {
    await browser?.close();
  });

  for (const [link, path, heading] of [
    ['Accessibility statement', '/accessibility', 'Accessibility statement for Planning Together for Children'],
    ['Privacy', '/privacy', 'Privacy notice'],
    ['Contact', '/contact', 'Contact Planning Together for Children'],
  ]) {
    step(`${path}: from the footer, accessible, fits a phone`, async () => {
      const res = await page.goto(`${API}/contact`, { waitUntil: 'load' });
      assert.equal(res?.status(), 200);
      await Promise.all([page.waitForURL(`${API}${path}`), page.getByRole('link', { name: link, exact: true }).click()]);
      assert.equal(await page.getByRole('heading', { level: 1, name: heading }).count(), 1);
      await assertNoAxeViolations(page, path);
      await assertFitsWidth(page, path);
      await screenshot(page, `legal${path.replace('/', '-')}.png`);
      assert.deepEqual(problems.splice(0), [], `${path} has failed subresources or errors`);
    });
  }
});

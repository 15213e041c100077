// Helpers shared by the end-to-end tests that drive Parley's browser pages
// in a real headless Chromium (playwright-core): the launch, screenshots in
// artifacts/, a page that records its problems, and the agent workspace's
// sign-in.
//
//	PARLEY_CHROMIUM   the Chromium binary (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { config } from './parley.mjs';
import { PASSWORD } from './setup.mjs';

export const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';

/** Default deadline, in milliseconds, for something to show in a page. */
export const WAIT_MS = 15_000;

/** Where screenshots go: test/e2e/artifacts/, with a trailing slash. */
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Launches headless Chromium with the flags every browser test uses. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Creates the artifacts directory; call it before the first screenshot. */
export function makeArtifactsDir() {
  mkdirSync(ARTIFACTS, { recursive: true });
}

/**
 * Returns shot(page, name, opts): a screenshot saved as
 * artifacts/<prefix>-<name>.png, with `defaults` (e.g. {fullPage: true})
 * and then `opts` passed on to page.screenshot.
 */
export function screenshotter(prefix, defaults = {}) {
  return (page, name, opts = {}) => page.screenshot({ path: `${ARTIFACTS}${prefix}-${name}.png`, ...defaults, ...opts });
}

/**
 * Records a page's console messages and page errors (and, unless
 * `dialogs` is false, dismisses dialogs and records them) in page.log,
 * which it returns.
 */
export function recordProblems(page, { dialogs = true } = {}) {
  const log = [];
  page.log = log;
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  if (dialogs) {
    page.on('dialog', (d) => {
      log.push(`dialog: ${d.message()}`);
      d.dismiss();
    });
  }
  return log;
}

/** Waits for a locator to be visible, with the page's log in the failure. */
export async function visible(page, locator, what, timeout = WAIT_MS) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (err) {
    assert.fail(`${what}: ${err.message}\npage log:\n${page.log.join('\n')}`);
  }
}

/** Asserts that the page's log (see recordProblems) has no page errors or dialogs. */
export function noErrors(page) {
  const bad = page.log.filter((l) => l.startsWith('pageerror') || l.startsWith('dialog'));
  assert.deepEqual(bad, [], 'page errors or dialogs');
}

/** Signs an agent in to the workspace (/agent/) and waits for the status menu. */
export async function loginAgent(page, username, password = PASSWORD) {
  await page.goto(`${config().endpoint}/agent/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#status-select').waitFor({ timeout: WAIT_MS });
}

/** Sets the signed-in agent Available in the workspace and waits until the server routes to it. */
export async function setAvailable(page) {
  await page.selectOption('#status-select', { label: 'Available' });
  await page.waitForFunction(() => document.querySelector('#status-select')?.dataset.routable === 'true', null, { timeout: WAIT_MS });
}

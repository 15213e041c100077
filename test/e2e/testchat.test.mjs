// The test-chat page (/test-chat/) in a real headless Chromium: an
// administrator signs in, picks a flow, chats on it as a customer and
// watches the flow log fill in block by block. Flow-log values and messages
// carry what the customer controls, so the page must show them as text.
// A user with only the Agent security profile is refused.

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { CreateContactFlowCommand } from '@aws-sdk/client-connect';
import { config, connectClient, unique } from './lib/parley.mjs';
import { newAgent } from './lib/setup.mjs';
import { WAIT_MS, launchChromium, makeArtifactsDir, screenshotter } from './lib/browser.mjs';

const XSS = '<img src=x onerror=window.__xss=1>';

const { endpoint, bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();
const shot = screenshotter('testchat');

/** A flow that waits for the customer to write, then compares an attribute. */
function waitFlow() {
  const then = (next) => ({ NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] });
  return {
    Version: '2019-10-30',
    StartAction: 'Set logging',
    Actions: [
      { Identifier: 'Set logging', Type: 'UpdateFlowLoggingBehavior', Parameters: { FlowLoggingBehavior: 'Enabled' }, Transitions: { NextAction: 'Ask' } },
      { Identifier: 'Ask', Type: 'MessageParticipant', Parameters: { Text: 'Say anything to continue.' }, Transitions: then('Wait for customer') },
      {
        Identifier: 'Wait for customer',
        Type: 'Wait',
        Parameters: { TimeLimitSeconds: '120', Events: ['CustomerReturned'] },
        Transitions: {
          NextAction: 'Bye',
          Conditions: [
            { NextAction: 'Check tier', Condition: { Operator: 'Equals', Operands: ['CustomerReturned'] } },
            { NextAction: 'Bye', Condition: { Operator: 'Equals', Operands: ['WaitCompleted'] } },
          ],
          Errors: [{ NextAction: 'Bye', ErrorType: 'NoMatchingError' }],
        },
      },
      {
        Identifier: 'Check tier',
        Type: 'Compare',
        Parameters: { ComparisonValue: '$.Attributes.tier' },
        Transitions: {
          NextAction: 'Standard',
          Conditions: [{ NextAction: 'Gold', Condition: { Operator: 'Equals', Operands: ['gold'] } }],
          Errors: [{ NextAction: 'Try queue', ErrorType: 'NoMatchingCondition' }],
        },
      },
      {
        // No working queue was set: this block fails (NoMatchingError).
        Identifier: 'Try queue',
        Type: 'TransferContactToQueue',
        Parameters: {},
        Transitions: {
          NextAction: 'Standard',
          Errors: [
            { NextAction: 'Standard', ErrorType: 'QueueAtCapacity' },
            { NextAction: 'Standard', ErrorType: 'NoMatchingError' },
          ],
        },
      },
      { Identifier: 'Gold', Type: 'MessageParticipant', Parameters: { Text: 'Welcome back, gold customer.' }, Transitions: then('Disconnect') },
      { Identifier: 'Standard', Type: 'MessageParticipant', Parameters: { Text: 'Thanks for writing.' }, Transitions: then('Disconnect') },
      { Identifier: 'Bye', Type: 'MessageParticipant', Parameters: { Text: 'Goodbye.' }, Transitions: then('Disconnect') },
      { Identifier: 'Disconnect', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
    ],
  };
}

let browser;
let context;
let page;
let pageLog = [];
let waitFlowName;

before(async () => {
  makeArtifactsDir();
  waitFlowName = unique('Wait and compare');
  await connect.send(
    new CreateContactFlowCommand({
      InstanceId,
      Name: waitFlowName,
      Type: 'CONTACT_FLOW',
      Content: JSON.stringify(waitFlow()),
      Status: 'PUBLISHED',
    }),
  );
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

beforeEach(async () => {
  pageLog = [];
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
  await page.goto(`${endpoint}/test-chat/`);
});

afterEach(async (t) => {
  if (t.passed === false || pageLog.some((l) => l.startsWith('pageerror'))) {
    await shot(page, `failed-${Date.now()}`).catch(() => {});
    console.log(pageLog.join('\n'));
  }
  await context.close();
});

async function signIn(username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The flow-log entry of a block whose result is given, once it shows. */
function entry(identifier, result) {
  let loc = page.locator(`#flow-log li.entry[data-identifier="${identifier}"]`);
  if (result) loc = loc.filter({ has: page.locator('dd.result', { hasText: result }) });
  return loc.first();
}

test('an admin tests the default inbound flow and a flow that waits for the customer', async () => {
  await signIn(bootstrap.adminUsername, bootstrap.adminPassword);
  const flow = page.getByLabel('Contact flow');
  await flow.waitFor({ timeout: WAIT_MS });
  await flow.selectOption({ label: 'Default inbound flow' });
  await page.getByLabel('Customer name').fill('Tess');
  await page.getByRole('button', { name: 'Add attribute' }).click();
  await page.getByLabel('Attribute name').nth(0).fill('customerName');
  await page.getByLabel('Attribute value').nth(0).fill(XSS);
  await page.getByRole('button', { name: 'Start chat' }).click();

  // The greeting shows the attribute literally; nothing ran.
  const greeting = page.locator('#transcript li.msg', { hasText: 'thanks for contacting us' });
  await greeting.waitFor({ timeout: WAIT_MS });
  assert.equal(await greeting.locator('.body').innerText(), `Hi ${XSS}, thanks for contacting us. We'll connect you with an agent.`);
  assert.equal(await page.locator('#transcript img, #flow-log img').count(), 0, 'no element made from the attribute');

  // The flow log lists the blocks, with their types and parameters.
  await entry('Transfer to queue').waitFor({ timeout: WAIT_MS });
  const greet = entry('Greeting');
  assert.equal(await greet.getAttribute('data-module-type'), 'MessageParticipant');
  assert.match(await greet.innerText(), /Default inbound flow/);
  assert.ok((await greet.innerText()).includes(XSS), 'the resolved Text parameter is shown as text');
  const setQueue = entry('Set working queue');
  assert.equal(await setQueue.getAttribute('data-module-type'), 'SetQueue');
  assert.match(await setQueue.innerText(), new RegExp(bootstrap.basicQueueId));
  assert.equal(await entry('Transfer to queue').getAttribute('data-module-type'), 'TransferContactToQueue');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the attribute never ran as script');
  await shot(page, 'inbound');

  // Restart: a new contact on the same flow, the panes cleared.
  const first = await page.locator('#run').getAttribute('data-contact-id');
  await page.getByRole('button', { name: 'Restart' }).click();
  await page.waitForFunction((id) => {
    const c = document.getElementById('run').dataset.contactId;
    return c && c !== id;
  }, first, { timeout: WAIT_MS });
  await entry('Greeting').waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#flow-log li.entry[data-identifier="Greeting"]').count(), 1, 'the old log was cleared');

  // A flow that waits for the customer, then compares an attribute.
  await page.getByRole('button', { name: 'Change flow' }).click();
  await page.reload(); // pick up the flow created by the SDK after sign-in... and the session survives a reload
  await flow.waitFor({ timeout: WAIT_MS });
  await flow.selectOption({ label: waitFlowName });
  await page.getByRole('button', { name: 'Add attribute' }).click();
  await page.getByLabel('Attribute name').nth(0).fill('tier');
  await page.getByLabel('Attribute value').nth(0).fill('gold');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await page.locator('#transcript li.msg', { hasText: 'Say anything to continue.' }).waitFor({ timeout: WAIT_MS });
  await entry('Wait for customer').waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#flow-log li.entry[data-identifier="Check tier"]').count(), 0, 'the flow waits');

  const box = page.getByLabel('Message');
  await box.fill('hello there');
  await box.press('Enter');
  await page.locator('#transcript li.msg.customer', { hasText: 'hello there' }).waitFor({ timeout: WAIT_MS });
  const resumed = entry('Wait for customer', 'CustomerReturned');
  await resumed.waitFor({ timeout: WAIT_MS });
  assert.equal(await resumed.getAttribute('data-module-type'), 'Wait');
  const compare = entry('Check tier');
  await compare.waitFor({ timeout: WAIT_MS });
  assert.equal(await compare.getAttribute('data-module-type'), 'Compare');
  assert.equal(await compare.locator('dd.next').innerText(), 'Gold');
  await page.locator('#transcript li.msg', { hasText: 'Welcome back, gold customer.' }).waitFor({ timeout: WAIT_MS });
  await page.locator('#transcript li.event').last().waitFor({ timeout: WAIT_MS });
  await shot(page, 'wait');

  // At 360 px the panes stack.
  await page.setViewportSize({ width: 360, height: 780 });
  const chatBox = await page.locator('.pane.chat').boundingBox();
  const logBox = await page.locator('.pane.log').boundingBox();
  assert.ok(logBox.y >= chatBox.y + chatBox.height - 1, `the log pane is below the chat: ${JSON.stringify({ chatBox, logBox })}`);
  assert.ok(chatBox.width <= 360 && logBox.width <= 360, 'no pane is wider than the screen');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await shot(page, '360');
  assert.deepEqual(pageLog.filter((l) => l.startsWith('pageerror')), []);
});

test('a block that takes its error branch is highlighted', async () => {
  await signIn(bootstrap.adminUsername, bootstrap.adminPassword);
  const flow = page.getByLabel('Contact flow');
  await flow.waitFor({ timeout: WAIT_MS });
  await flow.selectOption({ label: waitFlowName });
  await page.getByRole('button', { name: 'Start chat' }).click();
  await entry('Wait for customer').waitFor({ timeout: WAIT_MS });
  await page.getByLabel('Message').fill('no tier here');
  await page.getByRole('button', { name: 'Send' }).click();
  const compare = entry('Check tier');
  await compare.waitFor({ timeout: WAIT_MS });
  assert.equal(await compare.locator('dd.next').innerText(), 'Try queue');
  assert.match(await compare.innerText(), /ComparisonValue\s+""/, 'an empty parameter is shown as ""');
  const failed = entry('Try queue');
  await failed.waitFor({ timeout: WAIT_MS });
  assert.match(await failed.getAttribute('class'), /\bfailed\b/);
  assert.match(await failed.locator('dd.error-field').innerText(), /NoMatchingError/);
  assert.equal(await failed.locator('dd.next').innerText(), 'Standard');
  assert.equal(await page.locator('#flow-log li.entry.failed').count(), 1, 'only the transfer failed');
  await page.locator('#transcript li.msg', { hasText: 'Thanks for writing.' }).waitFor({ timeout: WAIT_MS });
});

test('a user with only the Agent security profile is refused', async () => {
  const username = unique('agent');
  const password = 'Secret123';
  await newAgent({ username, password, routingProfileId: bootstrap.routingProfileId });
  await signIn(username, password);
  const denied = page.locator('#denied');
  await denied.waitFor({ timeout: WAIT_MS });
  assert.match(await denied.innerText(), /Access denied/);
  assert.match(await denied.innerText(), /ContactFlows\.View/);
  assert.equal(await page.locator('#setup').isVisible(), false);
  // The API itself refuses, whatever the page shows.
  const status = await page.evaluate(async () => {
    const res = await fetch('/api/agent/test-chat/flows');
    return res.status;
  });
  assert.equal(status, 403);
  await shot(page, 'denied', { fullPage: false });
});

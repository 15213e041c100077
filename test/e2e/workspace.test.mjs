// The agent workspace (/agent/) in a real headless Chromium: two agents
// log in through the UI, take a customer's chat (the customer speaks the
// Participant API from this file), chat both ways with typing and read
// receipts, insert a quick response, transfer, end and wrap up; a reload
// mid-chat resumes without duplicates; customer-written markup never
// executes; and the whole path works from the keyboard alone.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeContactCommand } from '@aws-sdk/client-connect';
import { config, connectClient, parleyApi, unique, startCustomer, isMessage, isReceipt, EVENT } from './lib/parley.mjs';
import { PASSWORD, newHours, newQueue, newProfile as createProfile, inboundFlowOn, newQueueQuickConnect, newAgent as createAgent, setOffline } from './lib/setup.mjs';
import { WAIT_MS, launchChromium, makeArtifactsDir, screenshotter, recordProblems, noErrors, loginAgent as login, setAvailable } from './lib/browser.mjs';

const { endpoint, bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();

let browser;
let setup; // {flowId, profileA, profileB, queueA, queueB, quickConnect}
const pages = [];
let testAgents = [];
let customers = [];

const newProfile = (name, queueId) => createProfile({ name: `ws-${name}`, queueId, concurrency: 3, description: 'workspace test' });

/** A new agent on a routing profile; afterEach sets every agent made in a test Offline. */
async function newAgent(name, RoutingProfileId = setup.profileA) {
  const agent = await createAgent({ username: unique(name), routingProfileId: RoutingProfileId, firstName: name });
  testAgents.push(agent.userId);
  return agent;
}

before(async () => {
  makeArtifactsDir();
  // Queues, profiles and a flow of this file's own: other files' chats
  // and agents never meet these.
  const hours = await newHours('ws-hours');
  const queueA = await newQueue('ws-first', hours);
  const queueB = await newQueue('ws-second', hours);
  const profileA = await newProfile('first', queueA);
  const profileB = await newProfile('second', queueB);
  const flow = await inboundFlowOn(queueA, 'ws-inbound');
  const qc = await newQueueQuickConnect(unique('Second line'), queueA, queueB);
  const qr = await parleyApi('PUT', `/parley/quick-responses/${InstanceId}`, {
    Name: 'Refund policy',
    Content: 'Refunds take **5 days**.',
    Shortcut: 'refund',
  });
  assert.equal(qr.status, 200, `PUT /parley/quick-responses: ${JSON.stringify(qr)}`);
  assert.ok(qr.body.QuickResponseId);
  const list = await parleyApi('GET', `/parley/quick-responses/${InstanceId}`);
  assert.ok(list.body.QuickResponses.some((q) => q.QuickResponseId === qr.body.QuickResponseId));
  const gone = await parleyApi('PUT', `/parley/quick-responses/${InstanceId}`, { Name: unique('Old'), Content: 'old' });
  assert.equal((await parleyApi('DELETE', `/parley/quick-responses/${InstanceId}/${gone.body.QuickResponseId}`)).status, 200);
  assert.equal((await parleyApi('DELETE', `/parley/quick-responses/${InstanceId}/${gone.body.QuickResponseId}`)).status, 404);
  assert.equal((await parleyApi('PUT', `/parley/quick-responses/${InstanceId}`, { Name: '', Content: 'x' })).status, 400);
  setup = { flowId: flow.ContactFlowId, profileA, profileB, queueA, queueB, quickConnect: qc };

  browser = await launchChromium();
});

// An agent left Available by a failed test must not take the next test's chats.
afterEach(async () => {
  await setOffline(testAgents);
  testAgents = [];
  for (const c of customers) c.close();
  customers = [];
});

after(async () => {
  for (const p of pages) {
    if (p.log.length && process.env.PARLEY_VERBOSE) console.log(p.log.join('\n'));
  }
  await browser?.close();
});

/** A fresh browser context (its own cookies) with a page that records errors and XSS. */
async function newAgentPage(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 860 } });
  const page = await context.newPage();
  const log = recordProblems(page);
  pages.push({ page, log });
  return page;
}

/** The messages of the visible chat, as {who, text, id}. */
function messages(page) {
  return page.$$eval('.chat:not([hidden]) .transcript li.msg', (els) =>
    els.map((el) => ({ who: el.querySelector('.who')?.textContent, text: el.querySelector('.msg-body')?.textContent, id: el.dataset.id })),
  );
}

async function waitText(page, selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: WAIT_MS });
}

const shot = screenshotter('workspace', { fullPage: true });

async function customerChat(name = 'Casey', attributes = {}) {
  const { chat, customer } = await startCustomer({
    ContactFlowId: setup.flowId,
    ParticipantDetails: { DisplayName: name },
    Attributes: { customerName: name, ...attributes },
  });
  customers.push(customer);
  return { contactId: chat.ContactId, customer };
}

test('an agent takes a chat from offer to wrap-up, with transfer, reload and quick responses', async () => {
  const page = await newAgentPage();
  const agent1 = await newAgent('Ada');
  const agent2 = await newAgent('Bo', setup.profileB);
  await page.goto(`${endpoint}/agent/`);
  await shot(page, 'login');
  await login(page, agent1.username);
  await setAvailable(page);

  const { contactId, customer } = await customerChat('Casey', { orderId: 'A-42' });
  const offer = page.locator(`.offer[data-contact-id="${contactId}"]`);
  await offer.waitFor({ timeout: WAIT_MS });
  await waitText(page, `.offer[data-contact-id="${contactId}"] h2`, 'Casey');
  await shot(page, 'offer');

  // A double click accepts once; the second click finds the button disabled.
  const accept = offer.getByRole('button', { name: 'Accept' });
  await accept.dblclick();
  await page.locator('.chat:not([hidden]) .composer-input').waitFor({ timeout: WAIT_MS });
  await offer.waitFor({ state: 'detached', timeout: WAIT_MS });
  assert.equal(await page.locator('[role=tab]').count(), 1, 'one chat tab');

  // The transcript from the start: the flow's greeting; the whisper; the attributes.
  await waitText(page, '.chat:not([hidden]) .transcript li.msg', 'Hi Casey, thanks for contacting us');
  await waitText(page, '.chat:not([hidden]) .whisper', 'ws-first');
  await waitText(page, '.chat:not([hidden]) .details', 'A-42');

  // Customer → agent, with typing shown and a read receipt back.
  await customer.event(EVENT.typing);
  await waitText(page, '.chat:not([hidden]) .typing', 'Casey is typing');
  const sent = await customer.send('Where is my **order**?', 'text/markdown');
  await waitText(page, '.chat:not([hidden]) .transcript li.msg', 'Where is my order?');
  await customer.socket.waitFor(isReceipt('read', sent.Id), WAIT_MS, 'the agent read receipt');

  // Agent → customer: Enter sends, Shift+Enter makes a new line; typing goes out.
  const composer = page.locator('.chat:not([hidden]) .composer-input');
  await composer.click();
  await composer.pressSequentially('Let me check');
  await customer.socket.waitFor((it) => it.Type === 'EVENT' && it.ContentType === EVENT.typing && it.ParticipantRole === 'AGENT', WAIT_MS, 'agent typing');
  await composer.press('Shift+Enter');
  await composer.pressSequentially('one moment');
  await composer.press('Enter');
  const agentMsg = await customer.socket.waitFor((it) => it.Type === 'MESSAGE' && it.ParticipantRole === 'AGENT', WAIT_MS, 'agent message');
  assert.equal(agentMsg.Content, 'Let me check\none moment');
  await page.waitForFunction(() => document.querySelector('.chat:not([hidden]) .composer-input')?.value === '', null, { timeout: WAIT_MS });
  await customer.receipt('read', agentMsg.Id);
  await page.locator(`.chat:not([hidden]) li.msg[data-id="${agentMsg.Id}"] .receipt[data-receipt="read"]`).waitFor({ timeout: WAIT_MS });

  // A quick response, searched and inserted, then sent.
  await page.locator('.chat:not([hidden])').getByRole('button', { name: 'Quick responses' }).click();
  await page.locator('.chat:not([hidden])').getByLabel('Search quick responses').fill('REFUND');
  await page.locator('.chat:not([hidden]) .quick-item', { hasText: 'Refund policy' }).click();
  assert.equal(await composer.inputValue(), 'Refunds take **5 days**.');
  await composer.press('Enter');
  const quick = await customer.socket.waitFor((it) => it.Type === 'MESSAGE' && it.Content === 'Refunds take **5 days**.', WAIT_MS, 'quick response');
  await waitText(page, '.chat:not([hidden]) li.msg strong', '5 days');
  await shot(page, 'chat');

  // Reload mid-chat: the chat comes back, nothing twice.
  const before = await messages(page);
  await page.reload();
  await page.locator('.chat:not([hidden]) .composer-input').waitFor({ timeout: WAIT_MS });
  await page.locator(`.chat:not([hidden]) li.msg[data-id="${quick.Id}"]`).waitFor({ timeout: WAIT_MS });
  await customer.send('still there?');
  await waitText(page, '.chat:not([hidden]) .transcript li.msg', 'still there?');
  const afterReload = await messages(page);
  const ids = afterReload.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate messages after reload: ${JSON.stringify(afterReload)}`);
  assert.deepEqual(afterReload.slice(0, before.length).map((m) => m.id), before.map((m) => m.id), 'the same transcript after reload');

  // Transfer to the second line; agent 2 (another browser) takes it and sees everything.
  const page2 = await newAgentPage();
  await login(page2, agent2.username);
  await setAvailable(page2);
  await page.locator('.chat:not([hidden])').getByRole('button', { name: 'Transfer' }).click();
  await page.locator('dialog .quick-item', { hasText: 'Second line' }).click();
  await page.locator('.chat:not([hidden]) .acw').waitFor({ timeout: WAIT_MS });
  const offer2 = page2.locator(`.offer[data-contact-id="${contactId}"]`);
  await offer2.waitFor({ timeout: WAIT_MS });
  await offer2.getByRole('button', { name: 'Accept' }).click();
  await waitText(page2, '.chat:not([hidden]) .transcript li.msg', 'Hi Casey, thanks for contacting us');
  await waitText(page2, '.chat:not([hidden]) .transcript li.msg', 'Where is my order?');
  await waitText(page2, '.chat:not([hidden]) .transcript li.msg', 'Refunds take 5 days.');
  await waitText(page2, '.chat:not([hidden]) .transcript li.msg', 'still there?');
  const seen2 = await messages(page2);
  assert.equal(new Set(seen2.map((m) => m.id)).size, seen2.length, 'agent 2 sees no duplicates');

  // Agent 1 wraps up the transferred contact with a note.
  await page.locator('.chat:not([hidden])').getByLabel('Wrap-up note').fill('Transferred to second line');
  await shot(page, 'acw');
  await page.locator('.chat:not([hidden])').getByRole('button', { name: 'Complete' }).click();
  await page.locator('[role=tab]').first().waitFor({ state: 'detached', timeout: WAIT_MS });

  // Agent 2 ends the chat and wraps up too.
  const m2 = page2.locator('.chat:not([hidden]) .composer-input');
  await m2.fill('Hello from Bo');
  await m2.press('Enter');
  await customer.socket.waitFor((it) => it.Type === 'MESSAGE' && it.Content === 'Hello from Bo', WAIT_MS, 'agent 2 message');
  await page2.locator('.chat:not([hidden])').getByRole('button', { name: 'End chat' }).click();
  await page2.locator('.chat:not([hidden]) .acw').waitFor({ timeout: WAIT_MS });
  await page2.locator('.chat:not([hidden])').getByLabel('Wrap-up note').fill('Resolved');
  await page2.locator('.chat:not([hidden])').getByRole('button', { name: 'Complete' }).click();
  await page2.locator('[role=tab]').first().waitFor({ state: 'detached', timeout: WAIT_MS });
  const d = await connect.send(new DescribeContactCommand({ InstanceId, ContactId: contactId }));
  assert.ok(d.Contact, 'DescribeContact');
  const attrs = await fetch(`${endpoint}/api/agent/me`).then((r) => r.status);
  assert.equal(attrs, 401, 'the workspace API needs a session');
  customer.close();
  noErrors(page);
  noErrors(page2);
  await page2.context().close();
  await page.context().close();
});

test('customer-written markup never executes: messages, display names, attributes', async () => {
  const page = await newAgentPage(360);
  await login(page, (await newAgent('Xena')).username);
  await setAvailable(page);
  const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const { contactId, customer } = await customerChat(`Eve ${evil}`, { note: evil, link: 'javascript:window.__xss=3' });
  const offer = page.locator(`.offer[data-contact-id="${contactId}"]`);
  await offer.waitFor({ timeout: WAIT_MS });
  await offer.getByRole('button', { name: 'Accept' }).click();
  await page.locator('.chat:not([hidden]) .composer-input').waitFor({ timeout: WAIT_MS });
  await customer.send(evil);
  await customer.send('[click me](javascript:window.__xss=4) <a href="javascript:window.__xss=5">x</a>', 'text/markdown');
  await customer.send(`**bold** ${evil}`, 'text/markdown');
  await waitText(page, '.chat:not([hidden]) li.msg', '**bold**'.replace(/\*/g, '') );
  await waitText(page, '.chat:not([hidden]) .details', 'javascript:window.__xss=3');
  // Click whatever links there are: none may run script.
  for (const a of await page.locator('.chat:not([hidden]) .transcript a').all()) {
    const href = await a.getAttribute('href');
    assert.ok(!/^javascript:/i.test(href || ''), `a javascript: link was rendered: ${href}`);
  }
  assert.equal(await page.locator('.chat:not([hidden]) img, .chat:not([hidden]) script').count(), 0, 'no img or script elements from data');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'window.__xss stays undefined');
  await waitText(page, '.chat:not([hidden]) li.msg', '<script>window.__xss=2</script>');
  await shot(page, 'xss-360');
  // At 360 px nothing scrolls sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `horizontal overflow at 360 px: ${overflow}px`);
  await page.locator('.chat:not([hidden])').getByRole('button', { name: 'End chat' }).click();
  await page.locator('.chat:not([hidden])').getByRole('button', { name: 'Complete' }).click();
  await page.locator('[role=tab]').first().waitFor({ state: 'detached', timeout: WAIT_MS });
  customer.close();
  noErrors(page);
  await page.context().close();
});

/** Presses Tab until the focused element matches pred (at most n times). */
async function tabTo(page, pred, what, n = 40) {
  for (let i = 0; i < n; i++) {
    if (await page.evaluate(pred)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`keyboard: could not Tab to ${what}`);
}

test('keyboard only: log in, go Available, accept and reply', async () => {
  const page = await newAgentPage();
  const agent = await newAgent('Kai');
  await page.goto(`${endpoint}/agent/`);
  await page.locator('#login-username').waitFor({ timeout: WAIT_MS });
  await page.keyboard.type(agent.username); // the username field has focus
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('#status-select').waitFor({ timeout: WAIT_MS });
  await tabTo(page, () => document.activeElement?.id === 'status-select', 'the status menu');
  const available = await page.$eval('#status-select', (s) => [...s.options].findIndex((o) => o.text === 'Available'));
  const current = await page.$eval('#status-select', (s) => s.selectedIndex);
  for (let i = current; i < available; i++) await page.keyboard.press('ArrowDown');
  for (let i = current; i > available; i--) await page.keyboard.press('ArrowUp');
  await page.waitForFunction(() => document.querySelector('#status-select')?.dataset.routable === 'true', null, { timeout: WAIT_MS });

  const { contactId, customer } = await customerChat('Kim');
  await page.locator(`.offer[data-contact-id="${contactId}"]`).waitFor({ timeout: WAIT_MS });
  await tabTo(page, () => document.activeElement?.classList.contains('accept'), 'Accept');
  await page.keyboard.press('Enter');
  // Focus moves to the new chat's composer.
  await page.waitForFunction(() => document.activeElement?.classList.contains('composer-input'), null, { timeout: WAIT_MS });
  await page.keyboard.type('Hi Kim, typed from the keyboard');
  await page.keyboard.press('Enter');
  await customer.socket.waitFor((it) => it.Type === 'MESSAGE' && it.Content === 'Hi Kim, typed from the keyboard', WAIT_MS, 'keyboard reply');
  // End and complete from the keyboard.
  await tabTo(page, () => document.activeElement?.textContent === 'End chat', 'End chat');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.matches('.acw textarea'), null, { timeout: WAIT_MS });
  await page.keyboard.type('Keyboard wrap-up');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('[role=tab]').first().waitFor({ state: 'detached', timeout: WAIT_MS });
  customer.close();
  noErrors(page);
  await page.context().close();
});

test('two tabs of the same agent both work; accepting in both accepts once', async () => {
  const tab1 = await newAgentPage();
  const agent = await newAgent('Tia');
  await login(tab1, agent.username);
  await setAvailable(tab1);
  const tab2 = await tab1.context().newPage();
  tab2.log = [];
  tab2.on('pageerror', (e) => tab2.log.push(`pageerror: ${e.message}`));
  await tab2.goto(`${endpoint}/agent/`);
  await tab2.locator('#status-select').waitFor({ timeout: WAIT_MS }); // the session cookie carries over

  const { contactId, customer } = await customerChat('Ned');
  const offer1 = tab1.locator(`.offer[data-contact-id="${contactId}"]`);
  const offer2 = tab2.locator(`.offer[data-contact-id="${contactId}"]`);
  await offer1.waitFor({ timeout: WAIT_MS });
  await offer2.waitFor({ timeout: WAIT_MS });
  // Both tabs accept at once: one wins, the other learns from the 409 and joins the chat.
  // (Clicked from script: a background tab takes no pointer input.)
  const clickAccept = (id) => document.querySelector(`.offer[data-contact-id="${id}"] .accept`).click();
  await Promise.all([tab1.evaluate(clickAccept, contactId), tab2.evaluate(clickAccept, contactId)]);
  for (const p of [tab1, tab2]) {
    await p.locator('.chat:not([hidden]) .composer-input').waitFor({ timeout: WAIT_MS });
    assert.equal(await p.locator('[role=tab]').count(), 1, 'one chat tab in each browser tab');
  }
  await customer.send('hello both');
  await waitText(tab1, '.chat:not([hidden]) li.msg', 'hello both');
  await waitText(tab2, '.chat:not([hidden]) li.msg', 'hello both');
  for (const [p, text] of [
    [tab1, 'from tab one'],
    [tab2, 'from tab two'],
  ]) {
    const c = p.locator('.chat:not([hidden]) .composer-input');
    await c.fill(text);
    await c.press('Enter');
    await customer.socket.waitFor((it) => it.Type === 'MESSAGE' && it.Content === text, WAIT_MS, text);
  }
  await waitText(tab1, '.chat:not([hidden]) li.msg', 'from tab two');
  await waitText(tab2, '.chat:not([hidden]) li.msg', 'from tab one');
  // Ending in one tab moves both to after-contact work; completing in one clears both.
  await tab1.locator('.chat:not([hidden])').getByRole('button', { name: 'End chat' }).click();
  await tab2.locator('.chat:not([hidden]) .acw').waitFor({ timeout: WAIT_MS });
  await tab2.locator('.chat:not([hidden])').getByRole('button', { name: 'Complete' }).click();
  await tab1.locator('[role=tab]').first().waitFor({ state: 'detached', timeout: WAIT_MS });
  await tab2.locator('[role=tab]').first().waitFor({ state: 'detached', timeout: WAIT_MS });
  noErrors(tab1);
  assert.deepEqual(tab2.log, []);
  await tab1.context().close();
});

test('several chats as tabs: unread counts, read receipts when the tab is opened, arrow keys between tabs', async () => {
  const page = await newAgentPage();
  await login(page, (await newAgent('Uma')).username);
  await setAvailable(page);
  const first = await customerChat('First');
  await page.locator(`.offer[data-contact-id="${first.contactId}"] .accept`).click();
  await page.locator('.chat:not([hidden]) .composer-input').waitFor({ timeout: WAIT_MS });
  const second = await customerChat('Second');
  await page.locator(`.offer[data-contact-id="${second.contactId}"] .accept`).click();
  await page.locator(`[role=tab][data-contact-id="${second.contactId}"][aria-selected=true]`).waitFor({ timeout: WAIT_MS });

  // The first chat is in the background: its messages count as unread, and are not read yet.
  const m1 = await first.customer.send('one');
  const m2 = await first.customer.send('two');
  const tab1 = page.locator(`[role=tab][data-contact-id="${first.contactId}"]`);
  await tab1.locator('.badge', { hasText: '2' }).waitFor({ timeout: WAIT_MS });
  await first.customer.socket.waitFor(isReceipt('delivered', m2.Id), WAIT_MS, 'delivered receipt');
  assert.ok(!first.customer.socket.items.some(isReceipt('read', m1.Id)), 'no read receipt while the tab is in the background');
  await shot(page, 'tabs');

  // Arrow keys move between tabs; opening the first reads its messages.
  await page.locator(`[role=tab][data-contact-id="${second.contactId}"]`).focus();
  await page.keyboard.press('ArrowLeft');
  await page.locator(`[role=tab][data-contact-id="${first.contactId}"][aria-selected=true]`).waitFor({ timeout: WAIT_MS });
  await first.customer.socket.waitFor(isReceipt('read', m1.Id), WAIT_MS, 'read receipt of one');
  await first.customer.socket.waitFor(isReceipt('read', m2.Id), WAIT_MS, 'read receipt of two');
  assert.equal(await tab1.locator('.badge').isHidden(), true, 'the badge is gone');

  for (const c of [first, second]) {
    await page.locator(`[role=tab][data-contact-id="${c.contactId}"]`).click();
    await page.locator('.chat:not([hidden])').getByRole('button', { name: 'End chat' }).click();
    await page.locator('.chat:not([hidden])').getByRole('button', { name: 'Complete' }).click();
    await page.locator(`[role=tab][data-contact-id="${c.contactId}"]`).waitFor({ state: 'detached', timeout: WAIT_MS });
  }
  noErrors(page);
  await page.context().close();
});

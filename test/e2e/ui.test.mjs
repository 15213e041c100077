// Both browser UIs together against the real server: the customer in one
// browser context (the real chat widget, embedded on a page of a second
// local origin) and agents in others (the real agent workspace). The full
// path from the pre-chat form through offer, messages both ways, typing,
// read receipts, a quick response, a transfer to a second agent, the end
// and after-contact work to the default disconnect flow's message; then
// resuming: the customer reloads, the agent reloads, and the server itself
// restarts mid-chat (through the Go harness's control endpoint,
// PARLEY_CONTROL), after which both sides reconnect on their own and
// nothing is lost or doubled. Screenshots go to artifacts/ui-*.png.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { GetContactAttributesCommand } from '@aws-sdk/client-connect';
import { config, connectClient, parleyApi, unique } from './lib/parley.mjs';
import { newHours, newQueue, newProfile as createProfile, inboundFlowOn, newQueueQuickConnect, newAgent as createAgent, setOffline } from './lib/setup.mjs';
import { WAIT_MS, launchChromium, makeArtifactsDir, screenshotter, recordProblems, visible, noErrors, loginAgent as login, setAvailable } from './lib/browser.mjs';

const CONTROL = process.env.PARLEY_CONTROL || '';
// After a server restart the clients reconnect with backoff (1 s, 2 s, 4 s, …).
const RECONNECT_MS = 60_000;
const { endpoint, bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();
const AGENT_LEFT = 'The agent has left the chat.';

let browser;
let hostServer;
let customerOrigin;
let setup; // {flowId, profileA, profileB, queueA, queueB, quickConnectName, quickResponse, widgetId}
let testAgents = [];
const contexts = [];

/** The company's page: its own content, then the widget's two-line snippet. */
function hostPage() {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example shop</title></head>
<body><h1>Example shop</h1><p>Our products, our prices.</p>
<script src="${endpoint}/widget/parley-widget.js" data-parley-widget="${setup.widgetId}" async></script>
</body></html>`;
}

const newProfile = (name, queueId) => createProfile({ name: `ui-${name}`, queueId, concurrency: 2, description: 'ui test' });

/** A new agent on a routing profile; afterEach sets every agent made in a test Offline. */
async function newAgent(name, RoutingProfileId) {
  const agent = await createAgent({ username: unique(name.toLowerCase()), routingProfileId: RoutingProfileId, firstName: name });
  testAgents.push(agent.userId);
  return { ...agent, name };
}

before(async () => {
  makeArtifactsDir();
  // Queues, profiles, a flow, a quick connect and a widget of this file's
  // own: other files' chats and agents never meet them.
  const hours = await newHours('ui-hours');
  const queueA = await newQueue('ui-first', hours);
  const queueB = await newQueue('ui-second', hours);
  const profileA = await newProfile('first', queueA);
  const profileB = await newProfile('second', queueB);
  // The default inbound flow (greeting, disconnect flow, whisper), on the first queue.
  const flow = await inboundFlowOn(queueA, 'ui-inbound', { Status: 'PUBLISHED' });
  const quickConnectName = unique('Second line');
  await newQueueQuickConnect(quickConnectName, queueA, queueB);
  const quickResponse = { Name: unique('Opening hours'), Content: 'We are open **9 to 5**, Monday to Friday.', Shortcut: unique('hours') };
  const qr = await parleyApi('PUT', `/parley/quick-responses/${InstanceId}`, quickResponse);
  assert.equal(qr.status, 200, `PUT /parley/quick-responses: ${JSON.stringify(qr)}`);

  // The company's page, on an origin of its own (not the server's).
  hostServer = http.createServer((req, res) => {
    if (req.url.split('?')[0] === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(hostPage());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
  customerOrigin = `http://127.0.0.1:${hostServer.address().port}`;
  assert.notEqual(customerOrigin, endpoint, 'the page and the server are two origins');
  const widget = await parleyApi('PUT', `/parley/widgets/${InstanceId}`, {
    Name: unique('ui widget'),
    ContactFlowId: flow.ContactFlowId,
    AllowedOrigins: [customerOrigin],
    Title: 'Example support',
    Greeting: 'Questions? We are here to help.',
    PreChatForm: {
      Enabled: true,
      Fields: [
        { Name: 'customerName', Label: 'Your name', Type: 'text', Required: true },
        { Name: 'email', Label: 'Email', Type: 'email', Required: false },
      ],
    },
    RateLimitPerMinute: 100,
    Locale: 'en',
  });
  assert.equal(widget.status, 200, `PUT /parley/widgets: ${JSON.stringify(widget.body)}`);
  setup = { flowId: flow.ContactFlowId, profileA, profileB, queueA, queueB, quickConnectName, quickResponse, widgetId: widget.body.WidgetId };

  browser = await launchChromium();
});

// An agent left Available by a failed test must not take the next test's chats.
afterEach(async () => {
  await setOffline(testAgents);
  testAgents = [];
  for (const c of contexts.splice(0)) await c.close().catch(() => {});
});

after(async () => {
  await browser?.close();
  hostServer?.close();
});

/** A fresh browser context (own cookies and storage) with a page that records its problems. */
async function newPage(width = 1200) {
  const context = await browser.newContext({ viewport: { width, height: 820 } });
  context.setDefaultTimeout(WAIT_MS);
  contexts.push(context);
  const page = await context.newPage();
  recordProblems(page);
  return page;
}

const shot = screenshotter('ui');

// ---- the customer's side: the widget ----

/** The widget's conversation log (inside its shadow root; locators pierce it). */
const wlog = (page) => page.locator('.pw-log');

/** The texts of the widget's message bubbles, in order. */
const widgetTexts = (page) => page.locator('.pw-log .pw-msg .pw-bubble').allTextContents();

/** The widget's stored chat, from the page's localStorage. */
const storedChat = (page) => page.evaluate((id) => JSON.parse(localStorage.getItem('parley-widget:' + id) || 'null'), setup.widgetId);

/** Opens the shop page and the widget, fills the pre-chat form and starts; resolves the stored chat. */
async function customerStarts(page, name, email, shotName) {
  await page.goto(customerOrigin + '/');
  await visible(page, page.locator('.pw-launcher'), 'launcher');
  await page.locator('.pw-launcher').click();
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  if (shotName) await shot(page, shotName);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await visible(page, wlog(page).getByText(`Hi ${name}, thanks for contacting us`), 'the flow greeting in the widget');
  const chat = await storedChat(page);
  assert.ok(chat?.participantToken && chat.contactId, `stored chat ${JSON.stringify(chat)}`);
  return chat;
}

/** Types and sends a message from the widget. */
async function customerSends(page, text) {
  const input = page.getByLabel('Type your message');
  await input.fill(text);
  await input.press('Enter');
  await visible(page, page.locator('.pw-mine .pw-bubble', { hasText: text }), `own message "${text}" in the widget`);
}

// ---- the agent's side: the workspace ----

const CHAT = '.chat:not([hidden])';

/** Waits for the contact's offer and accepts it; resolves once the chat's composer shows. */
async function accept(page, contactId, name, shotName) {
  const offer = page.locator(`.offer[data-contact-id="${contactId}"]`);
  await visible(page, offer, 'the offer');
  await visible(page, offer.locator('h2', { hasText: name }), 'the customer name on the offer');
  if (shotName) await shot(page, shotName);
  await offer.getByRole('button', { name: 'Accept' }).click();
  await visible(page, page.locator(`${CHAT} .composer-input`), 'the chat after accepting');
  await offer.waitFor({ state: 'detached' });
}

/** The messages of the agent's visible chat, as {who, text, id}. */
function agentMessages(page) {
  return page.$$eval(`${CHAT} .transcript li.msg`, (els) =>
    els.map((el) => ({ who: el.querySelector('.who')?.textContent, text: el.querySelector('.msg-body')?.textContent, id: el.dataset.id })),
  );
}

const agentMsg = (page, text) => page.locator(`${CHAT} .transcript li.msg`, { hasText: text });

/** Types and sends a message from the agent's composer. */
async function agentSends(page, text) {
  const composer = page.locator(`${CHAT} .composer-input`);
  await composer.fill(text);
  await composer.press('Enter');
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === '', `${CHAT} .composer-input`, { timeout: WAIT_MS });
}

/** Asserts that a list has no repeats, naming them. */
function noRepeats(list, what) {
  const seen = new Set();
  const twice = list.filter((x) => (seen.has(x) ? true : (seen.add(x), false)));
  assert.deepEqual(twice, [], `${what} shown more than once: ${JSON.stringify(list)}`);
}

/** How many bubbles of the widget show exactly this text. */
async function widgetCount(page, text) {
  return (await widgetTexts(page)).filter((t) => t === text).length;
}

/** How many messages of the agent's visible chat show exactly this text. */
async function agentCount(page, text) {
  return (await agentMessages(page)).filter((m) => m.text === text).length;
}

test('the full path: pre-chat form, offer, both ways with typing and receipts, quick response, transfer, end, wrap-up, disconnect flow', async () => {
  const agent1 = await newAgent('Ada', setup.profileA);
  const agent2 = await newAgent('Bo', setup.profileB);

  // Agent 1 signs in through the workspace and goes Available.
  const a1 = await newPage();
  await a1.goto(`${endpoint}/agent/`);
  await visible(a1, a1.getByRole('button', { name: 'Sign in' }), 'the login form');
  await shot(a1, 'agent-1-login');
  await login(a1, agent1.username);
  await setAvailable(a1);

  // The customer, on the company's page, fills in the pre-chat form.
  const cust = await newPage(1000);
  await cust.goto(customerOrigin + '/');
  await visible(cust, cust.locator('.pw-launcher'), 'launcher');
  await shot(cust, 'customer-1-page');
  const chat = await customerStarts(cust, 'Casey', 'casey@example.com', 'customer-2-prechat');
  const { contactId } = chat;

  // Agent 1 gets the offer with the name from the form, and accepts.
  await accept(a1, contactId, 'Casey', 'agent-2-offer');
  await visible(a1, agentMsg(a1, 'Hi Casey, thanks for contacting us'), 'the greeting in the agent transcript');
  await visible(a1, a1.locator(`${CHAT} .details`, { hasText: 'casey@example.com' }), 'the email from the form in the details');
  await visible(a1, a1.locator(`${CHAT} .details`, { hasText: setup.widgetId }), 'the widget id attribute');
  await visible(cust, wlog(cust).getByText(/Ada.* joined the chat/), 'the agent joining, in the widget');

  // Customer → agent: typing shows in the workspace; the agent reads it, the widget shows Read.
  const input = cust.getByLabel('Type your message');
  await input.click();
  await input.pressSequentially('Where is my order?');
  await visible(a1, a1.locator(`${CHAT} .typing`, { hasText: 'Casey is typing' }), 'customer typing, in the workspace');
  await input.press('Enter');
  await visible(a1, agentMsg(a1, 'Where is my order?'), 'the customer message in the workspace');
  assert.equal(await a1.locator(`${CHAT} .typing`).textContent(), '', 'typing hidden once the message came');
  await visible(cust, cust.locator('.pw-mine', { hasText: 'Where is my order?' }).locator('.pw-meta', { hasText: 'Read' }), 'Read on the customer message');

  // Agent → customer: typing shows in the widget; the widget reads it, the workspace shows Read.
  const composer = a1.locator(`${CHAT} .composer-input`);
  await composer.click();
  await composer.pressSequentially('Let me check that for you.');
  await visible(cust, cust.locator('.pw-typing', { hasText: /Ada.* is typing…/ }), 'agent typing, in the widget');
  await composer.press('Enter');
  await visible(cust, wlog(cust).locator('.pw-theirs .pw-bubble', { hasText: 'Let me check that for you.' }), 'the agent message in the widget');
  assert.equal(await cust.locator('.pw-typing').textContent(), '', 'typing hidden once the message came');
  await visible(cust, wlog(cust).locator('.pw-theirs .pw-name', { hasText: /Ada/ }), 'the agent name in the widget');
  const mine1 = a1.locator(`${CHAT} li.msg.mine`, { hasText: 'Let me check that for you.' });
  await visible(a1, mine1.locator('.receipt[data-receipt="read"]'), 'Read on the agent message');

  // A quick response, searched and inserted, then sent; the widget renders its markdown.
  await a1.locator(CHAT).getByRole('button', { name: 'Quick responses' }).click();
  await a1.locator(CHAT).getByLabel('Search quick responses').fill(setup.quickResponse.Shortcut.toUpperCase());
  await visible(a1, a1.locator(`${CHAT} .quick-item`, { hasText: setup.quickResponse.Name }), 'the quick response in the list');
  await shot(a1, 'agent-3-quick-responses');
  await a1.locator(`${CHAT} .quick-item`, { hasText: setup.quickResponse.Name }).click();
  assert.equal(await composer.inputValue(), setup.quickResponse.Content, 'the quick response inserted');
  await composer.press('Enter');
  await visible(cust, wlog(cust).locator('.pw-theirs strong', { hasText: '9 to 5' }), 'the quick response in the widget, as markdown');
  await visible(a1, a1.locator(`${CHAT} li.msg.mine strong`, { hasText: '9 to 5' }), 'the quick response in the workspace');
  await customerSends(cust, 'Thanks!');
  await visible(a1, agentMsg(a1, 'Thanks!'), 'the thanks in the workspace');
  await shot(cust, 'customer-3-conversation');
  await shot(a1, 'agent-4-chat');
  const beforeTransfer = await agentMessages(a1);
  noRepeats(beforeTransfer.map((m) => m.id), 'agent 1: messages');

  // Transfer through the quick connect to agent 2, in a browser of their own.
  const a2 = await newPage();
  await login(a2, agent2.username);
  await setAvailable(a2);
  await a1.locator(CHAT).getByRole('button', { name: 'Transfer' }).click();
  await visible(a1, a1.locator('dialog .quick-item', { hasText: setup.quickConnectName }), 'the quick connect in the transfer dialog');
  await shot(a1, 'agent-5-transfer');
  await a1.locator('dialog .quick-item', { hasText: setup.quickConnectName }).click();
  await visible(a1, a1.locator(`${CHAT} .acw`), 'agent 1 in after-contact work');
  await accept(a2, contactId, 'Casey');
  for (const m of beforeTransfer) await visible(a2, a2.locator(`${CHAT} li.msg[data-id="${m.id}"]`), `agent 2 sees "${m.text}"`);
  const seen2 = await agentMessages(a2);
  noRepeats(seen2.map((m) => m.id), 'agent 2: messages');
  assert.deepEqual(seen2.slice(0, beforeTransfer.length).map((m) => m.text), beforeTransfer.map((m) => m.text), 'agent 2 sees the whole transcript, in order');
  await visible(cust, wlog(cust).getByText(/Bo.* joined the chat/), 'agent 2 joining, in the widget');

  // Agent 1 wraps up the transferred contact with a note.
  await a1.locator(CHAT).getByLabel('Wrap-up note').fill('Transferred to the second line');
  await shot(a1, 'agent-6-acw');
  await a1.locator(CHAT).getByRole('button', { name: 'Complete' }).click();
  await a1.locator('[role=tab]').first().waitFor({ state: 'detached' });

  // Agent 2 and the customer talk; then agent 2 ends the chat and wraps up.
  await agentSends(a2, 'Hello Casey, Bo here. Your order ships today.');
  await visible(cust, wlog(cust).getByText('Hello Casey, Bo here. Your order ships today.'), 'agent 2 message in the widget');
  await customerSends(cust, 'Great, bye');
  await visible(a2, agentMsg(a2, 'Great, bye'), 'the customer message for agent 2');
  await visible(cust, cust.locator('.pw-mine', { hasText: 'Great, bye' }).locator('.pw-meta', { hasText: 'Read' }), 'agent 2 read it');
  await shot(a2, 'agent-7-second-agent');
  await a2.locator(CHAT).getByRole('button', { name: 'End chat' }).click();
  await visible(a2, a2.locator(`${CHAT} .acw`), 'agent 2 in after-contact work');
  await a2.locator(CHAT).getByLabel('Wrap-up note').fill('Resolved: ships today');
  await a2.locator(CHAT).getByRole('button', { name: 'Complete' }).click();
  await a2.locator('[role=tab]').first().waitFor({ state: 'detached' });
  const attrs = await connect.send(new GetContactAttributesCommand({ InstanceId, InitialContactId: contactId }));
  assert.equal(attrs.Attributes.wrapUpNote, 'Resolved: ships today', 'the last wrap-up note is kept');
  assert.equal(attrs.Attributes.customerName, 'Casey');
  assert.equal(attrs.Attributes.email, 'casey@example.com');

  // The default disconnect flow speaks to the customer, who is still in the chat.
  await visible(cust, wlog(cust).getByText(AGENT_LEFT), 'the disconnect flow message in the widget');
  await visible(cust, wlog(cust).getByText(/Bo.* left the chat/), 'agent 2 leaving, in the widget');
  assert.equal(await cust.getByLabel('Type your message').isDisabled(), false, 'the customer may still reply');
  await shot(cust, 'customer-4-agent-left');
  const texts = await widgetTexts(cust);
  for (const t of ['Where is my order?', 'Let me check that for you.', 'Thanks!', 'Great, bye']) assert.equal(texts.filter((x) => x === t).length, 1, `"${t}" once in ${JSON.stringify(texts)}`);

  // The customer ends the chat.
  await cust.getByRole('button', { name: 'End chat' }).click();
  await visible(cust, cust.getByText('The chat has ended.'), 'the ended notice');
  await shot(cust, 'customer-5-ended');
  for (const p of [a1, a2, cust]) noErrors(p);
});

/** Records every text a status element shows from now on, in window.__statusLog. */
function watchStatus(page, hostSelector, selector) {
  return page.evaluate(
    ([hostSel, sel]) => {
      const root = hostSel ? document.querySelector(hostSel).shadowRoot : document;
      const el = root.querySelector(sel);
      window.__statusLog = [];
      new MutationObserver(() => window.__statusLog.push(el.hidden ? '' : el.textContent)).observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
    },
    [hostSelector, selector],
  );
}

test('resume: the customer reloads, the agent reloads, the server restarts mid-chat; nothing lost or doubled', async (t) => {
  if (!CONTROL) return t.skip('PARLEY_CONTROL is not set: run through go test');
  const agent = await newAgent('Cy', setup.profileA);
  const ag = await newPage();
  await login(ag, agent.username);
  await setAvailable(ag);
  const cust = await newPage(1000);
  const { contactId } = await customerStarts(cust, 'Dana', 'dana@example.com');
  await accept(ag, contactId, 'Dana');
  await customerSends(cust, 'first from Dana');
  await visible(ag, agentMsg(ag, 'first from Dana'), 'first customer message');
  await agentSends(ag, 'first from Cy');
  await visible(cust, wlog(cust).getByText('first from Cy'), 'first agent message');

  // The customer reloads the page: the same conversation, once, and it goes on.
  const beforeReload = await widgetTexts(cust);
  await cust.reload();
  await visible(cust, cust.locator('.pw-launcher'), 'launcher after reload');
  await cust.locator('.pw-launcher').click();
  await visible(cust, wlog(cust).getByText('first from Cy'), 'the restored conversation');
  assert.deepEqual(await widgetTexts(cust), beforeReload, 'the restored conversation, in order, without duplicates');
  await customerSends(cust, 'after my reload');
  await visible(ag, agentMsg(ag, 'after my reload'), 'the message after the customer reload');
  await agentSends(ag, 'got it after your reload');
  await visible(cust, wlog(cust).getByText('got it after your reload'), 'the answer after the customer reload');
  assert.deepEqual(await widgetTexts(cust), [...beforeReload, 'after my reload', 'got it after your reload'], 'the widget after the reload');

  // The agent reloads the workspace: the chat comes back, once, and goes on.
  const beforeAgentReload = await agentMessages(ag);
  await ag.reload();
  await visible(ag, ag.locator(`${CHAT} .composer-input`), 'the chat after the agent reload');
  await visible(ag, agentMsg(ag, 'got it after your reload'), 'the transcript after the agent reload');
  assert.equal(await ag.locator('[role=tab]').count(), 1, 'one chat tab after the reload');
  assert.deepEqual((await agentMessages(ag)).map((m) => m.id), beforeAgentReload.map((m) => m.id), 'the same transcript after the agent reload');
  await agentSends(ag, 'back after my reload');
  await visible(cust, wlog(cust).getByText('back after my reload'), 'the agent message after the agent reload');
  await customerSends(cust, 'welcome back');
  await visible(ag, agentMsg(ag, 'welcome back'), 'the customer message after the agent reload');
  noRepeats((await agentMessages(ag)).map((m) => m.id), 'agent after reload: messages');

  // The server restarts while both UIs have the chat open: killed, as a
  // crash would, then once more gracefully (SIGTERM: websockets closed 1001).
  for (const [mode, n] of [
    ['kill', 1],
    ['term', 2],
  ]) {
    const widgetBefore = await widgetTexts(cust);
    const agentBefore = await agentMessages(ag);
    await watchStatus(cust, '[data-parley-widget-host]', '.pw-status');
    await watchStatus(ag, null, `${CHAT} .banner`);
    const res = await fetch(`${CONTROL}/restart?mode=${mode}`, { method: 'POST' });
    assert.equal(res.status, 200, `restart (${mode}): ${await res.text()}`);
    // Both noticed the lost connection and, on their own, reconnected.
    for (const [page, what, sel] of [
      [cust, 'the widget', '.pw-status'],
      [ag, 'the workspace', `${CHAT} .banner`],
    ]) {
      try {
        await page.waitForFunction(() => window.__statusLog.some((s) => /Reconnecting/.test(s)), null, { timeout: RECONNECT_MS });
        await page.locator(sel).waitFor({ state: 'hidden', timeout: RECONNECT_MS });
      } catch (err) {
        const log = await page.evaluate(() => window.__statusLog).catch(() => []);
        assert.fail(`${what} after the restart (${mode}): ${err.message}\nstatus log: ${JSON.stringify(log)}\npage log:\n${page.log.join('\n')}`);
      }
    }
    if (n === 1) await shot(cust, 'customer-6-after-restart');

    // A message each way arrives exactly once; everything from before is still there, once.
    const fromCustomer = `still there after restart ${n}?`;
    const fromAgent = `yes, still here after restart ${n}`;
    const last = `last one after restart ${n}`;
    await customerSends(cust, fromCustomer);
    await visible(ag, agentMsg(ag, fromCustomer), `the customer message after restart ${n}`, RECONNECT_MS);
    await agentSends(ag, fromAgent);
    await visible(cust, wlog(cust).getByText(fromAgent), `the agent message after restart ${n}`, RECONNECT_MS);
    await visible(cust, cust.locator('.pw-mine', { hasText: fromCustomer }).locator('.pw-meta', { hasText: 'Read' }), `Read in the widget after restart ${n}`);
    await visible(ag, ag.locator(`${CHAT} li.msg.mine`, { hasText: fromAgent }).locator('.receipt[data-receipt="read"]'), `Read in the workspace after restart ${n}`);
    // One more round trip, so that any late duplicate would have arrived.
    await customerSends(cust, last);
    await visible(ag, agentMsg(ag, last), `the last customer message after restart ${n}`);
    assert.deepEqual(await widgetTexts(cust), [...widgetBefore, fromCustomer, fromAgent, last], `the widget after restart ${n}`);
    const agentAfter = await agentMessages(ag);
    noRepeats(agentAfter.map((m) => m.id), `agent after restart ${n}: messages`);
    assert.deepEqual(agentAfter.map((m) => m.text), [...agentBefore.map((m) => m.text), fromCustomer, fromAgent, last], `the workspace after restart ${n}`);
    for (const text of ['first from Dana', 'after my reload', 'welcome back', fromCustomer]) assert.equal(await agentCount(ag, text), 1, `"${text}" once for the agent`);
    for (const text of ['first from Cy', 'got it after your reload', 'back after my reload', fromAgent]) assert.equal(await widgetCount(cust, text), 1, `"${text}" once for the customer`);
  }
  await shot(ag, 'agent-8-after-restart');

  // The chat still ends normally.
  await ag.locator(CHAT).getByRole('button', { name: 'End chat' }).click();
  await ag.locator(CHAT).getByLabel('Wrap-up note').fill('Restarted mid-chat, all good');
  await ag.locator(CHAT).getByRole('button', { name: 'Complete' }).click();
  await ag.locator('[role=tab]').first().waitFor({ state: 'detached' });
  await visible(cust, wlog(cust).getByText(AGENT_LEFT), 'the disconnect flow message after the restart');
  noErrors(cust);
  noErrors(ag);
});

// Contact flows running on chats, end to end: a realistic inbound chat flow,
// written like a console export, is imported with the official
// @aws-sdk/client-connect and customers are driven through it with
// @aws-sdk/client-connectparticipant and the chat websocket. The flow calls
// the company's "order lookup" function (InvokeLambdaFunction, served here by
// a local HTTP server that checks Parley's request signature), branches on
// its answer, waits for the customer to come back, and either queues the
// chat or says goodbye. The flow log shows what each block did.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  CreateContactFlowCommand,
  DescribeContactCommand,
  GetContactAttributesCommand,
  StopContactCommand,
} from '@aws-sdk/client-connect';
import { config, connectClient, parleyApi, unique, expectError, startChat, startCustomer, isEvent, EVENT, brief } from './lib/parley.mjs';

const { bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const region = bootstrap.region;
const connect = connectClient();
const send = (Command, input) => connect.send(new Command({ InstanceId, ...input }));

const arn = (type, id) => `arn:aws:connect:${region}:000000000000:instance/${InstanceId}/${type}/${id}`;
const INSTANCE_ARN = `arn:aws:connect:${region}:000000000000:instance/${InstanceId}`;
const FUNCTION_ARN = `arn:aws:lambda:${region}:123456789012:function:order-lookup`;

const GREETING = 'Hi $.Attributes.firstName, thanks for contacting Acme Support.';
const SHIPPED = 'Your order $.Attributes.orderId has shipped and arrives $.External.eta.';
const LOOKUP_FAILED = "We couldn't look up your order right now. Sorry about that.";
const ANYTHING_ELSE = 'Is there anything else? Reply within a few seconds.';
const CONNECTING = 'Connecting you to an agent';
const GOODBYE = 'Thanks for chatting, goodbye';

// ---------------------------------------------------------------------------
// The company's order-lookup function.

/** Every request the function received: {ok, problems, event, orderId, status}. */
const calls = [];
let signingSecret;

/** Checks X-Parley-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>. */
function signatureProblem(header, body) {
  if (!signingSecret) return 'no signing secret registered yet';
  if (typeof header !== 'string') return 'no X-Parley-Signature header';
  let t;
  const sigs = [];
  for (const field of header.split(',')) {
    const [k, v] = field.trim().split('=', 2);
    if (k === 't') t = v;
    if (k === 'v1' && v) sigs.push(v);
  }
  if (!t || !/^\d+$/.test(t)) return `signature header without a timestamp: ${header}`;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return `signature timestamp ${t} is not recent`;
  const want = createHmac('sha256', signingSecret).update(t).update('.').update(body).digest();
  const match = sigs.some((hex) => {
    const got = Buffer.from(hex, 'hex');
    return got.length === want.length && timingSafeEqual(got, want);
  });
  return match ? undefined : `no v1 signature matches: ${header}`;
}

/** Problems with a Connect ContactFlowEvent body, as a list of strings. */
function eventProblems(ev) {
  const problems = [];
  if (ev?.Name !== 'ContactFlowEvent') problems.push(`Name is ${JSON.stringify(ev?.Name)}`);
  const cd = ev?.Details?.ContactData;
  if (!cd || typeof cd !== 'object') return [...problems, 'no Details.ContactData'];
  if (typeof cd.ContactId !== 'string' || !cd.ContactId) problems.push('no ContactData.ContactId');
  if (cd.Channel !== 'CHAT') problems.push(`ContactData.Channel is ${JSON.stringify(cd.Channel)}`);
  if (!cd.Attributes || typeof cd.Attributes !== 'object') problems.push('no ContactData.Attributes');
  if (cd.InstanceARN !== INSTANCE_ARN) problems.push(`ContactData.InstanceARN is ${JSON.stringify(cd.InstanceARN)}`);
  const p = ev.Details.Parameters;
  if (!p || typeof p !== 'object') problems.push('no Details.Parameters');
  return problems;
}

const functionServer = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const reply = (status, obj) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const call = { problems: [] };
    calls.push(call);
    if (req.method !== 'POST') call.problems.push(`method ${req.method}`);
    const sigProblem = signatureProblem(req.headers['x-parley-signature'], raw);
    if (sigProblem) {
      call.problems.push(sigProblem);
      call.status = 401;
      return reply(401, { message: 'bad signature' });
    }
    try {
      call.event = JSON.parse(raw.toString('utf8'));
    } catch {
      call.problems.push('body is not JSON');
      call.status = 400;
      return reply(400, { message: 'not JSON' });
    }
    call.problems.push(...eventProblems(call.event));
    if (call.problems.length) {
      call.status = 400;
      return reply(400, { message: call.problems.join('; ') });
    }
    call.orderId = call.event.Details.Parameters.orderId;
    if (call.orderId === '1234') {
      call.status = 200;
      return reply(200, { status: 'shipped', eta: 'tomorrow' });
    }
    call.status = 500;
    return reply(500, { message: `order ${call.orderId} not found` });
  });
});

after(() => new Promise((resolve) => functionServer.close(() => resolve())));

// ---------------------------------------------------------------------------
// The flow, as the console would export it.

const positions = {};
let col = 0;
/** An action with console-style designer metadata recorded for it. */
function block(Identifier, Type, Parameters, Transitions, meta = {}) {
  positions[Identifier] = { position: { x: 160 + 280 * (col % 5), y: 40 + 220 * Math.floor(col / 5) }, isFriendlyName: true, ...meta };
  col++;
  return { Identifier, Type, Parameters, Transitions };
}

/** Transitions that go to `next`, and to `onError` on any error. */
const then = (next, onError = next) => ({ NextAction: next, Errors: [{ NextAction: onError, ErrorType: 'NoMatchingError' }] });

function orderFlow(queueArn) {
  for (const k of Object.keys(positions)) delete positions[k];
  col = 0;
  const actions = [
    block('Set logging', 'UpdateFlowLoggingBehavior', { FlowLoggingBehavior: 'Enabled' }, { NextAction: 'Greeting' }),
    block('Greeting', 'MessageParticipant', { Text: GREETING }, then('Set entry point')),
    block('Set entry point', 'UpdateContactAttributes', { Attributes: { entryPoint: 'web-chat', greeted: 'true' } }, then('Has order number?')),
    block(
      'Has order number?',
      'Compare',
      { ComparisonValue: '$.Attributes.orderId' },
      {
        NextAction: 'Looking up',
        Conditions: [{ NextAction: 'No order number', Condition: { Operator: 'Equals', Operands: [''] } }],
        Errors: [{ NextAction: 'Looking up', ErrorType: 'NoMatchingCondition' }],
      },
      { conditionMetadata: [{ id: 'c1', operator: { name: 'Equals', value: 'Equals', shortDisplay: '=' }, value: '' }] },
    ),
    block('Looking up', 'MessageParticipant', { Text: 'One moment while I look up order $.Attributes.orderId.' }, then('Order lookup')),
    block(
      'Order lookup',
      'InvokeLambdaFunction',
      {
        LambdaFunctionARN: FUNCTION_ARN,
        InvocationTimeLimitSeconds: '3',
        LambdaInvocationAttributes: { orderId: '$.Attributes.orderId' },
        ResponseValidation: { ResponseType: 'STRING_MAP' },
      },
      then('Order shipped?', 'Lookup failed'),
      { parameters: { LambdaFunctionARN: { displayName: 'order-lookup' } }, dynamicMetadata: { orderId: false } },
    ),
    block(
      'Order shipped?',
      'Compare',
      { ComparisonValue: '$.External.status' },
      {
        NextAction: 'Order status',
        Conditions: [{ NextAction: 'Shipped', Condition: { Operator: 'Equals', Operands: ['shipped'] } }],
        Errors: [{ NextAction: 'Order status', ErrorType: 'NoMatchingCondition' }],
      },
    ),
    block('Shipped', 'MessageParticipant', { Text: SHIPPED }, then('Save order status')),
    block('Order status', 'MessageParticipant', { Text: 'Your order $.Attributes.orderId is $.External.status.' }, then('Save order status')),
    block('Save order status', 'UpdateContactAttributes', { Attributes: { orderStatus: '$.External.status' } }, then('Anything else')),
    block('Lookup failed', 'MessageParticipant', { Text: LOOKUP_FAILED }, then('Anything else')),
    block('No order number', 'MessageParticipant', { Text: 'Tell us your order number any time and we will look it up.' }, then('Anything else')),
    block('Anything else', 'MessageParticipant', { Text: ANYTHING_ELSE }, then('Wait for reply')),
    block(
      'Wait for reply',
      'Wait',
      { TimeLimitSeconds: '3', Events: ['CustomerReturned'] },
      {
        NextAction: 'Goodbye',
        Conditions: [
          { NextAction: 'Connecting', Condition: { Operator: 'Equals', Operands: ['CustomerReturned'] } },
          { NextAction: 'Goodbye', Condition: { Operator: 'Equals', Operands: ['WaitCompleted'] } },
        ],
        Errors: [{ NextAction: 'Goodbye', ErrorType: 'NoMatchingError' }],
      },
      { timeoutUnit: { display: 'Seconds', value: 'second' } },
    ),
    block('Connecting', 'MessageParticipant', { Text: CONNECTING }, then('Set working queue')),
    block('Set working queue', 'UpdateContactTargetQueue', { QueueId: queueArn }, then('Transfer to queue', 'Sorry'), {
      queue: { id: queueArn, text: 'BasicQueue' },
    }),
    block(
      'Transfer to queue',
      'TransferContactToQueue',
      {},
      {
        NextAction: 'Sorry',
        Errors: [
          { NextAction: 'Sorry', ErrorType: 'QueueAtCapacity' },
          { NextAction: 'Sorry', ErrorType: 'NoMatchingError' },
        ],
      },
    ),
    block('Sorry', 'MessageParticipant', { Text: 'Sorry, we cannot connect you right now. Please try again later.' }, then('Disconnect')),
    block('Goodbye', 'MessageParticipant', { Text: GOODBYE }, then('Disconnect')),
    block('Disconnect', 'DisconnectParticipant', {}, {}),
  ];
  return {
    Version: '2019-10-30',
    StartAction: 'Set logging',
    Metadata: {
      entryPointPosition: { x: 20, y: 40 },
      ActionMetadata: { ...positions },
      Annotations: [],
      name: 'Order status chat',
      description: 'Greets the customer, looks up their order and hands over to an agent on request.',
      type: 'contactFlow',
      status: 'published',
      hash: {},
    },
    Actions: actions,
  };
}

// ---------------------------------------------------------------------------
// Setup shared by the tests: the function registered, the flow published.

let setupPromise;
function setup() {
  setupPromise ??= (async () => {
    await new Promise((resolve, reject) => {
      functionServer.once('error', reject);
      functionServer.listen(0, '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${functionServer.address().port}/order-lookup`;
    const reg = await parleyApi('PUT', `/parley/functions/${InstanceId}`, { FunctionArn: FUNCTION_ARN, Url: url });
    assert.equal(reg.status, 200, `PUT /parley/functions: ${JSON.stringify(reg)}`);
    assert.equal(reg.body.FunctionArn, FUNCTION_ARN);
    assert.equal(reg.body.Url, url);
    assert.match(reg.body.SigningSecret, /^whsec_/);
    signingSecret = reg.body.SigningSecret;

    const flow = orderFlow(arn('queue', bootstrap.basicQueueId));
    assert.ok(flow.Actions.length >= 15, `the flow has ${flow.Actions.length} blocks`);
    const created = await send(CreateContactFlowCommand, {
      Name: unique('Order status chat'),
      Type: 'CONTACT_FLOW',
      Description: 'Web chat: order status, then an agent on request',
      Content: JSON.stringify(flow, null, 2),
      Status: 'PUBLISHED',
    });
    assert.match(created.ContactFlowId, /^[0-9a-f-]{36}$/);
    return { flowId: created.ContactFlowId };
  })();
  return setupPromise;
}

// ---------------------------------------------------------------------------
// Helpers.

const isText = (text) => (item) => item.Type === 'MESSAGE' && item.Content === text;

/**
 * Waits until the customer sees a message with exactly this text: live on
 * the websocket, or in GetTranscript (the flow's first messages are written
 * at StartChatContact, before the customer's socket exists).
 */
async function seeMessage(customer, text, ms = 10_000) {
  const deadline = Date.now() + ms;
  let transcript = [];
  for (;;) {
    const live = customer.socket.items.find(isText(text));
    if (live) return live;
    const out = await customer.transcript({ MaxResults: 100, SortOrder: 'ASCENDING' });
    transcript = out.Transcript ?? [];
    const stored = transcript.find(isText(text));
    if (stored) return stored;
    if (Date.now() > deadline) {
      assert.fail(
        `the customer did not see ${JSON.stringify(text)} within ${ms} ms; transcript:\n  ${transcript.map(brief).join('\n  ') || '(none)'}`,
      );
    }
    if (customer.socket.closed) await new Promise((r) => setTimeout(r, 150));
    else await customer.socket.waitUntil(() => customer.socket.items.find(isText(text)), 150, 'tick').catch(() => {});
  }
}

async function describe(ContactId) {
  const { Contact } = await send(DescribeContactCommand, { ContactId });
  assert.ok(Contact, 'DescribeContact: no Contact');
  return Contact;
}

/** Polls fn every 100 ms until it returns a truthy value or the deadline passes. */
async function poll(what, fn, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** All flow-log records of a contact, paging with NextAfter. */
async function flowLogs(contactId) {
  const records = [];
  let afterId = 0;
  for (let page = 0; page < 20; page++) {
    const res = await parleyApi('GET', `/parley/contact-flow-logs/${InstanceId}/${contactId}?after=${afterId}&maxResults=100`);
    assert.equal(res.status, 200, `GET contact-flow-logs: ${JSON.stringify(res)}`);
    assert.ok(Array.isArray(res.body.FlowLogs), `FlowLogs: ${JSON.stringify(res.body)}`);
    records.push(...res.body.FlowLogs);
    if (res.body.FlowLogs.length === 0) return records;
    assert.ok(res.body.NextAfter > afterId, `NextAfter moves on: ${JSON.stringify(res.body.NextAfter)}`);
    afterId = res.body.NextAfter;
  }
  assert.fail(`flow logs of ${contactId} still paging after 20 pages`);
}

const callsFor = (contactId) => calls.filter((c) => c.event?.Details?.ContactData?.ContactId === contactId);

// ---------------------------------------------------------------------------

test('an order that shipped: the function answers, the customer asks for more and is queued', async (t) => {
  const { flowId } = await setup();
  const { chat, customer } = await startCustomer({
    ContactFlowId: flowId,
    ParticipantDetails: { DisplayName: 'Dana' },
    Attributes: { firstName: 'Dana', orderId: '1234' },
  });
  t.after(async () => {
    customer.close();
    // Leave nothing queued for other tests' agents.
    await send(StopContactCommand, { ContactId: chat.ContactId }).catch(() => {});
  });

  await seeMessage(customer, 'Hi Dana, thanks for contacting Acme Support.');
  // The function's answer arrives asynchronously, after the call returns.
  await seeMessage(customer, 'Your order 1234 has shipped and arrives tomorrow.');
  const prompt = await seeMessage(customer, ANYTHING_ELSE);
  assert.equal(prompt.ParticipantRole, 'SYSTEM', `flow messages come from the system: ${brief(prompt)}`);

  const mine = callsFor(chat.ContactId);
  assert.equal(mine.length, 1, `one function call for the contact: ${JSON.stringify(mine)}`);
  const [call] = mine;
  assert.deepEqual(call.problems, []);
  assert.equal(call.status, 200);
  assert.deepEqual(call.event.Details.Parameters, { orderId: '1234' });
  assert.equal(call.event.Details.ContactData.Attributes.firstName, 'Dana');
  assert.equal(call.event.Details.ContactData.Attributes.orderId, '1234');
  assert.equal(call.event.Details.ContactData.Attributes.entryPoint, 'web-chat', 'attributes set earlier in the flow are sent');

  // Within the wait, the customer comes back.
  await customer.send('yes, one more question');
  await seeMessage(customer, CONNECTING);
  assert.ok(
    !customer.socket.items.some(isText(GOODBYE)),
    `the wait was interrupted, not completed: ${customer.socket.items.map(brief).join(' | ')}`,
  );

  const attrs = await send(GetContactAttributesCommand, { InitialContactId: chat.ContactId });
  assert.equal(attrs.Attributes.orderStatus, 'shipped');
  assert.equal(attrs.Attributes.firstName, 'Dana');

  const contact = await poll('the contact to be queued in BasicQueue', async () => {
    const c = await describe(chat.ContactId);
    return c.QueueInfo?.Id === bootstrap.basicQueueId ? c : undefined;
  });
  assert.equal(contact.Channel, 'CHAT');
  assert.equal(contact.DisconnectTimestamp, undefined, 'the contact is still active');
  assert.ok(contact.QueueInfo.EnqueueTimestamp instanceof Date);
  assert.ok(!customer.socket.closed, 'the customer is still connected');

  // The flow log tells the story.
  const logs = await poll('the flow log to hold the transfer', async () => {
    const l = await flowLogs(chat.ContactId);
    return l.some((r) => r.ContactFlowModuleType === 'TransferContactToQueue') ? l : undefined;
  });
  const flowArn = arn('contact-flow', flowId);
  for (const r of logs) {
    assert.equal(r.ContactId, chat.ContactId);
    assert.equal(r.ContactFlowId, flowArn);
    assert.match(r.Timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  }
  const byId = (id) => logs.filter((r) => r.Identifier === id);
  const lambda = byId('Order lookup').find((r) => r.ExternalResults);
  assert.ok(lambda, `a record of the function call with ExternalResults: ${JSON.stringify(byId('Order lookup'))}`);
  assert.equal(lambda.ContactFlowModuleType, 'InvokeLambdaFunction');
  assert.deepEqual(lambda.ExternalResults, { status: 'shipped', eta: 'tomorrow' });
  const wait = byId('Wait for reply').find((r) => r.Results);
  assert.ok(wait, `a record of the wait with Results: ${JSON.stringify(byId('Wait for reply'))}`);
  assert.equal(wait.Results, 'CustomerReturned');
  assert.equal(wait.ContactFlowModuleType, 'Wait');
  const setQueue = byId('Set working queue');
  assert.equal(setQueue.length, 1, `one Set working queue record: ${JSON.stringify(setQueue)}`);
  assert.equal(setQueue[0].ContactFlowModuleType, 'SetQueue');
  assert.ok(
    JSON.stringify(setQueue[0].Parameters ?? {}).includes(bootstrap.basicQueueId),
    `SetQueue names the queue: ${JSON.stringify(setQueue[0])}`,
  );
  const greeting = byId('Greeting');
  assert.equal(greeting.length, 1);
  assert.equal(greeting[0].ContactFlowModuleType, 'MessageParticipant');
  assert.ok(!logs.some((r) => r.Identifier === 'Goodbye'), 'the goodbye branch never ran');
  customer.socket.check();
});

test('an order the function cannot find: the error branch, then goodbye when the customer stays quiet', async (t) => {
  const { flowId } = await setup();
  const { chat, customer } = await startCustomer({
    ContactFlowId: flowId,
    ParticipantDetails: { DisplayName: 'Sam' },
    Attributes: { firstName: 'Sam', orderId: '9999' },
  });
  t.after(() => customer.close());

  await seeMessage(customer, 'Hi Sam, thanks for contacting Acme Support.');
  await seeMessage(customer, LOOKUP_FAILED);
  const prompt = await seeMessage(customer, ANYTHING_ELSE);

  const mine = callsFor(chat.ContactId);
  assert.ok(mine.length >= 1, 'the function was called');
  for (const c of mine) {
    assert.deepEqual(c.problems, []);
    assert.equal(c.status, 500);
    assert.equal(c.orderId, '9999');
  }
  assert.ok(!customer.socket.items.some((i) => i.Type === 'MESSAGE' && /has shipped/.test(i.Content)));

  // The customer stays quiet: after the 3 s wait the flow says goodbye and ends the chat.
  const bye = await seeMessage(customer, GOODBYE, 10_000);
  const waited = Date.parse(bye.AbsoluteTime) - Date.parse(prompt.AbsoluteTime);
  assert.ok(waited >= 2500 && waited < 10_000, `goodbye was sent ${waited} ms after the prompt; the wait is 3 s`);
  await customer.socket.waitFor(isEvent(EVENT.ended), 10_000, 'waiting for chat.ended');
  await customer.socket.waitClosed(10_000);

  await expectError(customer.transcript(), 'AccessDeniedException', 403, 'GetTranscript after the chat ended');
  const contact = await poll('DescribeContact to show the disconnect', async () => {
    const c = await describe(chat.ContactId);
    return c.DisconnectTimestamp ? c : undefined;
  });
  assert.ok(contact.DisconnectTimestamp instanceof Date);
  assert.equal(contact.QueueInfo, undefined, 'the contact was never queued');

  const logs = await flowLogs(chat.ContactId);
  const lambda = logs.filter((r) => r.Identifier === 'Order lookup');
  assert.ok(lambda.some((r) => r.ErrorType === 'NoMatchingError' || r.Error), `the function call failed in the log: ${JSON.stringify(lambda)}`);
  const wait = logs.filter((r) => r.Identifier === 'Wait for reply').find((r) => r.Results);
  assert.equal(wait?.Results, 'WaitCompleted', `wait record: ${JSON.stringify(logs.filter((r) => r.Identifier === 'Wait for reply'))}`);
  customer.socket.check();
});

test('a flow saved as a draft and never published cannot start a chat', async () => {
  await setup();
  const draft = await send(CreateContactFlowCommand, {
    Name: unique('Order status draft'),
    Type: 'CONTACT_FLOW',
    Content: JSON.stringify(orderFlow(arn('queue', bootstrap.basicQueueId))),
    Status: 'SAVED',
  });
  const err = await expectError(
    startChat({ ContactFlowId: draft.ContactFlowId, Attributes: { firstName: 'Lee', orderId: '1234' } }),
    'InvalidParameterException',
    400,
    'StartChatContact with a draft flow',
  );
  assert.match(err.message, /never been published/);
});

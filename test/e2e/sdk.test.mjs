// The official AWS SDK clients (@aws-sdk/client-connect and
// @aws-sdk/client-connectparticipant) and a raw chatjs-protocol websocket
// against a running Parley server: the Connect chat wire contract end to end.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  StopContactCommand,
  DescribeContactCommand,
  GetContactAttributesCommand,
  UpdateContactAttributesCommand,
  StartChatContactCommand,
  UpdateParticipantRoleConfigCommand,
} from '@aws-sdk/client-connect';
import {
  CreateParticipantConnectionCommand,
  SendMessageCommand,
  GetTranscriptCommand,
} from '@aws-sdk/client-connectparticipant';
import {
  config,
  connectClient,
  participantClient,
  startChat,
  startCustomer,
  connectBot,
  addBot,
  expectError,
  pageTranscript,
  brief,
  isMessage,
  isEvent,
  isReceipt,
  EVENT,
  ISO_MILLIS,
  Participant,
  ChatSocket,
} from './lib/parley.mjs';

const { bootstrap } = config();
const connect = connectClient();
const open = [];

/** Remembers participants so their sockets are closed when the file ends. */
function track(...ps) {
  open.push(...ps);
  return ps.length === 1 ? ps[0] : ps;
}

after(() => {
  for (const p of open) p.close();
});

const describeContact = (ContactId) =>
  connect.send(new DescribeContactCommand({ InstanceId: bootstrap.instanceId, ContactId }));

/** Asserts the fields every websocket item of this contact must carry. */
function assertItemEnvelope(item, contactId) {
  assert.equal(item.ContactId, contactId, `item ContactId: ${brief(item)}`);
  assert.equal(item.InitialContactId, contactId, `item InitialContactId: ${brief(item)}`);
  assert.match(String(item.AbsoluteTime), ISO_MILLIS, `item AbsoluteTime: ${brief(item)}`);
  assert.ok(item.Id, `item without Id: ${JSON.stringify(item)}`);
}

test('customer and bot exchange messages, typing and receipts', async () => {
  const { chat, customer } = await startCustomer({
    ParticipantDetails: { DisplayName: 'Ada' },
    Attributes: { customerName: 'Ada', tier: 'gold' },
    SupportedMessagingContentTypes: ['text/plain', 'text/markdown'],
    InitialMessage: { ContentType: 'text/plain', Content: 'initial hello' },
  });
  track(customer);
  const cs = customer.socket;

  // Heartbeat and deep heartbeat are answered on the socket.
  let mark = cs.frames.length;
  cs.sendFrame({ topic: 'aws/heartbeat' });
  await cs.waitForFrameAfter(mark, (f) => f.topic === 'aws/heartbeat', undefined, 'heartbeat echo');
  mark = cs.frames.length;
  cs.sendFrame({ topic: 'aws/ping' });
  const pong = await cs.waitForFrameAfter(mark, (f) => f.topic === 'aws/ping', undefined, 'aws/ping reply');
  assert.equal(pong.statusCode, 200, `aws/ping reply: got ${JSON.stringify(pong)}, want statusCode 200`);

  const bot = track(await connectBot(chat.ContactId, 'Helper Bot'));
  const bs = bot.socket;

  // Customer → bot, text/markdown (listed in SupportedMessagingContentTypes).
  const sent = await customer.send('**hello** from Ada', 'text/markdown');
  assert.ok(sent.Id, `SendMessage: no Id in ${JSON.stringify(sent)}`);
  assert.match(String(sent.AbsoluteTime), ISO_MILLIS, 'SendMessage AbsoluteTime format');
  const atBot = await bs.waitFor(isMessage(sent.Id), undefined, 'bot waits for the customer message by SendMessage Id');
  assertItemEnvelope(atBot, chat.ContactId);
  assert.equal(atBot.Content, '**hello** from Ada');
  assert.equal(atBot.ContentType, 'text/markdown');
  assert.equal(atBot.ParticipantId, chat.ParticipantId);
  assert.equal(atBot.ParticipantRole, 'CUSTOMER');
  assert.equal(atBot.DisplayName, 'Ada');
  assert.equal(atBot.AbsoluteTime, sent.AbsoluteTime, 'websocket item AbsoluteTime differs from SendMessage AbsoluteTime');
  // The sender gets its own message too (chatjs reconciles it by Id).
  await cs.waitFor(isMessage(sent.Id), undefined, 'customer waits for the echo of its own message');

  // Bot → customer.
  const reply = await bot.send('Hi Ada, how can I help?');
  const atCustomer = await cs.waitFor(isMessage(reply.Id), undefined, 'customer waits for the bot message');
  assertItemEnvelope(atCustomer, chat.ContactId);
  assert.equal(atCustomer.Content, 'Hi Ada, how can I help?');
  assert.equal(atCustomer.ContentType, 'text/plain');
  assert.equal(atCustomer.ParticipantId, bot.participantId);
  assert.equal(atCustomer.ParticipantRole, 'CUSTOM_BOT');
  assert.equal(atCustomer.DisplayName, 'Helper Bot');

  // Typing both ways.
  const botTyping = await bot.event(EVENT.typing);
  assert.ok(botTyping.Id, `SendEvent typing: no Id in ${JSON.stringify(botTyping)}`);
  const typingItem = await cs.waitFor(isEvent(EVENT.typing, bot.participantId), undefined, 'customer waits for bot typing');
  assertItemEnvelope(typingItem, chat.ContactId);
  assert.equal(typingItem.ParticipantRole, 'CUSTOM_BOT');
  await customer.event(EVENT.typing);
  await bs.waitFor(isEvent(EVENT.typing, chat.ParticipantId), undefined, 'bot waits for customer typing');

  // Receipts: the bot marks the customer's message delivered, then read; the
  // customer (the sender) gets MESSAGEMETADATA items.
  await bot.receipt('delivered', sent.Id);
  const delivered = await cs.waitFor(isReceipt('delivered', sent.Id, bot.participantId), undefined, 'customer waits for the delivered receipt');
  assert.ok(delivered.MessageMetadata.Receipts.length > 0, 'delivered receipt has empty Receipts');
  assert.match(String(delivered.MessageMetadata.Receipts[0].DeliveredTimestamp), ISO_MILLIS, 'DeliveredTimestamp format');
  await bot.receipt('read', sent.Id);
  const read = await cs.waitFor(isReceipt('read', sent.Id, bot.participantId), undefined, 'customer waits for the read receipt');
  assert.match(String(read.MessageMetadata.Receipts.find((r) => r.ReadTimestamp).ReadTimestamp), ISO_MILLIS, 'ReadTimestamp format');
  // The customer reads the bot's reply: the bot gets that receipt.
  await customer.receipt('read', reply.Id);
  await bs.waitFor(isReceipt('read', reply.Id, chat.ParticipantId), undefined, 'bot waits for the read receipt of its reply');

  // The transcript shows the initial message, both messages, and the receipts.
  const { items } = await pageTranscript(customer, { ScanDirection: 'FORWARD', SortOrder: 'ASCENDING', MaxResults: 100 });
  const initial = items.find((i) => i.Type === 'MESSAGE' && i.Content === 'initial hello');
  assert.ok(initial, `transcript lacks the InitialMessage; got:\n  ${items.map(brief).join('\n  ')}`);
  assert.equal(initial.ParticipantId, chat.ParticipantId, 'InitialMessage sender');
  const inTranscript = items.find(isMessage(sent.Id));
  assert.ok(inTranscript, `transcript lacks message ${sent.Id}; got:\n  ${items.map(brief).join('\n  ')}`);
  assert.equal(inTranscript.ContactId, chat.ContactId, 'transcript item ContactId');
  const receipts = inTranscript.MessageMetadata?.Receipts ?? [];
  const byBot = receipts.find((r) => r.RecipientParticipantId === bot.participantId);
  assert.ok(byBot, `transcript message has no receipt by the bot: MessageMetadata=${JSON.stringify(inTranscript.MessageMetadata)}`);
  assert.match(String(byBot.DeliveredTimestamp), ISO_MILLIS, 'transcript DeliveredTimestamp');
  assert.match(String(byBot.ReadTimestamp), ISO_MILLIS, 'transcript ReadTimestamp');
  assert.ok(items.find(isMessage(reply.Id)), 'transcript lacks the bot reply');

  cs.check();
  bs.check();
});

test('a message id from SendMessage matches the websocket item; ClientToken replays', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  const token = randomUUID();
  const first = await customer.send('once only', 'text/plain', { ClientToken: token });
  const again = await customer.send('once only', 'text/plain', { ClientToken: token });
  assert.equal(again.Id, first.Id, 'SendMessage replayed with the same ClientToken must return the original Id');
  await bot.socket.waitFor(isMessage(first.Id));
  const { items } = await pageTranscript(customer, { ScanDirection: 'FORWARD', SortOrder: 'ASCENDING', MaxResults: 100 });
  const copies = items.filter((i) => i.Type === 'MESSAGE' && i.Content === 'once only');
  assert.equal(copies.length, 1, `transcript holds ${copies.length} copies of a message sent twice with one ClientToken, want 1`);
});

test('participant API errors', async () => {
  const { chat, customer } = await startCustomer({ SupportedMessagingContentTypes: ['text/plain', 'text/markdown'] });
  track(customer);
  await expectError(customer.send('x'.repeat(1025)), 'ValidationException', 400, 'SendMessage with 1025 characters');
  // 1024 characters is still fine.
  await customer.send('y'.repeat(1024));
  await expectError(customer.send('{"a":1}', 'application/json'), 'ValidationException', 400, 'SendMessage with a type not in SupportedMessagingContentTypes');
  await expectError(customer.event('application/vnd.amazonaws.connect.event.bogus'), 'ValidationException', 400, 'SendEvent with an unknown content type');
  await expectError(customer.event(EVENT.ended), 'ValidationException', 400, 'SendEvent with a server-only content type');

  const pc = participantClient();
  await expectError(
    pc.send(new SendMessageCommand({ ConnectionToken: chat.ParticipantToken, ContentType: 'text/plain', Content: 'hi' })),
    'AccessDeniedException',
    403,
    'SendMessage with a ParticipantToken instead of a ConnectionToken',
  );
  await expectError(
    pc.send(new SendMessageCommand({ ConnectionToken: 'not-a-token', ContentType: 'text/plain', Content: 'hi' })),
    'AccessDeniedException',
    403,
    'SendMessage with a made-up token',
  );
  await expectError(
    pc.send(new CreateParticipantConnectionCommand({ ParticipantToken: 'not-a-token', Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] })),
    'AccessDeniedException',
    403,
    'CreateParticipantConnection with a made-up token',
  );

  await expectError(
    pc.send(new CreateParticipantConnectionCommand({ ParticipantToken: customer.connectionToken, Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] })),
    'AccessDeniedException',
    403,
    'CreateParticipantConnection with a ConnectionToken instead of a ParticipantToken',
  );

  // A participant cannot read another contact's transcript by naming it.
  const other = await startCustomer();
  track(other.customer);
  await other.customer.send('private to the other chat');
  let leaked;
  try {
    const out = await customer.transcript({ ContactId: other.chat.ContactId, MaxResults: 100 });
    leaked = (out.Transcript ?? []).filter((i) => i.Content === 'private to the other chat' || i.ContactId === other.chat.ContactId);
  } catch (err) {
    assert.ok([400, 403, 404].includes(err.$metadata?.httpStatusCode), `GetTranscript of a foreign contact: got ${err.name} (HTTP ${err.$metadata?.httpStatusCode}), want a 4xx refusal`);
  }
  assert.deepEqual((leaked ?? []).map(brief), [], 'GetTranscript with a foreign ContactId returned the other chat\'s items');

  // Token lifetimes: the websocket URL is good for 100 s, the connection token for a day.
  const conn = customer.lastConnection;
  const now = Date.now();
  const urlLeft = Date.parse(conn.Websocket.ConnectionExpiry) - now;
  assert.ok(urlLeft > 60_000 && urlLeft <= 101_000, `Websocket.ConnectionExpiry is ${urlLeft} ms away, want about 100 s`);
  const tokenLeft = Date.parse(conn.ConnectionCredentials.Expiry) - now;
  assert.ok(tokenLeft > 23 * 3600_000 && tokenLeft <= 24 * 3600_000 + 1000, `ConnectionCredentials.Expiry is ${tokenLeft} ms away, want about 1 day`);

  // The participant API ignores SigV4 entirely: chatjs signs with empty keys.
  const emptyKeys = participantClient({ accessKeyId: '', secretAccessKey: '' });
  const t = await emptyKeys.send(new GetTranscriptCommand({ ConnectionToken: customer.connectionToken, MaxResults: 10 }));
  assert.ok(Array.isArray(t.Transcript), `GetTranscript with empty signing keys: got ${JSON.stringify(t)}`);

  // A Type-less CreateParticipantConnection with ConnectParticipant (as chatjs
  // agent sessions send) succeeds.
  await pc.send(new CreateParticipantConnectionCommand({ ParticipantToken: chat.ParticipantToken, ConnectParticipant: true }));
});

test('connect API errors and signature checks', async () => {
  await expectError(startChat({ ContactFlowId: randomUUID() }), 'ResourceNotFoundException', 404, 'StartChatContact with an unknown flow');
  await expectError(
    startChat({ ChatDurationInMinutes: 59 }),
    ['InvalidParameterException', 'InvalidRequestException'],
    400,
    'StartChatContact with ChatDurationInMinutes 59',
  );
  await expectError(
    startChat({ ChatDurationInMinutes: 10081 }),
    ['InvalidParameterException', 'InvalidRequestException'],
    400,
    'StartChatContact with ChatDurationInMinutes 10081',
  );
  await expectError(
    startChat({ SupportedMessagingContentTypes: ['text/markdown'] }),
    ['InvalidParameterException', 'InvalidRequestException'],
    400,
    'StartChatContact with SupportedMessagingContentTypes lacking text/plain',
  );
  await expectError(describeContact(randomUUID()), 'ResourceNotFoundException', 404, 'DescribeContact of an unknown contact');
  await expectError(
    connect.send(new StopContactCommand({ InstanceId: bootstrap.instanceId, ContactId: randomUUID() })),
    'ContactNotFoundException',
    410,
    'StopContact of an unknown contact',
  );

  const input = {
    InstanceId: bootstrap.instanceId,
    ContactFlowId: bootstrap.inboundFlowId,
    ParticipantDetails: { DisplayName: 'Eve' },
  };
  const badSecret = connectClient({ accessKeyId: bootstrap.accessKeyId, secretAccessKey: bootstrap.secretAccessKey + 'x' });
  await expectError(badSecret.send(new StartChatContactCommand(input)), 'InvalidSignatureException', 403, 'StartChatContact signed with a wrong secret');
  const unknownKey = connectClient({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'nope' });
  await expectError(unknownKey.send(new StartChatContactCommand(input)), 'UnrecognizedClientException', 403, 'StartChatContact with an unknown access key');
});

test('DescribeContact, GetContactAttributes and UpdateContactAttributes', async () => {
  const before = Date.now();
  const { chat, customer } = await startCustomer({ Attributes: { customerName: 'Ada', tier: 'gold' } });
  track(customer);

  const { Contact: c } = await describeContact(chat.ContactId);
  assert.ok(c, 'DescribeContact: no Contact');
  assert.equal(c.Id, chat.ContactId);
  assert.equal(c.InitialContactId, chat.ContactId);
  assert.equal(c.Channel, 'CHAT');
  assert.equal(c.InitiationMethod, 'API');
  assert.ok(c.Arn && c.Arn.endsWith(chat.ContactId), `Contact.Arn ${c.Arn} does not end with the contact id`);
  assert.ok(c.InitiationTimestamp instanceof Date, `InitiationTimestamp: got ${c.InitiationTimestamp}, want an epoch-seconds timestamp`);
  assert.ok(
    Math.abs(c.InitiationTimestamp.getTime() - before) < 60_000,
    `InitiationTimestamp ${c.InitiationTimestamp.toISOString()} is not within a minute of the start (${new Date(before).toISOString()})`,
  );
  assert.equal(c.DisconnectTimestamp, undefined, 'an active contact has a DisconnectTimestamp');

  const get = () =>
    connect.send(new GetContactAttributesCommand({ InstanceId: bootstrap.instanceId, InitialContactId: chat.ContactId }));
  assert.deepEqual((await get()).Attributes, { customerName: 'Ada', tier: 'gold' }, 'attributes from StartChatContact');

  await connect.send(
    new UpdateContactAttributesCommand({
      InstanceId: bootstrap.instanceId,
      InitialContactId: chat.ContactId,
      Attributes: { tier: 'platinum', orderId: '42' },
    }),
  );
  assert.deepEqual(
    (await get()).Attributes,
    { customerName: 'Ada', tier: 'platinum', orderId: '42' },
    'UpdateContactAttributes must merge keys, not replace the map',
  );

  await customer.disconnect();
  const { Contact: ended } = await describeContact(chat.ContactId);
  assert.ok(ended.DisconnectTimestamp instanceof Date, `ended contact: DisconnectTimestamp ${ended.DisconnectTimestamp}, want a timestamp`);
  assert.ok(ended.DisconnectTimestamp >= ended.InitiationTimestamp, 'DisconnectTimestamp before InitiationTimestamp');

  // Attributes can still be updated on a completed contact.
  await connect.send(
    new UpdateContactAttributesCommand({ InstanceId: bootstrap.instanceId, InitialContactId: chat.ContactId, Attributes: { outcome: 'solved' } }),
  );
  assert.equal((await get()).Attributes.outcome, 'solved', 'attribute update after the contact ended');
});

test('UpdateParticipantRoleConfig', async () => {
  const { chat, customer } = await startCustomer();
  track(customer);
  const update = (list) =>
    connect.send(
      new UpdateParticipantRoleConfigCommand({
        InstanceId: bootstrap.instanceId,
        ContactId: chat.ContactId,
        ChannelConfiguration: { Chat: { ParticipantTimerConfigList: list } },
      }),
    );
  await update([
    { ParticipantRole: 'CUSTOMER', TimerType: 'IDLE', TimerValue: { ParticipantTimerDurationInMinutes: 5 } },
    { ParticipantRole: 'AGENT', TimerType: 'DISCONNECT_NONCUSTOMER', TimerValue: { ParticipantTimerAction: 'Unset' } },
  ]);
  await expectError(
    update([
      { ParticipantRole: 'CUSTOMER', TimerType: 'IDLE', TimerValue: { ParticipantTimerDurationInMinutes: 5 } },
      { ParticipantRole: 'CUSTOMER', TimerType: 'IDLE', TimerValue: { ParticipantTimerDurationInMinutes: 6 } },
    ]),
    ['InvalidParameterException', 'InvalidRequestException'],
    400,
    'UpdateParticipantRoleConfig with a duplicate role+type',
  );
  await expectError(
    update([{ ParticipantRole: 'AGENT', TimerType: 'IDLE', TimerValue: { ParticipantTimerDurationInMinutes: 1 } }]),
    ['InvalidParameterException', 'InvalidRequestException'],
    400,
    'UpdateParticipantRoleConfig with 1 minute (range is 2-480)',
  );
});

test('GetTranscript pages in both directions from every kind of start position', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  const ids = [];
  for (let i = 1; i <= 25; i++) {
    const who = i % 5 === 0 ? bot : customer;
    const out = await who.send(`message ${String(i).padStart(2, '0')}`);
    ids.push(out.Id);
  }
  await customer.socket.waitFor(isMessage(ids.at(-1)), undefined, 'customer waits for the last of 25 messages');

  const show = (list) => list.map(brief).join('\n  ');
  const check = (label, { items, pages }) => {
    assert.ok(pages.every((n) => n <= 10), `${label}: page sizes ${pages} exceed MaxResults 10`);
    const seen = new Set();
    for (const it of items) {
      assert.ok(!seen.has(it.Id), `${label}: item ${brief(it)} returned twice; all:\n  ${show(items)}`);
      seen.add(it.Id);
    }
    return items;
  };

  // Oldest first, from the start.
  const forward = check('FORWARD/ASCENDING', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING' }));
  const order = forward.map((i) => i.Id);
  const msgOrder = order.filter((id) => ids.includes(id));
  assert.deepEqual(msgOrder, ids, `FORWARD/ASCENDING: the 25 messages are missing or out of order; got:\n  ${show(forward)}`);
  for (let i = 1; i < forward.length; i++) {
    assert.ok(forward[i - 1].AbsoluteTime <= forward[i].AbsoluteTime, `FORWARD/ASCENDING: AbsoluteTime goes back at ${i}:\n  ${show(forward)}`);
  }
  const at = (id) => order.indexOf(id);

  // Newest first, from the end: the exact reverse.
  const backward = check('BACKWARD/DESCENDING', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'DESCENDING' }));
  assert.deepEqual(backward.map((i) => i.Id), [...order].reverse(), `BACKWARD/DESCENDING is not the reverse of FORWARD/ASCENDING; got:\n  ${show(backward)}`);

  // chatjs's default call: empty StartPosition, BACKWARD scan, ASCENDING sort:
  // the newest page, oldest first, then older pages.
  const first = await customer.transcript({ MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'ASCENDING', StartPosition: {} });
  assert.deepEqual(
    first.Transcript.map((i) => i.Id),
    order.slice(-10),
    `StartPosition {} BACKWARD/ASCENDING: want the 10 newest items oldest first; got:\n  ${show(first.Transcript)}`,
  );
  assert.ok(first.NextToken, 'StartPosition {} BACKWARD/ASCENDING: no NextToken although older items exist');
  const second = await customer.transcript({ MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'ASCENDING', StartPosition: {}, NextToken: first.NextToken });
  assert.deepEqual(second.Transcript.map((i) => i.Id), order.slice(-20, -10), `second BACKWARD/ASCENDING page; got:\n  ${show(second.Transcript)}`);
  assert.equal(first.InitialContactId, chat.ContactId, 'GetTranscript InitialContactId');

  // A start position may or may not include the item it names (unspecified);
  // either way the pages must continue contiguously to the end.
  const fromIndex = (label, got, expected, startIdx) => {
    const ids = got.map((i) => i.Id);
    const okAt = [startIdx, startIdx + 1].find((s) => JSON.stringify(expected.slice(s).map((i) => i.Id)) === JSON.stringify(ids));
    assert.ok(okAt !== undefined, `${label}: want the items from index ${startIdx} (or ${startIdx + 1}) to the end; got:\n  ${show(got)}\nall:\n  ${show(expected)}`);
  };

  const fromId = check('FORWARD from {Id}', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING', StartPosition: { Id: ids[9] } }));
  fromIndex('FORWARD/ASCENDING from {Id: message 10}', fromId, forward, at(ids[9]));

  const reversed = [...forward].reverse();
  const backFromId = check('BACKWARD from {Id}', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'DESCENDING', StartPosition: { Id: ids[15] } }));
  fromIndex('BACKWARD/DESCENDING from {Id: message 16}', backFromId, reversed, reversed.findIndex((i) => i.Id === ids[15]));

  const t5 = forward[at(ids[5])].AbsoluteTime;
  const fromTime = check('FORWARD from {AbsoluteTime}', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING', StartPosition: { AbsoluteTime: t5 } }));
  assert.ok(fromTime.length > 0, 'FORWARD from {AbsoluteTime}: nothing returned');
  const s = at(fromTime[0].Id);
  assert.ok(s >= 0, `FORWARD from {AbsoluteTime}: first item ${brief(fromTime[0])} is not in the transcript`);
  assert.deepEqual(fromTime.map((i) => i.Id), order.slice(s), `FORWARD from {AbsoluteTime: ${t5}} is not a contiguous run to the end; got:\n  ${show(fromTime)}`);
  assert.ok(forward[s].AbsoluteTime >= t5 && (s === 0 || forward[s - 1].AbsoluteTime <= t5),
    `FORWARD from {AbsoluteTime: ${t5}} starts at ${brief(forward[s])} (index ${s}), not at the first item at or after that time`);
  assert.ok(s <= at(ids[5]), `FORWARD from {AbsoluteTime: ${t5}} skips message 6 itself`);

  const recent = check('FORWARD from {MostRecent: 5}', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING', StartPosition: { MostRecent: 5 } }));
  assert.ok(
    [5, 6].includes(recent.length) && JSON.stringify(recent.map((i) => i.Id)) === JSON.stringify(order.slice(-recent.length)),
    `FORWARD from {MostRecent: 5}: want the 5 (or 6) newest items; got:\n  ${show(recent)}`,
  );

  // Defaults: MaxResults 10, BACKWARD without a start position, FORWARD with
  // one, DESCENDING sort.
  const plain = await customer.transcript({});
  assert.deepEqual(plain.Transcript.map((i) => i.Id), order.slice(-10).reverse(), `GetTranscript {} : want the 10 newest, newest first; got:\n  ${show(plain.Transcript)}`);
  assert.ok(plain.NextToken, 'GetTranscript {}: no NextToken although older items exist');
  const fromIdDefault = await customer.transcript({ StartPosition: { Id: ids[3] }, MaxResults: 5 });
  const k = at(ids[3]);
  const okWindow = [k, k + 1].some((st) => JSON.stringify(fromIdDefault.Transcript.map((i) => i.Id)) === JSON.stringify(order.slice(st, st + 5).reverse()));
  assert.ok(okWindow, `GetTranscript {StartPosition: {Id}} without ScanDirection: want 5 items scanned FORWARD from message 4, sorted DESCENDING; got:\n  ${show(fromIdDefault.Transcript)}`);

  const empty = check('BACKWARD/DESCENDING from {}', await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'DESCENDING', StartPosition: {} }));
  assert.deepEqual(empty.map((i) => i.Id), [...order].reverse(), `StartPosition {} must mean no start position; got:\n  ${show(empty)}`);
});

test('customer DisconnectParticipant ends the chat for everyone', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  await customer.send('bye');
  await customer.disconnect();

  for (const [who, sock] of [['customer', customer.socket], ['bot', bot.socket]]) {
    const left = await sock.waitFor(isEvent(EVENT.left, chat.ParticipantId), undefined, `${who} waits for participant.left of the customer`);
    assertItemEnvelope(left, chat.ContactId);
    assert.equal(left.ParticipantRole, 'CUSTOMER', `participant.left role on ${who}'s socket`);
    const ended = await sock.waitFor(isEvent(EVENT.ended), undefined, `${who} waits for chat.ended`);
    assertItemEnvelope(ended, chat.ContactId);
    assert.ok(
      sock.items.indexOf(left) < sock.items.indexOf(ended),
      `${who}: chat.ended arrived before participant.left:\n  ${sock.items.map(brief).join('\n  ')}`,
    );
    const closed = await sock.waitClosed();
    assert.equal(closed.code, 1000, `${who}'s socket closed with code ${closed.code} after chat.ended, want 1000`);
    sock.check();
  }

  const pc = participantClient();
  await expectError(customer.send('still there?'), 'AccessDeniedException', 403, 'customer SendMessage after the chat ended');
  await expectError(bot.send('still there?'), 'AccessDeniedException', 403, 'bot SendMessage after the chat ended');
  await expectError(customer.disconnect(), 'AccessDeniedException', 403, 'second DisconnectParticipant');
  for (const [who, token] of [['customer', chat.ParticipantToken], ['bot', bot.participantToken]]) {
    await expectError(
      pc.send(new CreateParticipantConnectionCommand({ ParticipantToken: token, Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] })),
      'AccessDeniedException',
      403,
      `${who} CreateParticipantConnection after the chat ended`,
    );
  }
  await expectError(
    addBot(chat.ContactId),
    { InvalidRequestException: 400, ResourceNotFoundException: 404 },
    undefined,
    'CreateParticipant on an ended chat',
  );
});

test('two websockets of one participant both receive every item', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  // A second CreateParticipantConnection, as chatjs does every 59 minutes.
  const second = await customer.connect();
  const [first] = customer.sockets;
  assert.notEqual(first, second);

  const ids = [];
  for (const text of ['one', 'two', 'three']) ids.push((await bot.send(text)).Id);
  await bot.event(EVENT.typing);
  const mine = await customer.send('from the customer');
  ids.push(mine.Id);

  for (const [label, sock] of [['first socket', first], ['second socket', second]]) {
    for (const id of ids) await sock.waitFor(isMessage(id), undefined, `${label} waits for message ${id}`);
    await sock.waitFor(isEvent(EVENT.typing, bot.participantId), undefined, `${label} waits for bot typing`);
    const order = sock.items.filter((i) => i.Type === 'MESSAGE' && ids.includes(i.Id)).map((i) => i.Id);
    assert.deepEqual(order, ids, `${label}: messages out of order`);
  }
  // The newest connection token works.
  await customer.send('with the newest token');
});

test('StopContact ends the chat', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  await connect.send(
    new StopContactCommand({ InstanceId: bootstrap.instanceId, ContactId: chat.ContactId, DisconnectReason: { Code: 'test-stop' } }),
  );
  for (const [who, sock] of [['customer', customer.socket], ['bot', bot.socket]]) {
    await sock.waitFor(isEvent(EVENT.ended), undefined, `${who} waits for chat.ended after StopContact`);
  }
  await expectError(customer.send('hello?'), 'AccessDeniedException', 403, 'SendMessage after StopContact');
  await expectError(
    participantClient().send(new CreateParticipantConnectionCommand({ ParticipantToken: chat.ParticipantToken, Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] })),
    'AccessDeniedException',
    403,
    'CreateParticipantConnection after StopContact',
  );
  const { Contact: c } = await describeContact(chat.ContactId);
  assert.ok(c.DisconnectTimestamp instanceof Date, `DescribeContact after StopContact: DisconnectTimestamp ${c.DisconnectTimestamp}`);
});

test('persistent chat rehydrates the past session', async () => {
  const { chat: past, customer: oldCustomer } = await startCustomer({ ParticipantDetails: { DisplayName: 'Ada' } });
  const oldBot = track(oldCustomer, await connectBot(past.ContactId))[1];
  const p1 = await oldCustomer.send('past message one');
  const p2 = await oldBot.send('past reply two');
  await oldCustomer.socket.waitFor(isMessage(p2.Id));

  // An active contact cannot be a source.
  await expectError(
    startChat({ PersistentChat: { RehydrationType: 'ENTIRE_PAST_SESSION', SourceContactId: past.ContactId } }),
    ['InvalidRequestException', 'InvalidParameterException'],
    400,
    'StartChatContact rehydrating from an active contact',
  );
  await oldCustomer.disconnect();
  await oldCustomer.socket.waitFor(isEvent(EVENT.ended));

  // PersistentChat cannot be combined with RelatedContactId.
  await expectError(
    startChat({ PersistentChat: { RehydrationType: 'ENTIRE_PAST_SESSION', SourceContactId: past.ContactId }, RelatedContactId: past.ContactId }),
    ['InvalidRequestException', 'InvalidParameterException'],
    400,
    'StartChatContact with both PersistentChat and RelatedContactId',
  );

  const { chat, customer } = await startCustomer({
    ParticipantDetails: { DisplayName: 'Ada' },
    PersistentChat: { RehydrationType: 'ENTIRE_PAST_SESSION', SourceContactId: past.ContactId },
  });
  track(customer);
  assert.equal(chat.ContinuedFromContactId, past.ContactId, 'StartChatContact ContinuedFromContactId');
  assert.notEqual(chat.ContactId, past.ContactId, 'a rehydrated chat is a new contact');
  const { Contact: c } = await describeContact(chat.ContactId);
  assert.equal(c.RelatedContactId, past.ContactId, 'DescribeContact RelatedContactId of the rehydrated chat');

  const now = await customer.send('new session message');
  const { items } = await pageTranscript(customer, { MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'ASCENDING', StartPosition: {} });
  const show = () => items.map((i) => `${brief(i)} ContactId=${i.ContactId} RelatedContactId=${i.RelatedContactId}`).join('\n  ');
  for (const id of [p1.Id, p2.Id]) {
    const old = items.find(isMessage(id));
    assert.ok(old, `GetTranscript paging never reached past message ${id}; got:\n  ${show()}`);
    assert.equal(old.RelatedContactId, past.ContactId, `past item RelatedContactId; got:\n  ${show()}`);
    assert.equal(old.ContactId, undefined, `past item carries ContactId ${old.ContactId}, want only RelatedContactId`);
  }
  const cur = items.find(isMessage(now.Id));
  assert.ok(cur, `GetTranscript lacks the new session's message; got:\n  ${show()}`);
  assert.equal(cur.ContactId, chat.ContactId, 'current item ContactId');
  assert.equal(cur.RelatedContactId, undefined, 'current item must not carry RelatedContactId');
});

test('a bot that leaves is announced and the chat goes on', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  await bot.disconnect();
  const left = await customer.socket.waitFor(isEvent(EVENT.left, bot.participantId), undefined, 'customer waits for participant.left of the bot');
  assert.equal(left.ParticipantRole, 'CUSTOM_BOT', 'participant.left role');
  await expectError(bot.send('gone'), 'AccessDeniedException', 403, 'SendMessage of a bot that left');
  await expectError(
    participantClient().send(new CreateParticipantConnectionCommand({ ParticipantToken: bot.participantToken, Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] })),
    'AccessDeniedException',
    403,
    'CreateParticipantConnection of a bot that left',
  );
  // The customer is still in an active chat.
  const still = await customer.send('anyone there?');
  await customer.socket.waitFor(isMessage(still.Id));
  assert.equal(customer.socket.items.find(isEvent(EVENT.ended)), undefined, 'chat.ended after only the bot left');
  const { Contact: c } = await describeContact(chat.ContactId);
  assert.equal(c.DisconnectTimestamp, undefined, 'the contact ended when only the bot left');
});

test('StartChatContact input checks and idempotency', async () => {
  const ClientToken = randomUUID();
  const a = await startChat({ ClientToken });
  const b = await startChat({ ClientToken });
  assert.equal(b.ContactId, a.ContactId, 'StartChatContact replayed with the same ClientToken must return the same contact');
  assert.equal(b.ParticipantId, a.ParticipantId, 'replayed StartChatContact ParticipantId');

  const bad = ['InvalidParameterException', 'InvalidRequestException'];
  await expectError(startChat({ Attributes: { 'bad key!': 'x' } }), bad, 400, 'StartChatContact with an attribute key outside [A-Za-z0-9_-]');
  await expectError(startChat({ Attributes: { big: 'x'.repeat(32_769) } }), bad, 400, 'StartChatContact with attributes over 32,768 bytes');
  await expectError(
    startChat({ InitialMessage: { ContentType: 'image/png', Content: 'x' } }),
    bad,
    400,
    'StartChatContact with an InitialMessage of type image/png',
  );
  await expectError(
    startChat({ SupportedMessagingContentTypes: ['text/plain', 'text/html'] }),
    bad,
    400,
    'StartChatContact with text/html in SupportedMessagingContentTypes',
  );
  await expectError(
    startChat({ PersistentChat: { RehydrationType: 'ENTIRE_PAST_SESSION', SourceContactId: randomUUID() } }),
    { InvalidRequestException: 400, InvalidParameterException: 400, ResourceNotFoundException: 404 },
    undefined,
    'StartChatContact rehydrating from an unknown contact',
  );
  await expectError(addBot(randomUUID()), 'ResourceNotFoundException', 404, 'CreateParticipant on an unknown contact');
  await expectError(
    connect.send(new GetContactAttributesCommand({ InstanceId: bootstrap.instanceId, InitialContactId: randomUUID() })),
    'ResourceNotFoundException',
    404,
    'GetContactAttributes of an unknown contact',
  );
});

test('message length limits per content type', async () => {
  const { customer } = await startCustomer({
    SupportedMessagingContentTypes: ['text/plain', 'text/markdown', 'application/json'],
  });
  track(customer);
  await customer.send('m'.repeat(1024), 'text/markdown');
  await expectError(customer.send('m'.repeat(1025), 'text/markdown'), 'ValidationException', 400, 'text/markdown with 1025 characters');
  await expectError(customer.send('', 'text/plain'), 'ValidationException', 400, 'empty text/plain message');
  // 1024 *characters*, not bytes: 1024 two-byte characters fit.
  await customer.send('é'.repeat(1024), 'text/plain');
  const json = JSON.stringify({ blob: 'j'.repeat(11_989) });
  assert.equal(json.length, 12_000);
  await customer.send(json, 'application/json');
  await expectError(customer.send(JSON.stringify({ blob: 'j'.repeat(11_990) }), 'application/json'), 'ValidationException', 400, 'application/json with 12,001 characters');
  // connection.acknowledged is deprecated but still accepted.
  await customer.event('application/vnd.amazonaws.connect.event.connection.acknowledged');
});

test('a request signed with a clock an hour off is refused', async () => {
  const skewed = connectClient();
  skewed.config.systemClockOffset = -3_600_000;
  await expectError(
    skewed.send(new DescribeContactCommand({ InstanceId: bootstrap.instanceId, ContactId: randomUUID() })),
    { InvalidSignatureException: 403 },
    undefined,
    'DescribeContact signed an hour in the past',
  );
});

test('persistent chat links cumulatively across segments (FROM_SEGMENT)', async () => {
  const segments = [];
  let previous;
  for (let i = 1; i <= 3; i++) {
    const input = previous ? { PersistentChat: { RehydrationType: 'FROM_SEGMENT', SourceContactId: previous } } : {};
    const { chat, customer } = await startCustomer(input);
    track(customer);
    if (previous) assert.equal(chat.ContinuedFromContactId, previous, `segment ${i} ContinuedFromContactId`);
    const m = await customer.send(`segment ${i} says hi`);
    segments.push({ chat, customer, id: m.Id });
    if (i < 3) {
      await customer.disconnect();
      await customer.socket.waitFor(isEvent(EVENT.ended), undefined, `segment ${i} waits for chat.ended`);
    }
    previous = chat.ContactId;
  }
  const last = segments.at(-1);
  const { items } = await pageTranscript(last.customer, { MaxResults: 10, ScanDirection: 'BACKWARD', SortOrder: 'ASCENDING', StartPosition: {} });
  const show = () => items.map((i) => `${brief(i)} ContactId=${i.ContactId} RelatedContactId=${i.RelatedContactId}`).join('\n  ');
  for (const [n, seg] of segments.slice(0, 2).entries()) {
    const old = items.find(isMessage(seg.id));
    assert.ok(old, `segment 3's transcript never reached segment ${n + 1}'s message; got:\n  ${show()}`);
    assert.equal(old.RelatedContactId, seg.chat.ContactId, `segment ${n + 1} item RelatedContactId; got:\n  ${show()}`);
  }
  assert.ok(items.find(isMessage(last.id)), `segment 3's own message missing; got:\n  ${show()}`);
});

test('concurrent senders: every socket sees the transcript order', async () => {
  const { chat, customer } = await startCustomer();
  const bot = track(customer, await connectBot(chat.ContactId))[1];
  const N = 25;
  const sends = [];
  for (let i = 0; i < N; i++) {
    sends.push(customer.send(`c${i}`));
    sends.push(bot.send(`b${i}`));
  }
  const ids = (await Promise.all(sends)).map((o) => o.Id);
  assert.equal(new Set(ids).size, ids.length, 'SendMessage returned duplicate Ids');
  for (const [who, sock] of [['customer', customer.socket], ['bot', bot.socket]]) {
    await sock.waitUntil(() => (ids.every((id) => sock.items.some(isMessage(id))) ? true : undefined), 15_000, `${who} waits for all ${ids.length} messages`);
  }
  const { items } = await pageTranscript(customer, { MaxResults: 100, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING' });
  const want = items.filter((i) => i.Type === 'MESSAGE' && ids.includes(i.Id)).map((i) => i.Id);
  assert.equal(want.length, ids.length, `transcript holds ${want.length} of the ${ids.length} messages`);
  for (const [who, sock] of [['customer', customer.socket], ['bot', bot.socket]]) {
    const got = sock.items.filter((i) => i.Type === 'MESSAGE' && ids.includes(i.Id)).map((i) => i.Id);
    assert.deepEqual(got, want, `${who}'s socket saw the messages in another order than the transcript`);
  }
});

test('concurrent chats never see each other’s items', async () => {
  const chats = await Promise.all(
    Array.from({ length: 8 }, async (_, n) => {
      const { chat, customer } = await startCustomer({ ParticipantDetails: { DisplayName: `Customer ${n}` } });
      const bot = await connectBot(chat.ContactId, `Bot ${n}`);
      track(customer, bot);
      return { n, chat, customer, bot };
    }),
  );
  await Promise.all(
    chats.map(async ({ n, customer, bot }) => {
      for (let i = 0; i < 5; i++) {
        const m = await customer.send(`chat ${n} message ${i}`);
        await bot.socket.waitFor(isMessage(m.Id), 15_000, `chat ${n}: bot waits for message ${i}`);
        const r = await bot.send(`chat ${n} reply ${i}`);
        await customer.socket.waitFor(isMessage(r.Id), 15_000, `chat ${n}: customer waits for reply ${i}`);
      }
    }),
  );
  for (const { n, chat, customer, bot } of chats) {
    for (const [who, sock] of [['customer', customer.socket], ['bot', bot.socket]]) {
      const foreign = sock.items.filter((i) => i.ContactId !== chat.ContactId || (i.Type === 'MESSAGE' && !String(i.Content).startsWith(`chat ${n} `)));
      assert.deepEqual(foreign.map(brief), [], `chat ${n}: ${who}'s socket got items of other chats`);
    }
    const { items } = await pageTranscript(customer, { MaxResults: 100, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING' });
    // Messages of the participants (the inbound flow's greeting is the system's).
    const msgs = items.filter((i) => i.Type === 'MESSAGE' && i.ParticipantRole !== 'SYSTEM');
    assert.equal(msgs.length, 10, `chat ${n}: transcript has ${msgs.length} messages, want 10`);
    assert.ok(msgs.every((i) => String(i.Content).startsWith(`chat ${n} `)), `chat ${n}: foreign messages in transcript: ${msgs.map(brief).join('; ')}`);
  }
});

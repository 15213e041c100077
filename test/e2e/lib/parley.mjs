// Helpers shared by the end-to-end tests: they drive a running Parley server
// with the official AWS SDK clients and a raw websocket client speaking the
// chatjs websocket protocol.
//
// The server under test is named by two environment variables, set by the Go
// test driver (TestNodeClients):
//
//	PARLEY_ENDPOINT   base URL of the server, e.g. http://127.0.0.1:8080
//	PARLEY_BOOTSTRAP  path of the server's bootstrap.json
//
// Nothing here waits by sleeping: every wait is for an expected event, with a
// deadline, and a timeout reports what did arrive instead.

import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import {
  ConnectClient,
  StartChatContactCommand,
  CreateParticipantCommand,
} from '@aws-sdk/client-connect';
import {
  ConnectParticipantClient,
  CreateParticipantConnectionCommand,
  SendMessageCommand,
  SendEventCommand,
  GetTranscriptCommand,
  DisconnectParticipantCommand,
} from '@aws-sdk/client-connectparticipant';

/** Default deadline, in milliseconds, for an expected websocket item. */
export const DEFAULT_WAIT_MS = 10_000;

/** Content types of the events the tests send and expect. */
export const EVENT = Object.freeze({
  typing: 'application/vnd.amazonaws.connect.event.typing',
  delivered: 'application/vnd.amazonaws.connect.event.message.delivered',
  read: 'application/vnd.amazonaws.connect.event.message.read',
  joined: 'application/vnd.amazonaws.connect.event.participant.joined',
  left: 'application/vnd.amazonaws.connect.event.participant.left',
  ended: 'application/vnd.amazonaws.connect.event.chat.ended',
});

/** ISO-8601 UTC with exactly three fractional digits, as the Participant API uses. */
export const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let cachedConfig;

/**
 * Reads the server's endpoint and bootstrap file from the environment.
 * Throws with a clear message when the tests are run without a server.
 */
export function config() {
  if (cachedConfig) return cachedConfig;
  const endpoint = process.env.PARLEY_ENDPOINT;
  const bootstrapPath = process.env.PARLEY_BOOTSTRAP;
  if (!endpoint || !bootstrapPath) {
    throw new Error(
      'PARLEY_ENDPOINT and PARLEY_BOOTSTRAP must name a running server and its bootstrap.json; ' +
        'run these tests through `go test ./test/e2e -run TestNodeClients`',
    );
  }
  const bootstrap = JSON.parse(readFileSync(bootstrapPath, 'utf8'));
  for (const key of ['instanceId', 'region', 'accessKeyId', 'secretAccessKey', 'inboundFlowId']) {
    if (!bootstrap[key]) throw new Error(`bootstrap file ${bootstrapPath} has no ${key}`);
  }
  cachedConfig = { endpoint: endpoint.replace(/\/+$/, ''), bootstrap };
  return cachedConfig;
}

/**
 * Returns a Connect (control plane) client signed with the bootstrap keys,
 * or with the given credentials. Retries are off so a failing call shows the
 * server's first answer.
 */
export function connectClient(credentials) {
  const { endpoint, bootstrap } = config();
  return new ConnectClient({
    region: bootstrap.region,
    endpoint,
    maxAttempts: 1,
    credentials: credentials ?? {
      accessKeyId: bootstrap.accessKeyId,
      secretAccessKey: bootstrap.secretAccessKey,
    },
  });
}

/**
 * Returns a Participant (data plane) client. The SDK insists on signing, so it
 * gets throwaway credentials: the server must authenticate by X-Amz-Bearer only.
 */
export function participantClient(credentials) {
  const { endpoint, bootstrap } = config();
  return new ConnectParticipantClient({
    region: bootstrap.region,
    endpoint,
    maxAttempts: 1,
    credentials: credentials ?? { accessKeyId: 'x', secretAccessKey: 'x' },
  });
}

/**
 * Starts a chat as a company backend would. `input` is merged over sensible
 * defaults (instance, inbound flow, display name, text/plain + text/markdown).
 * Returns the StartChatContact output.
 */
export async function startChat(input = {}) {
  const { bootstrap } = config();
  const out = await connectClient().send(
    new StartChatContactCommand({
      InstanceId: bootstrap.instanceId,
      ContactFlowId: bootstrap.inboundFlowId,
      ParticipantDetails: { DisplayName: 'Customer' },
      SupportedMessagingContentTypes: ['text/plain', 'text/markdown'],
      ...input,
    }),
  );
  assert.ok(out.ContactId, `StartChatContact: no ContactId in ${JSON.stringify(out)}`);
  assert.ok(out.ParticipantId, `StartChatContact: no ParticipantId in ${JSON.stringify(out)}`);
  assert.ok(out.ParticipantToken, `StartChatContact: no ParticipantToken in ${JSON.stringify(out)}`);
  return out;
}

/**
 * Adds a CUSTOM_BOT participant to a contact with CreateParticipant and
 * returns the output.
 */
export async function addBot(contactId, displayName = 'Bot') {
  const { bootstrap } = config();
  const out = await connectClient().send(
    new CreateParticipantCommand({
      InstanceId: bootstrap.instanceId,
      ContactId: contactId,
      ParticipantDetails: { ParticipantRole: 'CUSTOM_BOT', DisplayName: displayName },
    }),
  );
  assert.ok(out.ParticipantId, `CreateParticipant: no ParticipantId in ${JSON.stringify(out)}`);
  assert.ok(
    out.ParticipantCredentials?.ParticipantToken,
    `CreateParticipant: no ParticipantCredentials.ParticipantToken in ${JSON.stringify(out)}`,
  );
  return out;
}

/**
 * Expects `promise` to reject with the named AWS error and HTTP status.
 * `names` is one name, a list of acceptable names (all with `status`), or an
 * object mapping each acceptable name to its own status. Returns the error.
 */
export async function expectError(promise, names, status, what = 'call') {
  const statusOf =
    typeof names === 'string' || Array.isArray(names)
      ? Object.fromEntries([names].flat().map((n) => [n, status]))
      : names;
  const wanted = Object.entries(statusOf)
    .map(([n, st]) => `${n} (HTTP ${st})`)
    .join(' or ');
  let result;
  try {
    result = await promise;
  } catch (err) {
    const got = `${err.name} (HTTP ${err.$metadata?.httpStatusCode}): ${err.message}`;
    assert.ok(Object.hasOwn(statusOf, err.name), `${what}: got error ${got}, want ${wanted}`);
    assert.equal(err.$metadata?.httpStatusCode, statusOf[err.name], `${what}: got error ${got}, want ${wanted}`);
    return err;
  }
  assert.fail(`${what}: succeeded with ${JSON.stringify(result)}, want ${wanted}`);
}

/** Short, readable summary of an item for failure messages. */
export function brief(item) {
  const parts = [item.Type, item.ContentType];
  if (item.ParticipantRole) parts.push(item.ParticipantRole);
  if (item.Content !== undefined) parts.push(JSON.stringify(String(item.Content).slice(0, 40)));
  if (item.MessageMetadata) parts.push(JSON.stringify(item.MessageMetadata));
  parts.push(item.Id);
  return parts.join(' ');
}

/**
 * A websocket opened on a URL from CreateParticipantConnection. It subscribes
 * to aws/chat and otherwise sends nothing on its own; it collects every frame
 * and every aws/chat item (the parsed `content`).
 */
export class ChatSocket {
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    /** Every frame received, parsed, in order. */
    this.frames = [];
    /** The parsed items of aws/chat frames, in order. */
    this.items = [];
    /** Problems with frames (bad JSON, content not a string), reported by check(). */
    this.problems = [];
    this.closed = null; // {code, reason} once closed
    this.waiters = new Set();
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => this.onFrame(data.toString()));
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    this.ws.on('error', (err) => {
      this.error = err;
      this.notify();
    });
  }

  /** Opens a socket, waits for it to open, subscribes and waits for the ack. */
  static async open(url, timeoutMs = DEFAULT_WAIT_MS) {
    const s = new ChatSocket(url);
    await s.waitOpen(timeoutMs);
    s.sendFrame({ topic: 'aws/subscribe', content: { topics: ['aws/chat'] } });
    const ack = await s.waitForFrame((f) => f.topic === 'aws/subscribe', timeoutMs, 'aws/subscribe ack');
    assert.deepEqual(
      ack,
      { topic: 'aws/subscribe', content: { status: 'success', topics: ['aws/chat'] } },
      'subscribe ack has the wrong shape',
    );
    return s;
  }

  onFrame(text) {
    if (text === '') return;
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.problems.push(`frame is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    this.frames.push(frame);
    if (frame.topic === 'aws/chat') {
      if (typeof frame.content !== 'string') {
        this.problems.push(`aws/chat content is not a JSON string: ${text.slice(0, 200)}`);
      } else {
        try {
          this.items.push(JSON.parse(frame.content));
        } catch {
          this.problems.push(`aws/chat content is not JSON: ${frame.content.slice(0, 200)}`);
        }
      }
    }
    this.notify();
  }

  notify() {
    for (const w of this.waiters) w();
  }

  waitOpen(timeoutMs) {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      const timer = setTimeout(() => reject(new Error(`websocket ${this.url} did not open within ${timeoutMs} ms`)), timeoutMs);
      this.ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`websocket ${this.url}: ${err.message}`));
      });
      this.ws.once('unexpected-response', (req, res) => {
        clearTimeout(timer);
        req.destroy(); // ws leaves the refused request to us; an open one keeps node alive
        reject(new Error(`websocket ${this.url}: upgrade refused with HTTP ${res.statusCode}`));
      });
    });
  }

  /** Sends one JSON frame. */
  sendFrame(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  /**
   * Generic wait: resolves with `probe()`'s first non-undefined result,
   * checked now and after every frame; rejects at the deadline or when the
   * socket closes first, describing what did arrive.
   */
  waitUntil(probe, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const done = (fn, v) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn(v);
      };
      const fail = (why) =>
        done(
          reject,
          new Error(
            `${what}: ${why}; items so far:\n  ${this.items.map(brief).join('\n  ') || '(none)'}` +
              (this.problems.length ? `\nframe problems: ${this.problems.join('; ')}` : ''),
          ),
        );
      const check = () => {
        let v;
        try {
          v = probe();
        } catch (err) {
          return done(reject, err);
        }
        if (v !== undefined) return done(resolve, v);
        if (this.closed) return fail(`socket closed (code ${this.closed.code}) first`);
      };
      const timer = setTimeout(() => fail(`nothing matching within ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the first item (old or new) matching `pred`. */
  waitFor(pred, timeoutMs = DEFAULT_WAIT_MS, what = 'waiting for a chat item') {
    return this.waitUntil(() => this.items.find(pred), timeoutMs, what);
  }

  /** Waits for the first frame (old or new) matching `pred`. */
  waitForFrame(pred, timeoutMs = DEFAULT_WAIT_MS, what = 'waiting for a frame') {
    return this.waitUntil(() => this.frames.find(pred), timeoutMs, what);
  }

  /** Waits for the first frame after index `from` matching `pred`. */
  waitForFrameAfter(from, pred, timeoutMs = DEFAULT_WAIT_MS, what = 'waiting for a frame') {
    return this.waitUntil(() => this.frames.slice(from).find(pred), timeoutMs, what);
  }

  /** Waits until the server closes the socket; resolves with {code, reason}. */
  waitClosed(timeoutMs = DEFAULT_WAIT_MS) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(this.closed);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`websocket still open ${timeoutMs} ms after it should have closed`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Asserts that no malformed frame arrived. */
  check() {
    assert.deepEqual(this.problems, [], 'malformed websocket frames');
  }

  /** Closes the socket from the client side (no-op if already closed). */
  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(1000);
    }
  }
}

/**
 * One participant connected through CreateParticipantConnection, holding its
 * connection token and its websockets.
 */
export class Participant {
  constructor({ participantId, participantToken, role, displayName }) {
    this.participantId = participantId;
    this.participantToken = participantToken;
    this.role = role;
    this.displayName = displayName;
    this.client = participantClient();
    /** @type {ChatSocket[]} */
    this.sockets = [];
    this.connectionToken = undefined;
    this.lastConnection = undefined;
  }

  /** The first websocket. */
  get socket() {
    return this.sockets[0];
  }

  /**
   * Calls CreateParticipantConnection (WEBSOCKET + CONNECTION_CREDENTIALS,
   * without ConnectParticipant, as chatjs does for a customer), checks the
   * answer's shape, keeps the connection token and opens and subscribes a
   * websocket on the returned URL.
   */
  async connect() {
    const out = await this.client.send(
      new CreateParticipantConnectionCommand({
        ParticipantToken: this.participantToken,
        Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'],
      }),
    );
    this.lastConnection = out;
    const url = out.Websocket?.Url;
    assert.ok(url, `CreateParticipantConnection: no Websocket.Url in ${JSON.stringify(out)}`);
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\//, 'Websocket.Url must start with ws://127.0.0.1:<port>/ (chatjs accepts nothing else over plain ws)');
    assert.match(String(out.Websocket.ConnectionExpiry), ISO_MILLIS, 'Websocket.ConnectionExpiry format');
    assert.ok(out.ConnectionCredentials?.ConnectionToken, `no ConnectionCredentials.ConnectionToken in ${JSON.stringify(out)}`);
    assert.match(String(out.ConnectionCredentials.Expiry), ISO_MILLIS, 'ConnectionCredentials.Expiry format');
    this.connectionToken = out.ConnectionCredentials.ConnectionToken;
    const socket = await ChatSocket.open(url);
    this.sockets.push(socket);
    return socket;
  }

  /** SendMessage with the connection token. */
  send(content, contentType = 'text/plain', extra = {}) {
    return this.client.send(
      new SendMessageCommand({ ConnectionToken: this.connectionToken, ContentType: contentType, Content: content, ...extra }),
    );
  }

  /** SendEvent with the connection token. */
  event(contentType, content) {
    return this.client.send(
      new SendEventCommand({ ConnectionToken: this.connectionToken, ContentType: contentType, Content: content }),
    );
  }

  /** Sends a delivered or read receipt (`kind` is 'delivered' or 'read'). */
  receipt(kind, messageId) {
    return this.event(EVENT[kind], JSON.stringify({ messageId }));
  }

  /** GetTranscript with the connection token. */
  transcript(input = {}) {
    return this.client.send(new GetTranscriptCommand({ ConnectionToken: this.connectionToken, ...input }));
  }

  /** DisconnectParticipant with the connection token. */
  disconnect() {
    return this.client.send(
      new DisconnectParticipantCommand({ ConnectionToken: this.connectionToken, ClientToken: randomUUID() }),
    );
  }

  /** Closes every websocket. */
  close() {
    for (const s of this.sockets) s.close();
  }
}

/**
 * Starts a chat and connects its customer with one websocket.
 * Returns {chat, customer} where chat is the StartChatContact output.
 */
export async function startCustomer(input = {}) {
  const chat = await startChat(input);
  const customer = new Participant({
    participantId: chat.ParticipantId,
    participantToken: chat.ParticipantToken,
    role: 'CUSTOMER',
    displayName: input.ParticipantDetails?.DisplayName ?? 'Customer',
  });
  await customer.connect();
  return { chat, customer };
}

/** Adds a CUSTOM_BOT to the contact and connects it with one websocket. */
export async function connectBot(contactId, displayName = 'Bot') {
  const out = await addBot(contactId, displayName);
  const bot = new Participant({
    participantId: out.ParticipantId,
    participantToken: out.ParticipantCredentials.ParticipantToken,
    role: 'CUSTOM_BOT',
    displayName,
  });
  await bot.connect();
  return bot;
}

/**
 * Pages GetTranscript with NextToken until the server stops returning one
 * (at most `maxPages` pages) and returns {items, pages} where pages holds the
 * length of each page. `input` is the first request without the token.
 */
export async function pageTranscript(participant, input, maxPages = 50) {
  const items = [];
  const pages = [];
  let token;
  for (let i = 0; i < maxPages; i++) {
    const out = await participant.transcript({ ...input, NextToken: token });
    const page = out.Transcript ?? [];
    pages.push(page.length);
    items.push(...page);
    token = out.NextToken;
    if (!token) return { items, pages };
  }
  assert.fail(`GetTranscript ${JSON.stringify(input)}: still returned a NextToken after ${maxPages} pages (${items.length} items)`);
}

/** Predicate: a MESSAGE item with the given id. */
export const isMessage = (id) => (item) => item.Type === 'MESSAGE' && item.Id === id;

/** Predicate: an EVENT item with the given content type (and sender, if given). */
export const isEvent = (contentType, participantId) => (item) =>
  item.Type === 'EVENT' && item.ContentType === contentType && (participantId === undefined || item.ParticipantId === participantId);

/** Predicate: a MESSAGEMETADATA receipt of `kind` ('delivered'|'read') for a message, by a recipient. */
export const isReceipt = (kind, messageId, recipientId) => (item) =>
  item.Type === 'MESSAGEMETADATA' &&
  item.MessageMetadata?.MessageId === messageId &&
  Array.isArray(item.MessageMetadata.Receipts) &&
  item.MessageMetadata.Receipts.some(
    (r) =>
      (recipientId === undefined || r.RecipientParticipantId === recipientId) &&
      (kind === 'read' ? r.ReadTimestamp : r.DeliveredTimestamp),
  );

/** A name unique to this run: `prefix-` and eight hex digits. */
export const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

let cachedSigner;

/**
 * Sends a SigV4-signed (service "connect", the bootstrap keys) JSON request
 * to one of Parley's own extension routes (/parley/...); resolves
 * {status, body}, body parsed as JSON when it is JSON, else the raw text.
 */
export async function parleyApi(method, path, body) {
  const { endpoint, bootstrap } = config();
  cachedSigner ??= new SignatureV4({
    service: 'connect',
    region: bootstrap.region,
    credentials: { accessKeyId: bootstrap.accessKeyId, secretAccessKey: bootstrap.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const url = new URL(path, endpoint + '/');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = { host: url.host };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const signed = await cachedSigner.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: payload,
  });
  const res = await fetch(url, { method, headers: signed.headers, body: payload });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

// amazon-connect-chatjs as the CUSTOMER in a real headless Chromium, loaded
// from a second local origin so that every Participant API call is a CORS
// request. A company backend (this file, with the SDK) starts the chat; a
// CUSTOM_BOT on a raw websocket plays the other side.

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { config, startChat, connectBot, isMessage, isEvent, isReceipt, EVENT, brief } from './lib/parley.mjs';
import { WAIT_MS, launchChromium } from './lib/browser.mjs';

const { endpoint, bootstrap } = config();
const chatjsBundle = readFileSync(createRequire(import.meta.url).resolve('amazon-connect-chatjs'));

// The test page: chatjs plus a few functions the test calls through
// page.evaluate. Everything chatjs reports is kept in window.seen.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>chatjs customer</title>
<script src="/amazon-connect-chat.js"></script>
<script>
window.seen = { messages: [], typing: [], read: [], delivered: [], ended: [], established: 0, lost: 0, broken: [] };
window.startSession = async function (chatDetails, endpoint, region) {
  connect.ChatSession.setGlobalConfig({
    region,
    endpoint,
    loggerConfig: { useDefaultLogger: true, level: (window.CHATJS_LOG_LEVEL || connect.LogLevel.WARN) },
  });
  const session = connect.ChatSession.create({
    chatDetails,
    type: connect.ChatSession.SessionTypes.CUSTOMER,
    options: { region },
    disableCSM: true, // client-side metrics would call out to AWS
  });
  session.onMessage((e) => window.seen.messages.push(e.data));
  session.onTyping((e) => window.seen.typing.push(e.data));
  session.onReadReceipt((e) => window.seen.read.push(e.data));
  session.onDeliveredReceipt((e) => window.seen.delivered.push(e.data));
  session.onEnded((e) => window.seen.ended.push(e && e.data ? e.data : {}));
  session.onConnectionEstablished(() => { window.seen.established++; });
  session.onConnectionLost(() => { window.seen.lost++; });
  session.onConnectionBroken((e) => window.seen.broken.push(String(e && (e.message || e.type) || e)));
  window.session = session;
  await session.connect();
  return true;
};
window.sendText = async function (text) {
  const res = await window.session.sendMessage({ contentType: 'text/plain', message: text });
  return res.data;
};
window.sendEvent = async function (contentType, content) {
  const res = await window.session.sendEvent({ contentType, content });
  return res.data;
};
window.transcript = async function () {
  const res = await window.session.getTranscript({ maxResults: 100, sortOrder: 'ASCENDING', scanDirection: 'BACKWARD' });
  return res.data;
};
window.leave = async function () {
  await window.session.disconnectParticipant();
  return true;
};
</script></head><body>chatjs e2e</body></html>`;

let pageServer;
let pageOrigin;
let browser;
let page;
let pageLog = [];
// The page's websockets, proxied so a test can cut them: {ws, server} pairs.
let sockets = [];

before(async () => {
  // The second origin: serves the page and the chatjs bundle.
  pageServer = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (req.url === '/amazon-connect-chat.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(chatjsBundle);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  assert.notEqual(new URL(endpoint).origin, pageOrigin, 'the page must come from a different origin than the API');

  browser = await launchChromium();
});

// Each test gets a fresh page.
beforeEach(async () => {
  pageLog = [];
  sockets = [];
  page = await browser.newPage();
  page.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => pageLog.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(`${pageOrigin}/`);
});

/**
 * Routes the page's websockets to the server through a pass-through proxy,
 * so that the test can cut them as a network drop would.
 */
async function proxySockets() {
  const wsOrigin = endpoint.replace(/^http/, 'ws');
  await page.routeWebSocket(
    (url) => url.toString().startsWith(wsOrigin),
    (ws) => sockets.push({ ws, server: ws.connectToServer() }),
  );
}

/** Cuts every proxied websocket on both sides. */
async function cutSockets() {
  for (const { ws, server } of sockets.splice(0)) {
    await ws.close({ code: 4000, reason: 'test: network drop' }).catch(() => {});
    await server.close().catch(() => {});
  }
}

/** Starts a chat as the company backend and connects chatjs to it in the page. */
async function startInPage(displayName) {
  const chat = await startChat({
    ParticipantDetails: { DisplayName: displayName },
    SupportedMessagingContentTypes: ['text/plain', 'text/markdown'],
  });
  const chatDetails = { ContactId: chat.ContactId, ParticipantId: chat.ParticipantId, ParticipantToken: chat.ParticipantToken };
  await inPage('session.connect()', ([d, e, r]) => window.startSession(d, e, r), [chatDetails, endpoint, bootstrap.region]);
  await waitInPage('onConnectionEstablished', () => window.seen.established > 0);
  return chat;
}

afterEach(async () => {
  await page?.close();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve()));
});

/** What the page saw and logged, for failure messages. */
async function pageState() {
  const seen = await page.evaluate(() => window.seen).catch((e) => `(page unreadable: ${e.message})`);
  return `page saw: ${JSON.stringify(seen, null, 1)}\npage log:\n  ${pageLog.slice(-40).join('\n  ') || '(empty)'}`;
}

/** Waits until `fn(window.seen, arg)` is truthy in the page, or fails with the page's state. */
async function waitInPage(what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS });
  } catch (err) {
    assert.fail(`${what}: not seen within ${WAIT_MS} ms (${err.message.split('\n')[0]})\n${await pageState()}`);
  }
}

/** Runs a page function and turns a rejection into a failure that shows the page's state. */
async function inPage(what, fn, ...args) {
  try {
    return await page.evaluate(fn, ...args);
  } catch (err) {
    assert.fail(`${what}: ${err.message}\n${await pageState()}`);
  }
}

test('chatjs customer talks with a bot, sees typing and receipts, and ends the chat', async () => {
  // The company backend starts the chat and hands the details to the page.
  const chat = await startInPage('Browser Customer');

  const bot = await connectBot(chat.ContactId, 'Browser Bot');
  try {
    // chatjs → bot.
    const sent = await inPage('session.sendMessage', (t) => window.sendText(t), 'hello from the browser');
    assert.ok(sent?.Id, `chatjs sendMessage returned no Id: ${JSON.stringify(sent)}`);
    const atBot = await bot.socket.waitFor(isMessage(sent.Id), WAIT_MS, 'bot waits for the chatjs message');
    assert.equal(atBot.Content, 'hello from the browser');
    assert.equal(atBot.ParticipantId, chat.ParticipantId);
    assert.equal(atBot.ParticipantRole, 'CUSTOMER');

    // bot → chatjs.
    const reply = await bot.send('hello from the bot');
    await waitInPage('onMessage with the bot message', (id) => window.seen.messages.some((m) => m.Id === id && m.Content === 'hello from the bot'), reply.Id);

    // Bot typing → chatjs onTyping.
    await bot.event(EVENT.typing);
    await waitInPage('onTyping from the bot', (pid) => window.seen.typing.some((t) => t.ParticipantId === pid), bot.participantId);

    // chatjs typing → bot.
    await inPage('session.sendEvent typing', (ct) => window.sendEvent(ct), EVENT.typing);
    await bot.socket.waitFor(isEvent(EVENT.typing, chat.ParticipantId), WAIT_MS, 'bot waits for chatjs typing');

    // The bot reads the customer's message → chatjs onReadReceipt.
    await bot.receipt('read', sent.Id);
    await waitInPage(
      'onReadReceipt for the customer message',
      (id) => window.seen.read.some((r) => r.MessageId === id || (r.MessageMetadata && r.MessageMetadata.MessageId === id)),
      sent.Id,
    );

    // chatjs reads the bot's reply → the bot gets the receipt.
    await inPage('session.sendEvent read', ([ct, id]) => window.sendEvent(ct, JSON.stringify({ messageId: id })), [EVENT.read, reply.Id]);
    await bot.socket.waitFor(isReceipt('read', reply.Id, chat.ParticipantId), WAIT_MS, 'bot waits for the read receipt sent by chatjs');

    // chatjs reads the transcript through the API.
    const transcript = await inPage('session.getTranscript', () => window.transcript());
    const ids = (transcript?.Transcript ?? []).map((i) => i.Id);
    assert.ok(ids.includes(sent.Id) && ids.includes(reply.Id), `chatjs getTranscript lacks the messages; got:\n  ${(transcript?.Transcript ?? []).map(brief).join('\n  ')}`);

    // chatjs leaves → onEnded, and the bot sees the customer leave and the chat end.
    await inPage('session.disconnectParticipant', () => window.leave());
    await waitInPage('onEnded', () => window.seen.ended.length > 0);
    await bot.socket.waitFor(isEvent(EVENT.left, chat.ParticipantId), WAIT_MS, 'bot waits for participant.left of the chatjs customer');
    await bot.socket.waitFor(isEvent(EVENT.ended), WAIT_MS, 'bot waits for chat.ended');

    // A browser on another origin can read a participant API error's name,
    // as the SDK inside chatjs must (it reads x-amzn-ErrorType).
    const denied = await inPage(
      'cross-origin fetch with a bad token',
      async (ep) => {
        const res = await fetch(ep + '/participant/message', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-amz-bearer': 'not-a-token' },
          body: JSON.stringify({ ContentType: 'text/plain', Content: 'x' }),
        });
        return { status: res.status, errorType: res.headers.get('x-amzn-errortype') };
      },
      endpoint,
    );
    assert.equal(denied.status, 403, `cross-origin error status: ${JSON.stringify(denied)}`);
    assert.equal(denied.errorType?.split(':')[0], 'AccessDeniedException', `x-amzn-ErrorType as the browser sees it: ${JSON.stringify(denied)}`);

    const seen = await page.evaluate(() => window.seen);
    assert.deepEqual(seen.broken, [], `chatjs reported onConnectionBroken\n${await pageState()}`);
    bot.socket.check();
  } finally {
    bot.close();
  }
});

test('chatjs reconnects after losing its websocket and catches up from the transcript', async () => {
  await proxySockets();
  const chat = await startInPage('Flaky Customer');
  const bot = await connectBot(chat.ContactId, 'Patient Bot');
  try {
    const m1 = await bot.send('before the drop');
    await waitInPage('onMessage before the drop', (id) => window.seen.messages.some((m) => m.Id === id), m1.Id);
    const established = await page.evaluate(() => window.seen.established);

    await cutSockets();
    await waitInPage('onConnectionLost after the drop', () => window.seen.lost > 0);
    // Sent while the customer may be offline: it must be in the transcript.
    const m2 = await bot.send('during the drop');
    // chatjs fetches a new URL with CreateParticipantConnection and reconnects.
    await waitInPage('onConnectionEstablished again', (n) => window.seen.established > n, established);
    const m3 = await bot.send('after the drop');
    await waitInPage('onMessage on the new websocket', (id) => window.seen.messages.some((m) => m.Id === id), m3.Id);

    const transcript = await inPage('session.getTranscript after reconnecting', () => window.transcript());
    const ids = (transcript?.Transcript ?? []).map((i) => i.Id);
    for (const [label, m] of [['before', m1], ['during', m2], ['after', m3]]) {
      assert.ok(ids.includes(m.Id), `transcript after reconnecting lacks the message sent ${label} the drop; got:\n  ${(transcript?.Transcript ?? []).map(brief).join('\n  ')}`);
    }
    // The customer can still talk.
    const sent = await inPage('session.sendMessage after reconnecting', (t) => window.sendText(t), 'back again');
    await bot.socket.waitFor(isMessage(sent.Id), WAIT_MS, 'bot waits for the message sent after reconnecting');
    const seen = await page.evaluate(() => window.seen);
    assert.deepEqual(seen.broken, [], `chatjs reported onConnectionBroken\n${await pageState()}`);
  } finally {
    bot.close();
  }
});

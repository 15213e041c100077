// The customer chat widget in a real headless Chromium: host pages on two
// local origins (one allowed by the widget, one not) embed the two-line
// snippet; the test plays the other side as a CUSTOM_BOT on a raw websocket.
// Screenshots of the main screens go to artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { CreateContactFlowCommand } from '@aws-sdk/client-connect';
import { config, connectClient, connectBot, parleyApi, isMessage, isReceipt, EVENT } from './lib/parley.mjs';
import { WAIT_MS, launchChromium, makeArtifactsDir, screenshotter, recordProblems, visible } from './lib/browser.mjs';

const { endpoint, bootstrap } = config();

// The widget's flow asks with an interactive ListPicker (participants cannot
// send interactive messages; flows do), then goes on with the default inbound
// flow, whose greeting names $.Attributes.customerName.
const PICKER = {
  templateType: 'ListPicker',
  version: '1.0',
  data: {
    content: {
      title: 'What can we help with?',
      subtitle: 'Pick one',
      elements: [{ title: 'Track order', subtitle: 'Where is it?' }, { title: 'Cancel order' }],
    },
  },
};
const pickerFlow = () => ({
  Version: '2019-10-30',
  StartAction: 'Pick',
  Actions: [
    {
      Identifier: 'Pick',
      Type: 'MessageParticipant',
      Parameters: { Text: JSON.stringify(PICKER) },
      Transitions: { NextAction: 'Inbound', Errors: [{ NextAction: 'Inbound', ErrorType: 'NoMatchingError' }] },
    },
    {
      Identifier: 'Inbound',
      Type: 'TransferToFlow',
      Parameters: { ContactFlowId: bootstrap.inboundFlowId },
      Transitions: { NextAction: 'End', Errors: [{ NextAction: 'End', ErrorType: 'NoMatchingError' }] },
    },
    { Identifier: 'End', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
  ],
});

/** A host page: some content of the company's own, then the two-line snippet. */
function hostPage(widgetId) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example shop</title><style>body{font-family:serif;margin:2rem} button{background:red!important}</style></head>
<body><h1>Example shop</h1><p><a href="#top">Our products</a></p>
<script src="${endpoint}/widget/parley-widget.js" data-parley-widget="${widgetId}" async></script>
</body></html>`;
}

let widgetId;
let browser;
const servers = [];
let allowedOrigin;
let deniedOrigin;

/** Serves the host page on host:0; resolves the origin. */
async function serve(host) {
  const srv = http.createServer((req, res) => {
    if (req.url.split('#')[0].split('?')[0] === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(hostPage(widgetId));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => srv.listen(0, host === 'localhost' ? '127.0.0.1' : host, resolve));
  servers.push(srv);
  return `http://${host}:${srv.address().port}`;
}

before(async () => {
  makeArtifactsDir();
  allowedOrigin = await serve('127.0.0.1');
  deniedOrigin = await serve('localhost');
  const flow = await connectClient().send(
    new CreateContactFlowCommand({
      InstanceId: bootstrap.instanceId,
      Name: `Widget e2e ${Date.now()}`,
      Type: 'CONTACT_FLOW',
      Content: JSON.stringify(pickerFlow()),
      Status: 'PUBLISHED',
    }),
  );
  const put = await parleyApi('PUT', `/parley/widgets/${bootstrap.instanceId}`, {
    Name: 'e2e widget',
    ContactFlowId: flow.ContactFlowId,
    AllowedOrigins: [allowedOrigin],
    Title: 'Example support',
    Greeting: 'Questions? We are here to help.',
    Position: 'bottom-right',
    Theme: { Primary: '#0b5cad', Text: '#1d2330', Background: '#ffffff' },
    PreChatForm: {
      Enabled: true,
      Fields: [
        { Name: 'customerName', Label: 'Your name', Type: 'text', Required: true },
        { Name: 'email', Label: 'Email', Type: 'email', Required: false },
        { Name: 'topic', Label: 'Topic', Type: 'select', Required: false, Options: ['Orders', 'Billing'] },
      ],
    },
    RequireJwt: false,
    RateLimitPerMinute: 100,
    Locale: 'en',
  });
  assert.equal(put.status, 200, `PUT /parley/widgets: ${JSON.stringify(put.body)}`);
  widgetId = put.body.WidgetId;
  assert.ok(widgetId, `no WidgetId in ${JSON.stringify(put.body)}`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

/** A fresh browser context (own localStorage) and page, with the page's problems collected. */
async function newPage(opts = {}) {
  const context = await browser.newContext(opts);
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  recordProblems(page, { dialogs: false });
  return page;
}

const shot = screenshotter('widget');

/** The widget's stored chat, from the page's localStorage. */
const storedChat = (page) => page.evaluate((id) => JSON.parse(localStorage.getItem('parley-widget:' + id) || 'null'), widgetId);

/** Opens the page, fills the pre-chat form with `name` and starts; resolves the stored chat. */
async function startFromWidget(page, name, origin = allowedOrigin) {
  await page.goto(origin + '/');
  await visible(page, page.locator('.pw-launcher'), 'launcher');
  await page.locator('.pw-launcher').click();
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await visible(page, page.locator('.pw-log').getByText(`thanks for contacting us`), 'greeting');
  const chat = await storedChat(page);
  assert.ok(chat?.participantToken && chat.contactId, `stored chat ${JSON.stringify(chat)}`);
  return chat;
}

/**
 * Sends as the bot. A text/markdown message falls back to text/plain when
 * the chat does not list text/markdown in its SupportedMessagingContentTypes
 * (the widget's start decides those); the result says which went out.
 */
async function botSend(bot, content, type = 'text/plain') {
  try {
    return { ...(await bot.send(content, type)), type };
  } catch (err) {
    if (type !== 'text/markdown' || !/SupportedMessagingContentTypes/.test(err.message)) throw err;
    markdownRefused = true;
    return { ...(await bot.send(content, 'text/plain')), type: 'text/plain' };
  }
}
let markdownRefused = false;
after(() => {
  if (markdownRefused) console.log('NOTE: widget chats do not accept text/markdown; markdown went out as text/plain');
});

/** Texts of the conversation's messages, in order. */
const messageTexts = (page) => page.locator('.pw-msg .pw-bubble').allTextContents();

test('pre-chat form, greeting, bot reply with typing and receipts, ListPicker, reload, resume, end', async () => {
  const page = await newPage({ viewport: { width: 1100, height: 760 } });
  await page.goto(allowedOrigin + '/');
  const launcher = page.locator('.pw-launcher');
  await visible(page, launcher, 'launcher');
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
  await shot(page, '1-launcher');
  await launcher.click();
  assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
  await visible(page, page.getByText('Questions? We are here to help.'), 'greeting text');
  // The name field is required and takes the focus.
  assert.equal(await page.evaluate(() => document.querySelector('[data-parley-widget-host]').shadowRoot.activeElement?.name), 'customerName');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await visible(page, page.getByText('Your name is required.'), 'required error');
  await page.getByLabel('Your name').fill('Ann');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await visible(page, page.getByText('Email must be an email address.'), 'email error');
  await page.getByLabel('Email').fill('ann@example.com');
  await page.getByLabel('Topic').selectOption('Orders');
  await shot(page, '2-prechat');
  await page.getByRole('button', { name: 'Start chat' }).click();
  const log = page.locator('.pw-log');
  await visible(page, log.getByText('Hi Ann, thanks for contacting us'), 'the default flow greeting');
  assert.equal(await page.getByRole('log').count(), 1, 'the conversation is a role=log');
  const chat = await storedChat(page);
  assert.ok(chat?.contactId, `stored chat ${JSON.stringify(chat)}`);

  const bot = await connectBot(chat.contactId, 'Ada');
  try {
    await bot.event(EVENT.typing);
    await visible(page, page.getByText('Ada is typing…'), 'typing indicator');
    const hello = await botSend(bot, 'Hello **Ann**, how can I help?', 'text/markdown');
    if (hello.type === 'text/markdown') await visible(page, log.locator('strong', { hasText: 'Ann' }), 'the bot reply, markdown');
    else await visible(page, log.getByText('Hello **Ann**, how can I help?'), 'the bot reply, plain');
    await visible(page, log.locator('.pw-name', { hasText: 'Ada' }), 'the bot name');
    assert.equal(await page.getByText('Ada is typing…').count(), 0, 'typing indicator gone with the message');
    // The panel is open: the widget sends delivered and read receipts.
    await bot.socket.waitFor(isReceipt('read', hello.Id), WAIT_MS, 'read receipt from the widget');

    // The flow's ListPicker: buttons, one click sends the title. (Answering
    // by typing disables them too, so this chat answers it by clicking first.)
    const track = page.getByRole('button', { name: /Track order/ });
    await visible(page, track, 'ListPicker button');
    await shot(page, '3-conversation');
    await track.click();
    await bot.socket.waitFor((it) => it.Type === 'MESSAGE' && it.Content === 'Track order' && it.ParticipantRole === 'CUSTOMER', WAIT_MS, 'picked title');
    assert.equal(await track.isDisabled(), true, 'the chosen button is disabled');
    assert.equal(await page.getByRole('button', { name: 'Cancel order' }).isDisabled(), true, 'the other button is disabled');
    await visible(page, log.locator('.pw-mine .pw-bubble', { hasText: 'Track order' }), 'picked title shown once');

    // The customer answers; the bot reads it and the widget shows "Read".
    const input = page.getByLabel('Type your message');
    await input.fill('My order is late');
    await input.press('Enter');
    const mine = await bot.socket.waitFor((it) => it.Type === 'MESSAGE' && it.Content === 'My order is late', WAIT_MS, 'customer message');
    assert.equal(mine.ParticipantRole, 'CUSTOMER');
    await bot.receipt('read', mine.Id);
    await visible(page, log.locator('.pw-mine .pw-meta', { hasText: 'Read' }), 'read receipt shown');

    // Reload: the same conversation, nothing twice.
    const before = await messageTexts(page);
    assert.equal(before.filter((t) => t === 'Track order').length, 1, `messages: ${JSON.stringify(before)}`);
    await page.reload();
    await visible(page, page.locator('.pw-launcher'), 'launcher after reload');
    await page.locator('.pw-launcher').click();
    await visible(page, page.locator('.pw-log .pw-bubble', { hasText: 'Track order' }), 'restored conversation');
    await bot.send('Still there after the reload?');
    await visible(page, page.locator('.pw-log').getByText('Still there after the reload?'), 'live after reload');
    const afterReload = await messageTexts(page);
    assert.deepEqual(afterReload, [...before, 'Still there after the reload?'], 'restored conversation, in order, without duplicates');
    await visible(page, page.locator('.pw-mine .pw-meta', { hasText: 'Read' }), 'receipts restored');

    // Resume on another device: a fresh browser profile opens the link.
    const other = await newPage({ viewport: { width: 900, height: 760 } });
    await other.goto(`${allowedOrigin}/#parley-resume=${encodeURIComponent(chat.participantToken)}`);
    await visible(other, other.locator('.pw-log').getByText('Still there after the reload?'), 'resumed conversation');
    assert.equal(new URL(other.url()).hash, '', 'the resume fragment is removed from the URL');
    assert.deepEqual(await messageTexts(other), afterReload, 'the resumed conversation');
    await other.context().close();

    // End the chat: a clear ended state and a way to start again.
    await page.getByRole('button', { name: 'End chat' }).click();
    await visible(page, page.getByText('The chat has ended.'), 'ended notice');
    await bot.socket.waitFor((it) => it.ContentType === EVENT.ended, WAIT_MS, 'chat.ended');
    assert.equal(await storedChat(page), null, 'the ended chat is forgotten');
    await shot(page, '4-ended');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download transcript' }).click()]);
    assert.match(download.suggestedFilename(), /\.txt$/);
    const text = await new Promise((resolve, reject) => {
      download.createReadStream().then((s) => {
        const parts = [];
        s.on('data', (c) => parts.push(c));
        s.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
        s.on('error', reject);
      }, reject);
    });
    assert.match(text, /Ada: Hello \*\*Ann\*\*, how can I help\?/);
    assert.match(text, /You: My order is late/);
    await page.getByRole('button', { name: 'Start a new chat' }).click();
    await visible(page, page.getByLabel('Your name'), 'the pre-chat form again');
    assert.deepEqual(page.log.filter((l) => l.startsWith('pageerror')), [], 'page errors');
  } finally {
    bot.close();
    await page.context().close();
  }
});

test('a site not allowed gets a clear error and starts nothing', async () => {
  const page = await newPage();
  const starts = [];
  page.on('request', (r) => {
    if (r.url().includes('/widget-api/') && r.url().endsWith('/start')) starts.push(r.url());
  });
  await page.goto(deniedOrigin + '/');
  await visible(page, page.locator('.pw-launcher'), 'launcher');
  await page.locator('.pw-launcher').click();
  await visible(page, page.getByRole('alert').filter({ hasText: 'isn’t available on this website' }), 'error');
  assert.equal(await page.getByLabel('Your name').count(), 0, 'no form');
  assert.equal(await page.getByLabel('Type your message').count(), 0, 'no input');
  await shot(page, '5-not-allowed');
  assert.deepEqual(starts, [], 'no start request');
  await page.context().close();
});

test('XSS battery: nothing from the chat executes, everything shows as text', async () => {
  const page = await newPage();
  const chat = await startFromWidget(page, 'Mallory <img src=x onerror="window.__xss=1">');
  const evilName = '<b>Eve</b><img src=x onerror="window.__xss=1">';
  const bot = await connectBot(chat.contactId, evilName);
  try {
    const payloads = [
      ['<script>window.__xss=1</script>', 'text/plain'],
      ['<img src=x onerror="window.__xss=1">', 'text/plain'],
      ['<script>window.__xss=1</script> **md**', 'text/markdown'],
      ['<img src=x onerror="window.__xss=1"> *md*', 'text/markdown'],
      ['[click](javascript:window.__xss=1)', 'text/markdown'],
      ['[data](data:text/html,<script>window.__xss=1</script>)', 'text/markdown'],
      ['[x](https://example.com/"onmouseover="window.__xss=1)', 'text/markdown'],
      ['`<img src=x onerror=window.__xss=1>` and ```\n<svg onload=window.__xss=1>\n```', 'text/markdown'],
      ['<a href="javascript:window.__xss=1">a</a> **<i onclick=window.__xss=1>i</i>**', 'text/markdown'],
      ['javascript:window.__xss=1 https://example.com/ok', 'text/plain'],
    ];
    let last;
    for (const [content, type] of payloads) last = await botSend(bot, content, type);
    await bot.socket.waitFor(isMessage(last.Id), WAIT_MS, 'last payload echo');
    const log = page.locator('.pw-log');
    await visible(page, log.getByText('javascript:window.__xss=1 https://example.com/ok'), 'last payload shown');
    await visible(page, log.getByText('<script>window.__xss=1</script>', { exact: true }), 'script as text');
    await visible(page, log.getByText('<img src=x onerror="window.__xss=1">', { exact: true }), 'img as text');
    await visible(page, log.getByText('[click](javascript:window.__xss=1)'), 'javascript link as text');
    await visible(page, log.locator('.pw-name', { hasText: evilName }), 'display name as text');
    // Hover and click everything the chat rendered.
    for (const el of await log.locator('a, strong, em, code, .pw-name').all()) await el.hover({ timeout: 1000 }).catch(() => {});
    const found = await page.evaluate(() => {
      const root = document.querySelector('[data-parley-widget-host]').shadowRoot;
      const logEl = root.querySelector('.pw-log');
      return {
        xss: window.__xss,
        elements: [...new Set([...logEl.querySelectorAll('*')].map((e) => e.localName))].sort(),
        hrefs: [...logEl.querySelectorAll('a')].map((a) => [a.protocol, a.rel, a.target]),
        handlers: [...logEl.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
      };
    });
    assert.equal(found.xss, undefined, 'window.__xss was set');
    assert.deepEqual(found.handlers, [], 'event handler attributes in the log');
    for (const bad of ['script', 'img', 'svg', 'iframe', 'b', 'i']) assert.ok(!found.elements.includes(bad), `<${bad}> in the log: ${found.elements}`);
    for (const [protocol, rel, target] of found.hrefs) {
      assert.ok(['http:', 'https:', 'mailto:'].includes(protocol), `link protocol ${protocol}`);
      assert.equal(rel, 'noopener noreferrer nofollow');
      assert.equal(target, '_blank');
    }
    await shot(page, '6-xss');
  } finally {
    bot.close();
    await page.context().close();
  }
});

test('keyboard only: Tab to the launcher, Enter opens, type and send, Escape closes', async () => {
  const page = await newPage();
  await page.goto(allowedOrigin + '/');
  await visible(page, page.locator('.pw-launcher'), 'launcher');
  const active = () =>
    page.evaluate(() => {
      const host = document.querySelector('[data-parley-widget-host]');
      const inner = document.activeElement === host ? host.shadowRoot.activeElement : null;
      return inner ? inner.className || inner.localName : document.activeElement?.localName;
    });
  let found = false;
  for (let i = 0; i < 6 && !found; i++) {
    await page.keyboard.press('Tab');
    found = (await active()) === 'pw-launcher';
  }
  assert.ok(found, 'Tab reaches the launcher');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.pw-launcher').getAttribute('aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.querySelector('[data-parley-widget-host]').shadowRoot.activeElement?.name), 'customerName', 'focus on the first field');
  await page.keyboard.type('Kim');
  await page.keyboard.press('Enter'); // submits the form
  await visible(page, page.locator('.pw-log').getByText('Hi Kim, thanks for contacting us'), 'greeting');
  await page.waitForFunction(() => document.querySelector('[data-parley-widget-host]').shadowRoot.activeElement?.classList.contains('pw-input'), null, { timeout: WAIT_MS });
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await visible(page, page.locator('.pw-mine .pw-bubble', { hasText: 'second line' }), 'sent by keyboard');
  const sent = await page.locator('.pw-mine .pw-bubble').last().evaluate((b) => b.innerText);
  assert.equal(sent.trim(), 'first line\nsecond line');
  // Over the limit: a counter, an error, nothing sent.
  await page.locator('.pw-input').fill('x'.repeat(1030));
  await visible(page, page.getByText('Your message is 1030 characters long; the limit is 1024.'), 'too long');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.pw-mine').count(), 1, 'the long message was not sent');
  await page.locator('.pw-input').fill('');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('.pw-launcher').getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator('.pw-panel').isVisible(), false, 'panel closed');
  assert.equal(await active(), 'pw-launcher', 'focus back on the launcher');
  await page.context().close();
});

test('360 px wide screen', async () => {
  const page = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await startFromWidget(page, 'Sam');
  const box = await page.locator('.pw-panel').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 360, `panel within the 360 px viewport: ${JSON.stringify(box)}`);
  const input = await page.locator('.pw-input').boundingBox();
  assert.ok(input.x + input.width <= 360, 'input within the viewport');
  await shot(page, '7-mobile-360');
  await page.context().close();
});

test('transferred size of the widget', async () => {
  const files = ['/widget/parley-widget.js', '/widget/widget.css', '/widget/i18n.js', '/shared/participant.js', '/shared/markdown.js'];
  let total = 0;
  const sizes = [];
  for (const f of files) {
    const res = await fetch(endpoint + f);
    assert.equal(res.status, 200, f);
    assert.equal(res.headers.get('access-control-allow-origin'), '*', `${f} is served to any origin`);
    const gz = gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
    sizes.push(`${f} ${gz} B`);
    total += gz;
  }
  console.log(`widget transferred size (gzip): ${total} bytes = ${(total / 1024).toFixed(1)} KiB\n  ${sizes.join('\n  ')}`);
  assert.ok(total < 40 * 1024, `widget gzip size ${total} B over 40 KiB`);
});

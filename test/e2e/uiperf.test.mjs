// Performance of the browser UIs in a real headless Chromium. These are
// measurements, not timed assertions: the tests assert only correctness (the
// widget opens; every message reached its tab exactly once; typing still
// shows) and print the numbers, one "uiperf:" line each.
//
//   1. The chat widget on a host page of another origin: what it loads
//      (bytes as served and gzip -9) and the time from navigation start to
//      a visible, enabled launcher, with the page's script time; five cold
//      pages (a fresh browser context each), min and median.
//   2. The agent workspace with 10 chats open while customers send 500
//      messages each, interleaved at a steady rate: the page's script time
//      per incoming message and its longest task (a Chrome trace), then the
//      time from a click or key press to the next frame, for switching tabs
//      and typing in the composer, during and after the burst.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { config, startChat, parleyApi, unique } from './lib/parley.mjs';
import { newHours, newQueue, newProfile, inboundFlowOn, newAgent, setOffline } from './lib/setup.mjs';
import { WAIT_MS, launchChromium, loginAgent, setAvailable } from './lib/browser.mjs';

const { endpoint, bootstrap } = config();
const InstanceId = bootstrap.instanceId;

const WIDGET_RUNS = 5;
const CHATS = 10;
const PER_CHAT = 500;
const RATE = 100; // messages per second, over all chats

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const report = (line) => console.log(`uiperf: ${line}`);

/** A Participant API call with a bearer token, as a browser would make it (no SDK). */
async function participantCall(path, bearer, body) {
  const res = await fetch(endpoint + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-bearer': bearer },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** Page script: records, for each trusted click and key press, the time to the next frame. */
function inputLatencyProbe() {
  window.__lat = [];
  const mark = (kind) => (e) => {
    if (!e.isTrusted || (kind === 'key' && e.key.length !== 1)) return; // typed characters only
    const start = e.timeStamp;
    requestAnimationFrame(() => window.__lat.push({ kind, ms: performance.now() - start }));
  };
  document.addEventListener('mousedown', mark('click'), true);
  document.addEventListener('keydown', mark('key'), true);
  window.__longTasks = { count: 0, max: 0 };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__longTasks.count++;
        window.__longTasks.max = Math.max(window.__longTasks.max, e.duration);
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // No Long Tasks API: the trace still has every task.
  }
}

/** Page script: notes performance.now() when the widget's launcher is visible and enabled. */
function launcherReadyProbe() {
  const ready = () => {
    const root = document.querySelector('[data-parley-widget-host]')?.shadowRoot;
    const wrap = root?.querySelector('.pw');
    const button = root?.querySelector('.pw-launcher');
    return !!(button && wrap && !wrap.hidden && !button.disabled && button.getBoundingClientRect().width > 0);
  };
  const watched = new WeakSet();
  const check = () => {
    if (window.__launcherReady) return;
    const root = document.querySelector('[data-parley-widget-host]')?.shadowRoot;
    if (root && !watched.has(root)) {
      watched.add(root);
      new MutationObserver(check).observe(root, { subtree: true, childList: true, attributes: true });
    }
    if (ready()) window.__launcherReady = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true });
}

let browser;
const servers = [];

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

test('widget: bytes loaded and time to a clickable launcher, cold page', async () => {
  let widgetId = '';
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example shop</title></head>
<body><h1>Example shop</h1><p>Some of the shop's own content.</p>
<script src="${endpoint}/widget/parley-widget.js" data-parley-widget="${widgetId}" async></script>
</body></html>`);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  servers.push(srv);
  const origin = `http://127.0.0.1:${srv.address().port}`;
  assert.notEqual(origin, new URL(endpoint).origin, 'the host page is on another origin');
  const put = await parleyApi('PUT', `/parley/widgets/${InstanceId}`, {
    Name: unique('uiperf widget'),
    ContactFlowId: bootstrap.inboundFlowId,
    AllowedOrigins: [origin],
    Title: 'Example support',
    Greeting: 'Questions? We are here to help.',
    Locale: 'en',
  });
  assert.equal(put.status, 200, `PUT /parley/widgets: ${JSON.stringify(put.body)}`);
  widgetId = put.body.WidgetId;

  const runs = [];
  let loaded;
  for (let i = 0; i < WIDGET_RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const responses = [];
    page.on('response', (r) => {
      if (r.url().startsWith(endpoint)) responses.push(r);
    });
    await page.addInitScript(launcherReadyProbe);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    await page.goto(origin + '/');
    await page.waitForFunction(() => window.__launcherReady, null, { timeout: WAIT_MS });
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { ready: window.__launcherReady, load: n.loadEventEnd, domContentLoaded: n.domContentLoadedEventEnd };
    });
    // Clickable: a click opens the panel.
    const launcher = page.locator('.pw-launcher');
    await launcher.click();
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true', 'the launcher opens the panel');
    await page.locator('.pw-panel').waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.deepEqual(errors, [], 'page errors');
    runs.push({ ...nav, script: m.ScriptDuration * 1000, task: m.TaskDuration * 1000 });
    if (i === 0) {
      loaded = [];
      for (const r of responses) {
        const body = await r.body();
        const sizes = await r.request().sizes();
        loaded.push({ path: new URL(r.url()).pathname, type: r.request().resourceType(), raw: body.length, wire: sizes.responseBodySize, gzip: gzipSync(body, { level: 9 }).length, encoding: (await r.allHeaders())['content-encoding'] || '' });
      }
    }
    await context.close();
  }

  const code = loaded.filter((f) => f.type === 'script' || f.type === 'stylesheet');
  const other = loaded.filter((f) => !(f.type === 'script' || f.type === 'stylesheet'));
  assert.ok(code.some((f) => f.path === '/widget/parley-widget.js'), `the loader was loaded: ${JSON.stringify(loaded)}`);
  assert.ok(code.some((f) => f.path === '/widget/widget.css'), 'the stylesheet was loaded');
  const sum = (xs, k) => xs.reduce((a, f) => a + f[k], 0);
  report(`widget code loaded: ${code.length} files, ${kib(sum(code, 'raw'))} as served (content-encoding: ${code[0].encoding || 'none'}), ${kib(sum(code, 'gzip'))} gzip -9`);
  for (const f of loaded) report(`  ${f.path} (${f.type}): ${f.raw} B, gzip ${f.gzip} B`);
  if (other.length) report(`widget other requests: ${other.map((f) => `${f.path} ${f.raw} B`).join(', ')}`);
  const line = (k, label) => report(`widget ${label} over ${runs.length} cold pages: min ${ms(Math.min(...runs.map((r) => r[k])))}, median ${ms(median(runs.map((r) => r[k])))}`);
  line('ready', 'navigation start → launcher visible and enabled');
  line('domContentLoaded', 'navigation start → DOMContentLoaded (host page)');
  line('load', 'navigation start → load event');
  line('script', 'script time (ScriptDuration)');
  line('task', 'main-thread task time (TaskDuration)');
});

test(`workspace: ${CHATS} chats, ${PER_CHAT} customer messages each at ${RATE}/s`, async () => {
  // A queue, a profile with a chat concurrency of 10 and a flow of this file's own.
  const hours = await newHours('uiperf-hours');
  const queueId = await newQueue('uiperf', hours);
  const profileId = await newProfile({ name: 'uiperf', queueId, concurrency: CHATS, description: 'uiperf test' });
  const flow = await inboundFlowOn(queueId, 'uiperf-inbound');
  const user = await newAgent({ username: unique('perf'), routingProfileId: profileId, firstName: 'Perf' });

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  await page.addInitScript(inputLatencyProbe);
  const chats = [];
  try {
    await loginAgent(page, user.username);
    await setAvailable(page);

    // Ten customers; the agent accepts each offer in the UI.
    for (let c = 0; c < CHATS; c++) {
      const name = `Customer ${c}`;
      const chat = await startChat({ ContactFlowId: flow.ContactFlowId, ParticipantDetails: { DisplayName: name }, Attributes: { customerName: name } });
      const conn = await participantCall('/participant/connection', chat.ParticipantToken, { Type: ['CONNECTION_CREDENTIALS'] });
      chats.push({ contactId: chat.ContactId, token: conn.ConnectionCredentials.ConnectionToken, ids: [] });
      const accept = page.locator(`.offer[data-contact-id="${chat.ContactId}"] .accept`);
      await accept.waitFor({ timeout: WAIT_MS });
      await accept.click();
      await page.locator(`[role=tab][data-contact-id="${chat.ContactId}"]`).waitFor({ timeout: WAIT_MS });
    }
    // Every chat connected and caught up (the flow's greeting is in each transcript).
    await page.waitForFunction(
      (n) => {
        const tabs = [...document.querySelectorAll('[role=tab][data-contact-id]')];
        return tabs.length === n && tabs.every((t) => document.getElementById(t.getAttribute('aria-controls'))?.querySelector('li.msg'));
      },
      CHATS,
      { timeout: WAIT_MS },
    );
    const visibleAtStart = await page.$eval('[role=tab][aria-selected=true]', (t) => t.dataset.contactId);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    await page.evaluate(() => {
      window.__lat.length = 0;
      window.__longTasks = { count: 0, max: 0 }; // the burst's own
    });
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    const m0 = await metrics();
    if (process.env.PARLEY_UIPERF_PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
      await cdp.send('Profiler.start');
    }

    // The burst: message k of every chat, chat after chat, at RATE per second.
    const total = CHATS * PER_CHAT;
    const sends = [];
    const t0 = performance.now();
    let next = 0;
    const presses = [];
    const composer = page.locator('.chat:not([hidden]) .composer-input');
    while (next < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000) + 1);
      for (; next < due; next++) {
        const c = chats[next % CHATS];
        const k = Math.floor(next / CHATS);
        sends.push(
          participantCall('/participant/message', c.token, { ContentType: 'text/plain', Content: `message ${k} of ${c.contactId}`, ClientToken: randomUUID() }).then((out) => c.ids.push(out.Id)),
        );
        // A key press in the visible chat's composer every 500 messages.
        if (next % 500 === 250) {
          presses.push(composer.press('x'));
        }
      }
      await sleep(5);
    }
    await Promise.all(sends);
    await Promise.all(presses);
    const sendSeconds = (performance.now() - t0) / 1000;
    // Every message shown before the measurement stops.
    await page.waitForFunction(
      (want) => document.querySelectorAll('.chat li.msg.role-customer').length >= want,
      total,
      { timeout: 60_000, polling: 250 },
    );
    const arrivedSeconds = (performance.now() - t0) / 1000;
    const m1 = await metrics();
    if (process.env.PARLEY_UIPERF_PROFILE) {
      const { profile } = await cdp.send('Profiler.stop');
      (await import('node:fs')).writeFileSync(process.env.PARLEY_UIPERF_PROFILE, JSON.stringify(profile));
    }
    const traceBuf = await browser.stopTracing();
    if (process.env.PARLEY_UIPERF_TRACE) (await import('node:fs')).writeFileSync(process.env.PARLEY_UIPERF_TRACE, traceBuf);
    const trace = JSON.parse(traceBuf.toString('utf8'));
    const during = await page.evaluate(() => window.__lat.splice(0));
    const longTasks = await page.evaluate(() => window.__longTasks);

    // Exactly once, in its own tab.
    const shown = await page.$$eval('[role=tab][data-contact-id]', (tabs) =>
      tabs.map((t) => ({
        contactId: t.dataset.contactId,
        badge: t.querySelector('.badge')?.hidden ? '' : t.querySelector('.badge')?.textContent,
        ids: [...document.getElementById(t.getAttribute('aria-controls')).querySelectorAll('li.msg.role-customer')].map((li) => li.dataset.id),
      })),
    );
    assert.equal(shown.length, CHATS, 'one tab per chat');
    for (const c of chats) {
      const tab = shown.find((s) => s.contactId === c.contactId);
      assert.equal(c.ids.length, PER_CHAT, 'every message sent');
      assert.equal(tab.ids.length, PER_CHAT, `chat ${c.contactId}: ${tab.ids.length} customer messages shown, want ${PER_CHAT}`);
      assert.equal(new Set(tab.ids).size, PER_CHAT, `chat ${c.contactId}: a message shown twice`);
      assert.deepEqual([...tab.ids].sort(), [...c.ids].sort(), `chat ${c.contactId}: the messages shown are the ones sent`);
      if (c.contactId !== visibleAtStart) assert.equal(tab.badge, String(PER_CHAT), `chat ${c.contactId}: unread badge`);
    }

    // The longest task on the workspace's main thread, from the trace.
    const events = trace.traceEvents || trace;
    const started = events.find((e) => e.name === 'TracingStartedInBrowser');
    const frame = started?.args?.data?.frames?.find((f) => String(f.url).startsWith(`${endpoint}/agent/`));
    const mainThreads = new Set(
      events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && (!frame || e.pid === frame.processId)).map((e) => `${e.pid}:${e.tid}`),
    );
    const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && mainThreads.has(`${e.pid}:${e.tid}`)).map((e) => e.dur / 1000);
    const longest = tasks.length ? Math.max(...tasks) : NaN;
    const over50 = tasks.filter((d) => d > 50).length;
    const busy = tasks.reduce((a, d) => a + d, 0);

    const scriptMs = (m1.ScriptDuration - m0.ScriptDuration) * 1000;
    const taskMs = (m1.TaskDuration - m0.TaskDuration) * 1000;
    const layoutMs = (m1.LayoutDuration - m0.LayoutDuration) * 1000;
    const styleMs = (m1.RecalcStyleDuration - m0.RecalcStyleDuration) * 1000;
    report(`workspace burst: ${total} customer messages over ${CHATS} chats sent in ${sendSeconds.toFixed(1)} s (${(total / sendSeconds).toFixed(0)}/s), all shown after ${arrivedSeconds.toFixed(1)} s`);
    report(`workspace script time per incoming message: ${(scriptMs / total).toFixed(2)} ms (ScriptDuration ${(scriptMs / 1000).toFixed(2)} s for ${total})`);
    report(`workspace main-thread time per incoming message: ${(taskMs / total).toFixed(2)} ms (TaskDuration; layout ${(layoutMs / total).toFixed(2)} ms, style ${(styleMs / total).toFixed(2)} ms)`);
    report(`workspace main thread busy during the burst: ${((100 * taskMs) / 1000 / arrivedSeconds).toFixed(0)}% (trace: ${tasks.length} tasks, ${(busy / 1000).toFixed(1)} s)`);
    report(`workspace longest task: ${ms(longest)} (trace); tasks over 50 ms: ${over50} (trace), ${longTasks.count} (Long Tasks API, longest ${ms(longTasks.max)})`);
    report(`workspace JS heap after the burst: ${(m1.JSHeapUsedSize / 1048576).toFixed(1)} MiB (before ${(m0.JSHeapUsedSize / 1048576).toFixed(1)} MiB); DOM nodes ${m1.Nodes}`);
    const keysDuring = during.filter((l) => l.kind === 'key').map((l) => l.ms);
    assert.equal(keysDuring.length, presses.length, 'every key press during the burst reached the page');
    report(`workspace key press → next frame during the burst: median ${ms(median(keysDuring))}, max ${ms(Math.max(...keysDuring))} (${keysDuring.length} presses)`);

    // The visible log followed the burst to its end.
    const gap = await page.$eval('.chat:not([hidden]) .transcript', (log) => log.scrollHeight - log.scrollTop - log.clientHeight);
    assert.ok(gap < 80, `the visible transcript stayed scrolled to the end (${gap} px from it)`);

    // After the burst: switch to every tab, then type in its composer.
    await composer.fill('');
    const roundTrips = [];
    for (const c of chats) {
      const t = performance.now();
      await page.locator(`[role=tab][data-contact-id="${c.contactId}"]`).click();
      await page.locator(`[role=tab][data-contact-id="${c.contactId}"][aria-selected=true]`).waitFor({ timeout: WAIT_MS });
      roundTrips.push(performance.now() - t);
      assert.equal(await page.locator('.chat:not([hidden]) li.msg.role-customer').count(), PER_CHAT, 'the tab shows its messages');
      const input = page.locator('.chat:not([hidden]) .composer-input');
      await input.click();
      await input.pressSequentially('hello');
      assert.equal(await input.inputValue(), 'hello', 'the composer shows what was typed');
      await input.fill('');
    }
    const afterLat = await page.evaluate(() => window.__lat.splice(0));
    const clicks = afterLat.filter((l) => l.kind === 'click').map((l) => l.ms);
    const keys = afterLat.filter((l) => l.kind === 'key').map((l) => l.ms);
    assert.equal(keys.length, CHATS * 5, 'every key press reached the page');
    report(`workspace tab switch after the burst (click → next frame): median ${ms(median(clicks))}, max ${ms(Math.max(...clicks))}; click → tab shown as seen by the test: median ${ms(median(roundTrips))}`);
    report(`workspace key press → next frame after the burst: median ${ms(median(keys))}, max ${ms(Math.max(...keys))} (${keys.length} presses)`);

    // A log the agent scrolled up stays where it is when a message comes in; back at the end, it follows again.
    const last = chats[chats.length - 1];
    const log = page.locator('.chat:not([hidden]) .transcript');
    await log.evaluate((el) => (el.scrollTop = 100));
    await log.evaluate((el) => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const up = await participantCall('/participant/message', last.token, { ContentType: 'text/plain', Content: 'while scrolled up', ClientToken: randomUUID() });
    await page.locator(`.chat:not([hidden]) li.msg[data-id="${up.Id}"]`).waitFor({ state: 'attached', timeout: WAIT_MS });
    await log.evaluate((el) => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(await log.evaluate((el) => el.scrollTop), 100, 'a log scrolled up is not moved');
    await log.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await log.evaluate((el) => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const down = await participantCall('/participant/message', last.token, { ContentType: 'text/plain', Content: 'back at the end', ClientToken: randomUUID() });
    await page.locator(`.chat:not([hidden]) li.msg[data-id="${down.Id}"]`).waitFor({ state: 'attached', timeout: WAIT_MS });
    await page.waitForFunction(() => {
      const el = document.querySelector('.chat:not([hidden]) .transcript');
      return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    }, null, { timeout: WAIT_MS });
    assert.deepEqual(errors, [], 'page errors or dialogs');
  } finally {
    await setOffline([user.userId]);
    await Promise.all(chats.map((c) => participantCall('/participant/disconnect', c.token, { ClientToken: randomUUID() }).catch(() => {})));
    await context.close();
  }
});

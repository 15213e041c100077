// The test-chat page: an administrator picks a contact flow, chats on it as
// a customer and watches the flow log fill in, block by block, as Amazon
// Connect's test chat does.
//
// It uses the workspace API (/api/agent: session cookie + CSRF token) to
// log in, list flows, start a test chat and read its flow log, and the
// shared ParticipantSession to be the customer. Everything shown that
// comes from the server (messages, flow names, block parameters, which may
// hold what the customer typed) is rendered as text, never as HTML.

import { ParticipantSession, CONTENT_TYPES } from '/shared/participant.js';
import { renderItemContent } from '/shared/markdown.js';

const API = '/api/agent';
const POLL_MS = 1000;
const TYPING_SHOWN_MS = 6000;
const PAGE = 100; // the server's flow-log page: a full page means more are waiting

// ---------------------------------------------------------------------------
// Strings. Add a language by adding a table with the same keys.

const STRINGS = {
  en: {
    title: 'Test chat',
    loading: 'Loading…',
    logout: 'Sign out',
    loginTitle: 'Sign in',
    username: 'Username',
    password: 'Password',
    signIn: 'Sign in',
    loginFailed: 'Invalid username or password.',
    loginRequired: 'Enter your username and password.',
    deniedTitle: 'Access denied',
    denied: 'You are signed in as {user}, but your security profile does not allow test chats. Ask an administrator for the ContactFlows.View permission. (HTTP 403)',
    setupTitle: 'Start a test chat',
    flow: 'Contact flow',
    noFlows: 'No published contact flows',
    displayName: 'Customer name',
    defaultName: 'Test customer',
    attributes: 'Contact attributes (optional)',
    attrKey: 'Attribute name',
    attrValue: 'Attribute value',
    addAttribute: 'Add attribute',
    removeAttribute: 'Remove attribute {n}',
    start: 'Start chat',
    starting: 'Starting…',
    restart: 'Restart',
    endChat: 'End chat',
    changeFlow: 'Change flow',
    runTitle: 'Testing: {flow}',
    chatTitle: 'Customer chat',
    message: 'Message',
    messagePlaceholder: 'Type a message',
    send: 'Send',
    logTitle: 'Flow log',
    logEmpty: 'No blocks have run yet.',
    status_connecting: 'Connecting…',
    status_connected: 'Connected',
    status_reconnecting: 'Connection lost, reconnecting…',
    status_ended: 'The chat has ended.',
    status_closed: 'Disconnected.',
    typing: '{name} is typing…',
    joined: '{name} joined the chat',
    left: '{name} left the chat',
    ended: 'The chat ended',
    you: 'You',
    system: 'System',
    sendFailed: 'The message could not be sent: {error}',
    sessionEnded: 'Your session ended. Sign in again.',
    error: 'Something went wrong: {error}',
    pollFailed: 'Could not read the flow log: {error}',
    block: 'Block',
    type: 'Type',
    parameters: 'Parameters',
    result: 'Result',
    next: 'Next',
    errorLabel: 'Error',
    external: 'External results',
    flowLabel: 'Flow',
  },
};

const lang = (navigator.languages || [navigator.language || 'en'])
  .map((l) => String(l).toLowerCase().split('-')[0])
  .find((l) => STRINGS[l]) || 'en';

/** The string for key in the page's language, with {name} placeholders filled. */
function t(key, vars = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

function localise() {
  document.documentElement.lang = lang;
  document.title = `${t('title')} · Parley`;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

// ---------------------------------------------------------------------------
// DOM helpers.

const $ = (id) => document.getElementById(id);

/** An element with a class and text (textContent only). */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function show(section) {
  for (const id of ['loading', 'login', 'denied', 'setup', 'run']) $(id).hidden = id !== section;
}

function showError(id, text) {
  const e = $(id);
  e.textContent = text || '';
  e.hidden = !text;
}

function timeOf(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// ---------------------------------------------------------------------------
// Workspace API.

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

const state = {
  csrf: '',
  user: null,
  flows: [],
  run: null, // {contactId, flowId, flowName, session, after, timer, ended}
  lastSetup: null,
};

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
  }
  const res = await fetch(API + path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try {
    data = await res.json();
  } catch {
    data = {};
  }
  if (!res.ok) {
    const e = data.error || {};
    if (res.status === 401 && path !== '/login') onSessionEnded();
    throw new ApiError(res.status, e.code, e.message);
  }
  return data;
}

function onSessionEnded() {
  stopRun();
  state.csrf = '';
  state.user = null;
  $('who').hidden = true;
  show('login');
  showError('login-error', t('sessionEnded'));
}

// ---------------------------------------------------------------------------
// Login and the flow picker.

async function boot() {
  localise();
  wire();
  try {
    const me = await fetch(API + '/me', { credentials: 'same-origin' });
    if (!me.ok) {
      show('login');
      $('login-username').focus();
      return;
    }
    const data = await me.json();
    await signedIn(data.user, data.csrfToken);
  } catch (err) {
    show('login');
    showError('login-error', t('error', { error: err.message }));
  }
}

async function signedIn(user, csrf) {
  state.user = user;
  state.csrf = csrf;
  $('who-name').textContent = user.displayName || user.username;
  $('who').hidden = false;
  try {
    const out = await api('GET', '/test-chat/flows');
    state.flows = out.flows || [];
  } catch (err) {
    if (err.status === 403) {
      $('denied-text').textContent = t('denied', { user: user.username });
      show('denied');
      return;
    }
    if (err.status === 401) return;
    show('denied');
    $('denied-text').textContent = t('error', { error: err.message });
    return;
  }
  fillFlows();
  show('setup');
  $('flow').focus();
}

function fillFlows() {
  const sel = $('flow');
  const keep = sel.value;
  sel.replaceChildren();
  if (!state.flows.length) {
    const o = el('option', '', t('noFlows'));
    o.value = '';
    sel.append(o);
    $('start').disabled = true;
    return;
  }
  for (const f of state.flows) {
    const o = el('option', '', f.name);
    o.value = f.id;
    sel.append(o);
  }
  if (keep && state.flows.some((f) => f.id === keep)) sel.value = keep;
  $('start').disabled = false;
}

let attrCount = 0;

/** Adds a key/value row to the attributes. */
function addAttrRow(key = '', value = '') {
  const n = ++attrCount;
  const row = el('div', 'attr-row');
  const k = el('input');
  k.id = `attr-key-${n}`;
  k.className = 'attr-key';
  k.value = key;
  k.autocomplete = 'off';
  k.setAttribute('aria-label', t('attrKey'));
  k.placeholder = t('attrKey');
  const v = el('input');
  v.id = `attr-value-${n}`;
  v.className = 'attr-value';
  v.value = value;
  v.autocomplete = 'off';
  v.setAttribute('aria-label', t('attrValue'));
  v.placeholder = t('attrValue');
  const rm = el('button', 'remove', '×');
  rm.type = 'button';
  rm.setAttribute('aria-label', t('removeAttribute', { n: $('attrs').children.length + 1 }));
  rm.addEventListener('click', () => {
    row.remove();
    $('add-attr').focus();
  });
  row.append(k, v, rm);
  $('attrs').append(row);
  return k;
}

function readSetup() {
  const attributes = {};
  for (const row of $('attrs').querySelectorAll('.attr-row')) {
    const key = row.querySelector('.attr-key').value.trim();
    if (key) attributes[key] = row.querySelector('.attr-value').value;
  }
  return {
    flowId: $('flow').value,
    displayName: $('display-name').value.trim() || t('defaultName'),
    attributes,
  };
}

// ---------------------------------------------------------------------------
// A running test chat.

async function startRun(setup) {
  showError('setup-error', '');
  showError('run-error', '');
  const btn = $('start');
  btn.disabled = true;
  btn.textContent = t('starting');
  let out;
  try {
    out = await api('POST', '/test-chat/start', setup);
  } catch (err) {
    if (err.status === 401) return;
    if (!$('run').hidden) showError('run-error', t('error', { error: err.message }));
    else showError('setup-error', t('error', { error: err.message }));
    return;
  } finally {
    btn.disabled = false;
    btn.textContent = t('start');
  }
  state.lastSetup = setup;
  const flowName = out.flowName || state.flows.find((f) => f.id === setup.flowId)?.name || setup.flowId;
  const run = {
    contactId: out.contactId,
    flowName,
    after: 0,
    timer: null,
    stopped: false,
    polling: false,
    typingTimer: null,
    session: null,
  };
  state.run = run;
  $('run-title').textContent = t('runTitle', { flow: flowName });
  $('run').dataset.contactId = run.contactId;
  $('transcript').replaceChildren();
  $('flow-log').replaceChildren();
  $('log-empty').hidden = false;
  $('typing').textContent = '';
  setComposer(true);
  show('run');
  $('message').focus();

  run.session = new ParticipantSession({
    endpoint: location.origin,
    participantToken: out.participantToken,
    onItem: (item) => {
      if (state.run === run) onItem(run, item);
    },
    onStatus: (status) => {
      if (state.run !== run) return;
      $('chat-status').textContent = t('status_' + status);
      $('chat-status').dataset.status = status;
      if (status === 'ended') setComposer(false);
    },
  });
  poll(run);
  try {
    await run.session.connect();
  } catch (err) {
    if (state.run === run) showError('run-error', t('error', { error: err.message }));
  }
}

/** Stops the current run's polling and websocket; with leave, the customer leaves (the chat ends). */
function stopRun(leave = false) {
  const run = state.run;
  if (!run) return;
  state.run = null;
  run.stopped = true;
  clearTimeout(run.timer);
  clearTimeout(run.typingTimer);
  if (run.session) {
    if (leave && run.session.status !== 'ended') run.session.disconnect().catch(() => {});
    else run.session.close();
  }
}

function setComposer(enabled) {
  $('message').disabled = !enabled;
  $('composer').querySelector('button').disabled = !enabled;
  $('end').disabled = !enabled;
}

function roleClass(role) {
  return String(role || 'SYSTEM').toLowerCase().replace(/[^a-z_]/g, '');
}

function onItem(run, item) {
  const list = $('transcript');
  if (item.Type === 'MESSAGE' || item.Type === 'ATTACHMENT') {
    const customer = item.ParticipantRole === 'CUSTOMER';
    const li = el('li', `msg ${roleClass(item.ParticipantRole)}`);
    if (item.Id) li.dataset.id = item.Id;
    const meta = el('div', 'meta');
    const name = customer ? t('you') : item.ParticipantRole === 'SYSTEM' || !item.DisplayName ? t('system') : item.DisplayName;
    meta.append(el('span', 'name', name));
    meta.append(el('time', 'time', timeOf(item.AbsoluteTime)));
    const body = el('div', 'body');
    if (item.Type === 'ATTACHMENT') {
      body.textContent = (item.Attachments || []).map((a) => a.AttachmentName).join(', ');
    } else {
      body.append(renderItemContent(item));
    }
    li.append(meta, body);
    list.append(li);
    if (!customer) {
      $('typing').textContent = '';
      if (item.Id) run.session.sendReceipt('read', item.Id).catch(() => {});
    }
  } else if (item.Type === 'EVENT') {
    const name = item.ParticipantRole === 'SYSTEM' || !item.DisplayName ? t('system') : item.DisplayName;
    if (item.ContentType === CONTENT_TYPES.typing) {
      if (item.ParticipantRole === 'CUSTOMER') return;
      $('typing').textContent = t('typing', { name });
      clearTimeout(run.typingTimer);
      run.typingTimer = setTimeout(() => {
        $('typing').textContent = '';
      }, TYPING_SHOWN_MS);
      return;
    }
    let text = '';
    if (item.ContentType === CONTENT_TYPES.joined && item.ParticipantRole !== 'CUSTOMER') text = t('joined', { name });
    else if (item.ContentType === CONTENT_TYPES.left && item.ParticipantRole !== 'CUSTOMER') text = t('left', { name });
    else if (item.ContentType === CONTENT_TYPES.ended) text = t('ended');
    if (!text) return;
    list.append(el('li', 'event', text));
  } else {
    return;
  }
  list.scrollTop = list.scrollHeight;
}

async function sendMessage() {
  const run = state.run;
  const box = $('message');
  const text = box.value;
  if (!run || !text.trim()) return;
  box.value = '';
  try {
    await run.session.send(text);
  } catch (err) {
    box.value = text;
    showError('run-error', t('sendFailed', { error: err.message }));
  }
}

// ---------------------------------------------------------------------------
// The flow log.

async function poll(run) {
  if (run.stopped) return;
  let more = false;
  try {
    const out = await api('GET', `/test-chat/${encodeURIComponent(run.contactId)}/flow-logs?after=${run.after}`);
    if (run.stopped) return;
    const logs = out.flowLogs || [];
    for (const rec of logs) addLogEntry(rec);
    if (typeof out.nextAfter === 'number') run.after = out.nextAfter;
    more = logs.length >= PAGE;
    if ($('run-error').dataset.poll) showError('run-error', '');
    delete $('run-error').dataset.poll;
  } catch (err) {
    if (run.stopped || err.status === 401) return;
    showError('run-error', t('pollFailed', { error: err.message }));
    $('run-error').dataset.poll = '1';
  }
  run.timer = setTimeout(() => poll(run), more ? 0 : POLL_MS);
}

/** A parameter or result value as text: strings as they are, the rest as JSON. */
function valueText(v) {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function addField(dl, label, value, className, keepEmpty = false) {
  if (value === undefined || value === null || (value === '' && !keepEmpty)) return;
  if (value === '') value = '""';
  const dt = el('dt', className, label);
  const dd = el('dd', className, valueText(value));
  dl.append(dt, dd);
}

function addLogEntry(rec) {
  const list = $('flow-log');
  $('log-empty').hidden = true;
  const failed = Boolean(rec.Error || rec.ErrorType);
  const li = el('li', failed ? 'entry failed' : 'entry');
  li.dataset.identifier = String(rec.Identifier ?? '');
  li.dataset.moduleType = String(rec.ContactFlowModuleType ?? '');
  if (rec.logId !== undefined) li.dataset.logId = String(rec.logId);

  const head = el('div', 'entry-head');
  head.append(el('time', 'time', timeOf(rec.Timestamp)));
  head.append(el('span', 'module', rec.ContactFlowModuleType || ''));
  head.append(el('span', 'ident', rec.Identifier || ''));
  li.append(head);

  const dl = el('dl');
  addField(dl, t('flowLabel'), rec.ContactFlowName);
  const params = rec.Parameters;
  if (params && typeof params === 'object' && !Array.isArray(params)) {
    const keys = Object.keys(params);
    if (keys.length) {
      const dt = el('dt', '', t('parameters'));
      const dd = el('dd', 'params');
      const inner = el('dl', 'inner');
      for (const k of keys) addField(inner, k, params[k], '', true);
      dd.append(inner);
      dl.append(dt, dd);
    }
  } else {
    addField(dl, t('parameters'), params);
  }
  addField(dl, t('result'), rec.Results, 'result');
  addField(dl, t('external'), rec.ExternalResults);
  addField(dl, t('errorLabel'), [rec.ErrorType, rec.Error].filter(Boolean).join(': '), 'error-field');
  addField(dl, t('next'), rec.NextAction, 'next');
  if (rec.Record !== undefined) addField(dl, 'Record', rec.Record);
  li.append(dl);
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

// ---------------------------------------------------------------------------
// Events.

function wire() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = $('login-username').value.trim();
    const password = $('login-password').value;
    if (!username || !password) {
      showError('login-error', t('loginRequired'));
      return;
    }
    showError('login-error', '');
    try {
      const out = await api('POST', '/login', { username, password });
      $('login-password').value = '';
      await signedIn(out.user, out.csrfToken);
    } catch (err) {
      showError('login-error', err.status === 401 ? t('loginFailed') : t('error', { error: err.message }));
    }
  });

  $('logout').addEventListener('click', async () => {
    stopRun(true);
    try {
      await api('POST', '/logout');
    } catch {
      // The session may be gone already.
    }
    state.csrf = '';
    $('who').hidden = true;
    show('login');
    $('login-username').focus();
  });

  $('add-attr').addEventListener('click', () => addAttrRow().focus());

  $('setup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!$('flow').value) return;
    startRun(readSetup());
  });

  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    sendMessage();
  });
  $('message').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendMessage();
    }
  });
  $('message').addEventListener('input', () => {
    if ($('message').value) state.run?.session?.sendTyping();
  });

  $('restart').addEventListener('click', () => {
    const setup = state.lastSetup;
    stopRun(true);
    if (setup) startRun(setup);
  });
  $('end').addEventListener('click', () => {
    const run = state.run;
    if (run?.session) run.session.disconnect().catch(() => {});
    setComposer(false);
  });
  $('change').addEventListener('click', () => {
    stopRun(true);
    show('setup');
    $('flow').focus();
  });
  window.addEventListener('pagehide', () => stopRun(false));
}

boot();

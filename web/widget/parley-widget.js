// Parley chat widget: the embed script a company puts in its pages.
//
//   <script src="https://PARLEY_HOST/widget/parley-widget.js" data-parley-widget="WIDGET_ID" async></script>
//
// Optional: data-parley-jwt-callback="fnName" names a global function of the
// page returning a Promise of a JWT for a signed-in customer.
//
// The script finds Parley's origin from its own src, loads the widget's
// configuration, and renders into a Shadow DOM (its CSS cannot leak in or
// out). It keeps {widgetId, participantToken, contactId} in localStorage so
// a customer coming back later finds the conversation, and a
// #parley-resume=<token> fragment resumes a chat on another device. Every
// text from the network goes into the page with textContent or the safe
// markdown renderer: nothing is ever parsed as HTML.
(() => {
  'use strict';
  const script =
    document.currentScript || document.querySelector('script[data-parley-widget][src*="parley-widget.js"]');
  if (!script || !script.src) return;
  const widgetId = script.getAttribute('data-parley-widget') || '';
  const jwtCallback = script.getAttribute('data-parley-jwt-callback') || '';
  const src = new URL(script.src, location.href);
  const origin = src.origin;
  const storeKey = 'parley-widget:' + widgetId;
  const MAX_LEN = 1024;
  const CT = {
    typing: 'application/vnd.amazonaws.connect.event.typing',
    joined: 'application/vnd.amazonaws.connect.event.participant.joined',
    left: 'application/vnd.amazonaws.connect.event.participant.left',
    ended: 'application/vnd.amazonaws.connect.event.chat.ended',
    interactive: 'application/vnd.amazonaws.connect.message.interactive',
  };

  if (window.__parleyWidgets?.[widgetId]) return; // the snippet was pasted twice
  (window.__parleyWidgets ||= {})[widgetId] = true;

  let S; // strings
  let fmt;
  let md; // markdown module
  let Session; // ParticipantSession
  let config = null;
  let session = null;
  let stored = null; // {widgetId, participantToken, contactId, participantId}
  let open = false;
  let view = 'loading';
  const ui = {};
  const rendered = new Map(); // item Id -> message element
  const transcriptLines = [];
  const receiptsSent = new Set(); // "read:<id>" / "delivered:<id>"
  const unreadIds = [];
  const pending = []; // {text, el} of messages sent but not answered yet
  let typingTimer = 0;
  let lastSender = '';
  let idSeq = 0;

  // ---- DOM helpers (no HTML strings anywhere) ----------------------------

  /** Creates an element; props are properties, except aria-*, data-*, role and for, set as attributes. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('aria-') || k.startsWith('data-') || k === 'role' || k === 'for') el.setAttribute(k, v === true ? 'true' : String(v));
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }
  const uid = (p) => `pw-${p}-${++idSeq}`;

  // ---- storage ------------------------------------------------------------

  function load() {
    try {
      const v = JSON.parse(localStorage.getItem(storeKey) || 'null');
      return v && v.participantToken ? v : null;
    } catch {
      return null;
    }
  }
  function save(v) {
    stored = v;
    try {
      if (v) localStorage.setItem(storeKey, JSON.stringify(v));
      else localStorage.removeItem(storeKey);
    } catch {
      /* storage off: the chat lasts as long as the page */
    }
  }

  // ---- boot ---------------------------------------------------------------

  async function boot() {
    const [i18n, mdMod, ps] = await Promise.all([
      import(new URL('i18n.js', src).href),
      import(new URL('../shared/markdown.js', src).href),
      import(new URL('../shared/participant.js', src).href),
    ]);
    md = mdMod;
    Session = ps.ParticipantSession;
    fmt = i18n.format;
    S = i18n.stringsFor(document.documentElement.lang || navigator.language);
    let error = '';
    try {
      const res = await fetch(`${origin}/widget-api/${encodeURIComponent(widgetId)}/config`, { credentials: 'omit' });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw Object.assign(new Error(body.message || `HTTP ${res.status}`), { status: res.status });
      config = body;
      S = i18n.stringsFor(config.locale || document.documentElement.lang || navigator.language);
    } catch (err) {
      // A site not in the widget's allowed origins gets no CORS headers: a network error.
      error = err.status === 404 ? S.unavailable : S.notAllowed;
      console.warn(`Parley widget ${widgetId}: configuration not loaded (${err.message}); is this site's origin allowed?`);
    }
    build();
    if (error) return showError(error, true);
    // A resume link wins over what this browser had.
    const m = location.hash.match(/(?:^#|&)parley-resume=([^&]+)/);
    if (m) {
      const token = decodeURIComponent(m[1]);
      const rest = location.hash.replace(/(^#|&)parley-resume=[^&]+/, '$1').replace(/^#&/, '#');
      history.replaceState(history.state, '', location.pathname + location.search + (rest === '#' ? '' : rest));
      if (token !== load()?.participantToken) save({ widgetId, participantToken: token, contactId: '' });
      open = true;
    }
    stored = load();
    if (stored) resumeChat(false);
    else showStart();
    setOpen(open, false);
  }

  // ---- layout -------------------------------------------------------------

  function build() {
    const host = h('div', { 'data-parley-widget-host': widgetId });
    host.style.cssText = 'all:initial;position:fixed;z-index:2147483000;bottom:0;' + (config?.position === 'bottom-left' ? 'left:0' : 'right:0');
    const root = host.attachShadow({ mode: 'open' });
    const css = h('link', { rel: 'stylesheet', href: new URL('widget.css', src).href });
    const wrap = h('div', { className: 'pw' + (config?.position === 'bottom-left' ? ' pw-left' : '') });
    wrap.hidden = true;
    css.addEventListener('load', () => (wrap.hidden = false));
    css.addEventListener('error', () => (wrap.hidden = false));
    const theme = config?.theme || {};
    const setColor = (name, v) => {
      if (typeof v === 'string' && /^#[0-9a-f]{3,8}$|^[a-z]+$|^rgba?\([\d.,\s%]+\)$/i.test(v)) wrap.style.setProperty(name, v);
    };
    setColor('--pw-primary', theme.primary);
    setColor('--pw-on-primary', onColor(theme.primary));
    setColor('--pw-text', theme.text);
    setColor('--pw-bg', theme.background);

    const title = config?.title || S.defaultTitle;
    const titleId = uid('title');
    ui.panel = h('section', { className: 'pw-panel', role: 'dialog', 'aria-labelledby': titleId, id: uid('panel') });
    ui.panel.hidden = true;
    ui.launcher = h(
      'button',
      { type: 'button', className: 'pw-launcher', 'aria-label': S.open, 'aria-expanded': 'false', 'aria-controls': ui.panel.id, onclick: () => setOpen(!open, true) },
      icon('chat'),
    );
    let logo = null;
    const logoUrl = config?.logoUrl && md.safeUrl(config.logoUrl);
    if (logoUrl && /^https?:/.test(logoUrl)) logo = h('img', { className: 'pw-logo', src: logoUrl, alt: '' });
    ui.status = h('p', { className: 'pw-status', role: 'status' });
    ui.endBtn = h('button', { type: 'button', className: 'pw-tool', onclick: endChat }, S.endChat);
    ui.dlBtn = h('button', { type: 'button', className: 'pw-tool', onclick: downloadTranscript }, S.download);
    ui.resumeBtn = h('button', { type: 'button', className: 'pw-tool', onclick: copyResume }, S.resume);
    ui.tools = h('div', { className: 'pw-tools' }, ui.dlBtn, ui.resumeBtn, ui.endBtn);
    ui.tools.hidden = true;
    ui.resumeBox = h('div', { className: 'pw-resume', role: 'status' });
    ui.body = h('div', { className: 'pw-body' });
    ui.panel.append(
      h(
        'header',
        { className: 'pw-head' },
        logo,
        h('h2', { id: titleId, className: 'pw-title' }, title),
        h('button', { type: 'button', className: 'pw-close', 'aria-label': S.minimize, onclick: () => setOpen(false, true) }, icon('close')),
      ),
      ui.tools,
      ui.resumeBox,
      ui.status,
      ui.body,
    );
    ui.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        setOpen(false, true);
      }
    });
    wrap.append(ui.panel, ui.launcher);
    root.append(css, wrap);
    ui.root = root;
    document.body.append(host);
    document.addEventListener('visibilitychange', markRead);
  }

  /** White or near-black, whichever reads better on the colour (WCAG contrast). */
  function onColor(c) {
    const m = typeof c === 'string' && c.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
    if (!m) return undefined;
    let x = m[1];
    if (x.length === 3) x = [...x].map((d) => d + d).join('');
    const lum = [0, 2, 4]
      .map((i) => parseInt(x.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    const L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (1.05 / (L + 0.05)) >= ((L + 0.05) / 0.0625) ? '#ffffff' : '#111111';
  }

  function icon(kind) {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(NS, 'path');
    path.setAttribute(
      'd',
      kind === 'close'
        ? 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z'
        : 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z',
    );
    svg.append(path);
    return svg;
  }

  function setOpen(v, fromUser) {
    open = v;
    if (!ui.panel) return;
    ui.panel.hidden = !v;
    ui.launcher.setAttribute('aria-expanded', String(v));
    ui.launcher.setAttribute('aria-label', v ? S.close : S.open);
    ui.launcher.classList.toggle('pw-open', v);
    if (v) {
      focusFirst();
      scrollDown();
      markRead();
    } else if (fromUser) {
      ui.launcher.focus();
    }
  }

  function focusFirst() {
    if (!open) return;
    const target =
      (view === 'chat' && ui.input && !ui.input.disabled && ui.input) ||
      ui.body.querySelector('input,select,textarea,button:not([disabled])') ||
      ui.panel.querySelector('.pw-close');
    target?.focus();
  }

  function setStatus(text) {
    ui.status.textContent = text || '';
    ui.status.hidden = !text;
  }

  function showError(text, fatal) {
    view = fatal ? 'error' : view;
    ui.body.replaceChildren(h('p', { className: 'pw-error', role: 'alert' }, text));
  }

  // ---- pre-chat form ------------------------------------------------------

  function showStart(notice) {
    view = 'form';
    ui.tools.hidden = true;
    ui.resumeBox.replaceChildren();
    setStatus('');
    const form = h('form', { className: 'pw-form', noValidate: true });
    if (notice) form.append(h('p', { className: 'pw-notice' }, notice));
    if (config.greeting) form.append(h('p', { className: 'pw-greeting' }, config.greeting));
    const fields = config.preChatForm?.enabled ? config.preChatForm.fields || [] : [];
    const inputs = [];
    for (const f of fields) {
      const id = uid('f');
      const errId = uid('e');
      let input;
      if (f.type === 'select') {
        input = h('select', { id, name: f.name }, h('option', { value: '' }, S.choose), (f.options || []).map((o) => h('option', { value: String(o) }, String(o))));
      } else if (f.type === 'textarea') {
        input = h('textarea', { id, name: f.name, rows: 3 });
      } else {
        input = h('input', { id, name: f.name, type: f.type === 'email' ? 'email' : 'text', autocomplete: f.type === 'email' ? 'email' : /name/i.test(f.name) ? 'name' : 'off' });
      }
      input.required = !!f.required;
      input.setAttribute('aria-describedby', errId);
      const label = f.label || f.name;
      inputs.push({ f, input, label, err: h('p', { className: 'pw-field-error', id: errId }) });
      const last = inputs[inputs.length - 1];
      form.append(
        h('div', { className: 'pw-field' }, h('label', { for: id }, label, f.required ? h('span', { className: 'pw-req', 'aria-hidden': 'true' }, ' *') : null), input, last.err),
      );
    }
    const formError = h('p', { className: 'pw-error', role: 'alert' });
    const submit = h('button', { type: 'submit', className: 'pw-primary' }, S.startChat);
    form.append(formError, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const attributes = {};
      let firstBad = null;
      for (const { f, input, label, err } of inputs) {
        const v = input.value.trim();
        let msg = '';
        if (f.required && !v) msg = fmt(S.fieldRequired, { label });
        else if (v && f.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) msg = fmt(S.fieldEmail, { label });
        err.textContent = msg;
        input.setAttribute('aria-invalid', String(!!msg));
        if (msg) firstBad ||= input;
        else if (v) attributes[f.name] = v;
      }
      if (firstBad) return firstBad.focus();
      submit.disabled = true;
      submit.textContent = S.starting;
      formError.textContent = '';
      try {
        await startChat(attributes);
      } catch (err) {
        formError.textContent = err.message;
        submit.disabled = false;
        submit.textContent = S.startChat;
      }
    });
    ui.body.replaceChildren(form);
    if (!fields.length && !config.greeting) form.prepend(h('p', { className: 'pw-greeting' }, config.title || S.defaultTitle));
    focusFirst();
  }

  async function startChat(attributes) {
    let jwt;
    if (jwtCallback || config.requireJwt) {
      const fn = jwtCallback && window[jwtCallback];
      if (typeof fn === 'function') {
        try {
          jwt = await fn();
        } catch {
          jwt = undefined;
        }
      }
      if (!jwt && config.requireJwt) throw new Error(S.signInRequired);
    }
    const displayName = attributes.customerName || attributes.name || attributes.displayName || S.customer;
    let res;
    let body = {};
    try {
      res = await fetch(`${origin}/widget-api/${encodeURIComponent(widgetId)}/start`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ displayName, attributes, ...(jwt ? { jwt } : {}) }),
      });
      body = await res.json().catch(() => ({}));
    } catch {
      throw new Error(S.startFailed);
    }
    if (!res.ok) {
      const byStatus = { 401: S.signInRequired, 403: S.notAllowed, 429: S.rateLimited };
      throw new Error(byStatus[res.status] || S.startFailed);
    }
    save({ widgetId, participantToken: body.participantToken, contactId: body.contactId, participantId: body.participantId });
    await resumeChat(true);
  }

  // ---- conversation -------------------------------------------------------

  function showChat() {
    view = 'chat';
    rendered.clear();
    transcriptLines.length = 0;
    unreadIds.length = 0;
    pending.length = 0;
    lastSender = '';
    ui.log = h('div', { className: 'pw-log', role: 'log', 'aria-live': 'polite', 'aria-label': S.conversation, tabIndex: 0 });
    ui.typing = h('p', { className: 'pw-typing', 'aria-live': 'polite' });
    const inputId = uid('in');
    const countId = uid('count');
    ui.input = h('textarea', { id: inputId, className: 'pw-input', rows: 1, placeholder: S.placeholder, 'aria-describedby': countId });
    ui.counter = h('p', { className: 'pw-counter', id: countId });
    ui.sendBtn = h('button', { type: 'submit', className: 'pw-send', 'aria-label': S.send }, S.send);
    ui.inputError = h('p', { className: 'pw-error', role: 'alert' });
    ui.composer = h(
      'form',
      { className: 'pw-composer', noValidate: true },
      h('label', { for: inputId, className: 'pw-sr' }, S.messageLabel),
      h('div', { className: 'pw-row' }, ui.input, ui.sendBtn),
      ui.counter,
      ui.inputError,
    );
    ui.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      sendInput();
    });
    ui.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        sendInput();
      }
    });
    ui.input.addEventListener('input', () => {
      updateCounter();
      if (ui.input.value.trim()) session?.sendTyping();
    });
    ui.ended = h('div', { className: 'pw-ended' });
    ui.ended.hidden = true;
    ui.body.replaceChildren(ui.log, ui.typing, ui.ended, ui.composer);
    ui.tools.hidden = false;
    ui.endBtn.hidden = false;
    ui.resumeBtn.hidden = false;
    updateCounter();
  }

  function updateCounter() {
    const n = [...ui.input.value].length;
    ui.counter.textContent = fmt(S.counter, { count: n, max: MAX_LEN });
    ui.counter.classList.toggle('pw-over', n > MAX_LEN);
    ui.counter.hidden = n < MAX_LEN * 0.8;
    ui.inputError.textContent = n > MAX_LEN ? fmt(S.tooLong, { count: n, max: MAX_LEN }) : '';
    ui.input.setAttribute('aria-invalid', String(n > MAX_LEN));
  }

  async function resumeChat(fresh) {
    session?.close();
    showChat();
    const s = new Session({
      endpoint: origin,
      participantToken: stored.participantToken,
      onItem: (item, info) => s === session && onItem(item, info),
      onStatus: (st) => s === session && onStatus(st),
    });
    session = s;
    try {
      await s.connect();
    } catch (err) {
      if (s !== session) return;
      if (err.status === 403 || err.status === 401) {
        // The stored chat ended while the customer was away.
        save(null);
        session = null;
        if (!fresh) return showStart(S.endedPrevious);
      }
      setStatus(S.reconnecting);
      return;
    }
    if (fresh) focusFirst();
  }

  function onStatus(st) {
    if (st === 'reconnecting' || st === 'connecting') setStatus(st === 'reconnecting' ? S.reconnecting : S.loading);
    else setStatus('');
    if (st === 'ended') chatEnded();
  }

  function chatEnded() {
    if (view !== 'chat' || ui.ended.hidden === false) return;
    save(null);
    ui.typing.textContent = '';
    ui.input.disabled = true;
    ui.sendBtn.disabled = true;
    ui.composer.hidden = true;
    ui.endBtn.hidden = true;
    ui.resumeBtn.hidden = true;
    ui.resumeBox.replaceChildren();
    const again = h('button', { type: 'button', className: 'pw-primary', onclick: () => { session = null; showStart(); } }, S.newChat);
    ui.ended.replaceChildren(h('p', { className: 'pw-notice', role: 'status' }, S.ended), again);
    ui.ended.hidden = false;
    for (const b of ui.log.querySelectorAll('.pw-choices button')) b.disabled = true;
    if (open) again.focus();
  }

  const roleName = (item) =>
    item.ParticipantRole === 'CUSTOMER' ? S.you : item.ParticipantRole === 'SYSTEM' || item.DisplayName === 'SYSTEM_MESSAGE' ? S.system : item.DisplayName || S.agent;

  function onItem(item, info) {
    if (item.Type === 'MESSAGEMETADATA') return applyReceipts(item.MessageMetadata);
    if (item.Type === 'EVENT') return onEvent(item);
    if (item.Type === 'MESSAGE' || item.Type === 'ATTACHMENT') {
      if (item.Id && rendered.has(item.Id)) {
        // Our own message, already shown when sent.
        if (item.MessageMetadata) applyReceipts(item.MessageMetadata);
        return;
      }
      const p = item.ParticipantRole === 'CUSTOMER' && pending.findIndex((x) => x.text === item.Content);
      if (p !== false && p >= 0) {
        // The echo of a message still being sent: it is that bubble.
        const { el } = pending.splice(p, 1)[0];
        rendered.set(item.Id, el);
        const meta = el.querySelector('.pw-meta');
        if (meta && !meta.dataset.state) meta.textContent = S.sent;
        return;
      }
      addMessage(item);
      if (item.ParticipantRole !== 'CUSTOMER') {
        ui.typing.textContent = '';
        if (info.live) receipt('delivered', item.Id);
        const readByMe = item.MessageMetadata?.Receipts?.some((r) => r.ReadTimestamp && (!stored?.participantId || r.RecipientParticipantId === stored.participantId));
        if (!readByMe && item.Id) {
          unreadIds.push(item.Id);
          markRead();
        }
      }
    }
  }

  function onEvent(item) {
    const mine = item.ParticipantRole === 'CUSTOMER';
    const name = item.DisplayName || S.agent;
    if (item.ContentType === CT.typing) {
      if (mine) return;
      ui.typing.textContent = fmt(S.typing, { name });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => (ui.typing.textContent = ''), 12_000);
    } else if ((item.ContentType === CT.joined || item.ContentType === CT.left) && !mine && item.ParticipantRole !== 'SYSTEM') {
      notice(fmt(item.ContentType === CT.joined ? S.joined : S.left, { name }), item);
    } else if (item.ContentType === CT.ended) {
      notice(S.ended, item);
    }
  }

  function notice(text, item) {
    ui.log.append(h('p', { className: 'pw-event' }, text));
    transcriptLines.push(`[${stamp(item.AbsoluteTime)}] ${text}`);
    lastSender = '';
    scrollDown();
  }

  function stamp(t) {
    const d = t ? new Date(t) : new Date();
    return isNaN(d) ? '' : d.toLocaleString(config?.locale || undefined);
  }

  function addMessage(item, pending) {
    const role = item.ParticipantRole;
    const mine = role === 'CUSTOMER';
    const system = role === 'SYSTEM' || item.DisplayName === 'SYSTEM_MESSAGE';
    const name = roleName(item);
    const el = h('div', { className: 'pw-msg ' + (mine ? 'pw-mine' : system ? 'pw-system' : 'pw-theirs') });
    const sender = mine ? 'me' : `${role}:${item.DisplayName}`;
    // A name per group of messages; screen readers get it on every message.
    const label = h('p', { className: 'pw-name' + (sender === lastSender ? ' pw-sr' : '') }, name);
    lastSender = sender;
    const bubble = h('div', { className: 'pw-bubble' });
    let text = item.Content ?? '';
    if (item.Type === 'ATTACHMENT') {
      text = fmt(S.attachment, { name: item.Attachments?.[0]?.AttachmentName || '' });
      bubble.append(text);
    } else if (item.ContentType === CT.interactive) {
      text = interactive(item, bubble);
    } else if (item.ContentType === 'application/json' || item.ContentType?.startsWith('application/')) {
      bubble.append(String(text));
    } else {
      bubble.append(md.renderItemContent(item));
    }
    el.append(label, bubble);
    if (mine) {
      el.append(h('p', { className: 'pw-meta' }, pending ? S.sending : S.sent));
      // A customer's message answers whatever was asked before it.
      for (const b of ui.log.querySelectorAll('.pw-choices button')) b.disabled = true;
    }
    if (item.Id) rendered.set(item.Id, el);
    ui.log.append(el);
    transcriptLines.push(`[${stamp(item.AbsoluteTime)}] ${name}: ${text}`);
    if (item.MessageMetadata) applyReceipts(item.MessageMetadata);
    scrollDown();
    return el;
  }

  /** Renders an interactive message's choices as buttons; returns its text for the transcript. */
  function interactive(item, bubble) {
    let msg;
    try {
      msg = JSON.parse(item.Content);
    } catch {
      bubble.append(String(item.Content));
      return item.Content;
    }
    const lines = [];
    const render = (m, into) => {
      const content = m?.data?.content || {};
      if (content.title) {
        into.append(h('p', { className: 'pw-ititle' }, String(content.title)));
        lines.push(String(content.title));
      }
      if (content.subtitle) into.append(h('p', { className: 'pw-isub' }, String(content.subtitle)));
      const group = h('div', { className: 'pw-choices', role: 'group', 'aria-label': String(content.title || '') });
      const choice = (label, value, sub) => {
        const b = h('button', { type: 'button', className: 'pw-choice' }, String(label));
        if (sub) b.append(h('span', { className: 'pw-isub' }, String(sub)));
        b.addEventListener('click', () => {
          if (b.disabled) return;
          for (const other of bubble.querySelectorAll('.pw-choices button')) other.disabled = true;
          b.setAttribute('aria-pressed', 'true');
          b.classList.add('pw-chosen');
          sendText(String(value));
        });
        group.append(b);
        lines.push(`- ${label}`);
      };
      if (m?.templateType === 'TimePicker') {
        const dt = new Intl.DateTimeFormat(config?.locale || undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
        for (const slot of content.timeslots || []) {
          const d = new Date(slot.date);
          if (isNaN(d)) continue;
          const label = dt.format(d);
          choice(label, label);
        }
      } else {
        for (const el of content.elements || []) {
          if (el && el.templateType) {
            const card = h('div', { className: 'pw-card' });
            render(el, card);
            into.append(card);
          } else if (el && el.title) {
            choice(el.title, el.title, el.subtitle);
          }
        }
      }
      if (group.childElementCount) into.append(group);
    };
    render(msg, bubble);
    return lines.join('\n');
  }

  function applyReceipts(meta) {
    const el = meta && rendered.get(meta.MessageId);
    if (!el || !el.classList.contains('pw-mine')) return;
    const rs = meta.Receipts || [];
    const state = rs.some((r) => r.ReadTimestamp) ? 'read' : rs.some((r) => r.DeliveredTimestamp) ? 'delivered' : '';
    const metaEl = el.querySelector('.pw-meta');
    if (!state || !metaEl || metaEl.dataset.state === 'read') return;
    metaEl.dataset.state = state;
    metaEl.textContent = S[state];
  }

  function receipt(kind, id) {
    if (!id || !session || session.status === 'ended') return;
    const key = `${kind}:${id}`;
    if (receiptsSent.has(key) || receiptsSent.has(`read:${id}`)) return;
    receiptsSent.add(key);
    session.sendReceipt(kind, id).catch(() => receiptsSent.delete(key));
  }

  /** Read receipts for the messages shown while the panel is open and the page visible. */
  function markRead() {
    if (!open || document.visibilityState === 'hidden' || !session || session.status !== 'connected') return;
    const ids = unreadIds.splice(0);
    for (const id of ids.slice(-20)) receipt('read', id);
  }

  function scrollDown() {
    if (ui.log) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function sendInput() {
    const text = ui.input.value;
    if (!text.trim()) return;
    if ([...text].length > MAX_LEN) {
      updateCounter();
      ui.input.focus();
      return;
    }
    ui.input.value = '';
    updateCounter();
    sendText(text);
    ui.input.focus();
  }

  async function sendText(text) {
    if (!session) return;
    const item = { Type: 'MESSAGE', ContentType: 'text/plain', Content: text, ParticipantRole: 'CUSTOMER', AbsoluteTime: new Date().toISOString() };
    const el = addMessage(item, true);
    const meta = el.querySelector('.pw-meta');
    const p = { text, el };
    pending.push(p);
    try {
      const out = await session.send(text, 'text/plain');
      const i = pending.indexOf(p);
      if (i >= 0) pending.splice(i, 1);
      if (out.Id) {
        rendered.set(out.Id, el);
        session.seen.add(out.Id);
      }
      if (!meta.dataset.state) meta.textContent = S.sent;
    } catch (err) {
      const i = pending.indexOf(p);
      if (i >= 0) pending.splice(i, 1);
      meta.textContent = S.failed + ' ';
      meta.classList.add('pw-failed');
      meta.append(
        h('button', {
          type: 'button',
          className: 'pw-link',
          onclick: () => {
            el.remove();
            sendText(text);
          },
        }, S.retry),
      );
    }
  }

  async function endChat() {
    if (!session) return;
    try {
      await session.disconnect();
    } catch {
      /* ended or gone already */
    }
    chatEnded();
  }

  function downloadTranscript() {
    const title = `${config?.title || S.transcriptTitle} — ${new Date().toLocaleString()}`;
    const blob = new Blob([title + '\n\n' + transcriptLines.join('\n') + '\n'], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `chat-transcript-${new Date().toISOString().slice(0, 10)}.txt` });
    a.hidden = true;
    ui.root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async function copyResume() {
    if (!stored) return;
    const url = new URL(location.href);
    url.hash = 'parley-resume=' + encodeURIComponent(stored.participantToken);
    const link = url.href;
    try {
      await navigator.clipboard.writeText(link);
      ui.resumeBox.replaceChildren(h('p', {}, S.resumeCopied));
    } catch {
      const id = uid('resume');
      const input = h('input', { id, type: 'text', readOnly: true, value: link, className: 'pw-resume-url' });
      ui.resumeBox.replaceChildren(h('label', { for: id }, S.resumeManual), input);
      input.focus();
      input.select();
    }
  }

  const start = () => boot().catch((err) => console.error('Parley widget:', err));
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();

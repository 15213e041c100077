// One chat of the agent: a tab, and a panel with the transcript, the
// contact's details, the composer, quick responses, transfer, end and
// after-contact work.

import { ParticipantSession, CONTENT_TYPES } from '/shared/participant.js';
import { renderItemContent } from '/shared/markdown.js';
import { h, uid, time } from './dom.js';
import { t } from './i18n.js';

const TYPING_SHOW_MS = 8000;

export class Chat {
  /**
   * @param app the workspace (api, select(), chatChanged(), removeChat())
   * @param contact {contactId, customerName?, attributes?, state}
   */
  constructor(app, contact) {
    this.app = app;
    this.api = app.api;
    this.contactId = contact.contactId;
    this.customerName = contact.customerName || '';
    this.state = contact.state; // CONNECTED or ACW
    this.participantId = contact.participantId || '';
    this.session = null;
    this.unread = 0;
    this.pendingRead = new Set();
    this.messages = new Map(); // message Id → its receipt element
    this.receipts = new Map(); // message Id → 'delivered' | 'read'
    this.typingTimer = 0;
    this.starting = null;
    this.build();
    this.showDetails({ attributes: contact.attributes || {}, customerName: this.customerName });
    this.loadDetails();
    this.applyState();
  }

  get name() {
    return this.customerName || t('unknownCustomer');
  }

  build() {
    const id = uid('chat');
    this.panelId = `${id}-panel`;
    this.tabId = `${id}-tab`;
    this.tabName = h('span', { class: 'tab-name', text: this.name });
    this.badge = h('span', { class: 'badge', hidden: true });
    this.tab = h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: this.tabId,
        class: 'tab',
        'aria-controls': this.panelId,
        'aria-selected': 'false',
        tabIndex: -1,
        dataset: { contactId: this.contactId },
        onclick: () => this.app.select(this.contactId, true),
      },
      this.tabName,
      this.badge,
    );

    this.log = h('ol', { class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': t('transcript', { name: this.name }), tabIndex: 0 });
    this.atEnd = true; // the log shows its last entry (see append)
    this.log.addEventListener('scroll', () => {
      // Our own scroll to the end stays "at the end" even if more came in since.
      if (this.log.scrollTop === this.autoScrollTop) return;
      this.atEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    }, { passive: true });
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.banner = h('p', { class: 'banner', hidden: true, role: 'status' });

    const composerId = `${id}-composer`;
    const hintId = `${id}-hint`;
    this.composer = h('textarea', {
      id: composerId,
      class: 'composer-input',
      rows: 2,
      'aria-describedby': hintId,
      onkeydown: (e) => this.onComposerKey(e),
      oninput: () => this.session?.sendTyping(),
    });
    this.composerLabel = h('label', { for: composerId, class: 'visually-hidden', text: t('composerLabel', { name: this.name }) });
    this.sendButton = h('button', { type: 'submit', class: 'primary', text: t('send') });
    this.sendError = h('p', { class: 'error', role: 'alert', hidden: true });
    this.quickButton = h('button', {
      type: 'button',
      text: t('quickResponses'),
      'aria-expanded': 'false',
      onclick: () => this.toggleQuick(),
    });
    this.transferButton = h('button', { type: 'button', text: t('transfer'), onclick: () => this.openTransfer() });
    this.endButton = h('button', { type: 'button', class: 'danger', text: t('endChat'), onclick: () => this.end() });
    this.quick = this.buildQuick(id);
    this.form = h(
      'form',
      { class: 'composer', onsubmit: (e) => (e.preventDefault(), this.sendComposer()) },
      this.composerLabel,
      this.composer,
      h('p', { id: hintId, class: 'hint', text: t('composerHint') }),
      this.sendError,
      h('div', { class: 'actions' }, this.sendButton, this.quickButton, this.transferButton, this.endButton),
      this.quick,
    );

    const noteId = `${id}-note`;
    this.note = h('textarea', { id: noteId, rows: 3, maxLength: 4096 });
    this.acwError = h('p', { class: 'error', role: 'alert', hidden: true });
    this.completeButton = h('button', { type: 'submit', class: 'primary', text: t('complete') });
    this.acw = h(
      'form',
      { class: 'acw', hidden: true, onsubmit: (e) => (e.preventDefault(), this.complete()) },
      h('h3', { text: t('acwTitle') }),
      h('label', { for: noteId, text: t('wrapUpNote') }),
      this.note,
      this.acwError,
      h('div', { class: 'actions' }, this.completeButton),
    );

    this.detailsList = h('dl', { class: 'attributes' });
    this.detailsMeta = h('dl', { class: 'meta' });
    this.heading = h('h2', { class: 'chat-title', text: this.name });
    this.details = h(
      'aside',
      { class: 'details', 'aria-label': t('details') },
      h('h3', { text: t('details') }),
      this.detailsMeta,
      h('h4', { text: t('attributes') }),
      this.detailsList,
    );
    this.panel = h(
      'section',
      { class: 'chat', role: 'tabpanel', id: this.panelId, 'aria-labelledby': this.tabId, hidden: true },
      h('div', { class: 'conversation' }, this.heading, this.banner, this.log, this.typing, this.form, this.acw),
      this.details,
    );
  }

  // ---- contact details ----

  async loadDetails() {
    try {
      const d = await this.api.contact(this.contactId);
      this.showDetails(d);
    } catch {
      // The attributes from /me stay shown.
    }
  }

  showDetails(d) {
    if (d.customerName && d.customerName !== this.customerName) {
      this.customerName = d.customerName;
      this.tabName.textContent = this.name;
      this.heading.textContent = this.name;
      this.log.setAttribute('aria-label', t('transcript', { name: this.name }));
      this.composerLabel.textContent = t('composerLabel', { name: this.name });
    }
    this.detailsMeta.replaceChildren();
    const meta = [
      [t('customer'), this.name],
      [t('queue'), d.queue],
      [t('started'), d.initiatedAt ? new Date(d.initiatedAt).toLocaleString() : ''],
    ];
    for (const [k, v] of meta) if (v) this.detailsMeta.append(h('dt', { text: k }), h('dd', { text: v }));
    const attrs = Object.entries(d.attributes || {}).sort((a, b) => a[0].localeCompare(b[0]));
    this.detailsList.replaceChildren();
    if (!attrs.length) this.detailsList.append(h('dd', { class: 'muted', text: t('noAttributes') }));
    for (const [k, v] of attrs) this.detailsList.append(h('dt', { text: k }), h('dd', { text: v }));
  }

  // ---- the chat connection ----

  /** Connects with a participant token (from accept), or asks for a fresh one. */
  start(accepted) {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      const a = accepted || (await this.api.action(this.contactId, 'token'));
      this.participantId = a.participantId || this.participantId;
      this.session = new ParticipantSession({
        endpoint: location.origin,
        participantToken: a.participantToken,
        onItem: (item, info) => this.onItem(item, info),
        onStatus: (s) => this.onSessionStatus(s),
      });
      await this.session.connect();
    })();
    this.starting.catch((err) => {
      this.starting = null;
      this.showBanner(t('error', { message: err.message }));
    });
    return this.starting;
  }

  onSessionStatus(s) {
    if (s === 'reconnecting') this.showBanner(t('reconnecting'));
    else if (s === 'connected') this.showBanner('');
    else if (s === 'ended' && this.state === 'CONNECTED') this.showBanner(t('ended'));
  }

  showBanner(text) {
    this.banner.textContent = text;
    this.banner.hidden = !text;
  }

  onItem(item, info) {
    switch (item.Type) {
      case 'MESSAGE':
        this.addMessage(item, info.live);
        break;
      case 'ATTACHMENT':
        this.addMessage({ ...item, Content: t('attachment', { name: item.Attachments?.[0]?.AttachmentName || '' }), ContentType: 'text/plain' }, info.live);
        break;
      case 'EVENT':
        this.addEvent(item);
        break;
      case 'MESSAGEMETADATA':
        this.addReceipt(item.MessageMetadata);
        if (Array.isArray(item.MessageMetadata?.Receipts)) break;
        break;
      default:
    }
    if (item.MessageMetadata && item.Type === 'MESSAGE') this.addReceipt({ MessageId: item.Id, ...item.MessageMetadata });
  }

  isMine(item) {
    return !!this.participantId && item.ParticipantId === this.participantId;
  }

  who(item) {
    if (this.isMine(item)) return t('you');
    const role = item.ParticipantRole;
    if (role === 'SYSTEM' || item.DisplayName === 'SYSTEM_MESSAGE') return t('system');
    if (item.DisplayName) return item.DisplayName;
    if (role === 'CUSTOMER') return this.name;
    if (role === 'CUSTOM_BOT' || role === 'BOT') return t('bot');
    return role || '';
  }

  addMessage(item, live) {
    const mine = this.isMine(item);
    const role = String(item.ParticipantRole || 'system').toLowerCase().replace(/[^a-z_]/g, '');
    const receipt = h('span', { class: 'receipt' });
    const li = h(
      'li',
      { class: `msg role-${role}${mine ? ' mine' : ''}`, dataset: { id: item.Id || '' } },
      h('div', { class: 'msg-head' }, h('span', { class: 'who', text: this.who(item) }), ' ', h('time', { dateTime: item.AbsoluteTime || '', text: time(item.AbsoluteTime) })),
      h('div', { class: 'msg-body' }, renderItemContent(item)),
      mine ? receipt : null,
    );
    this.append(li);
    if (mine && item.Id) {
      this.messages.set(item.Id, receipt);
      const r = this.receipts.get(item.Id);
      if (r) this.setReceipt(item.Id, r);
    }
    if (item.ParticipantRole === 'CUSTOMER') {
      this.hideTyping();
      if (live && item.Id) {
        this.session?.sendReceipt('delivered', item.Id).catch(() => {});
        this.pendingRead.add(item.Id);
        if (this.app.isVisible(this)) this.markRead();
        else {
          this.unread++;
          this.updateBadge();
        }
      }
    }
  }

  addEvent(item) {
    const ct = item.ContentType || '';
    if (ct === CONTENT_TYPES.typing) {
      if (!this.isMine(item) && item.ParticipantRole === 'CUSTOMER') this.showTyping(item.DisplayName || this.name);
      return;
    }
    if (this.isMine(item) && (ct === CONTENT_TYPES.joined || ct === CONTENT_TYPES.left)) return;
    const name = item.DisplayName || this.who(item);
    let text;
    if (ct === CONTENT_TYPES.joined) text = t('joined', { name });
    else if (ct === CONTENT_TYPES.left) text = t('left', { name });
    else if (ct === CONTENT_TYPES.ended) text = t('chatEnded');
    else if (ct.endsWith('.transfer.succeeded')) text = t('transferSucceeded');
    else if (ct.endsWith('.transfer.failed')) text = t('transferFailedEvent');
    else return;
    this.append(h('li', { class: 'event', dataset: { id: item.Id || '' } }, h('span', { text }), ' ', h('time', { text: time(item.AbsoluteTime) })));
  }

  addReceipt(md) {
    if (!md?.MessageId || !Array.isArray(md.Receipts)) return;
    for (const r of md.Receipts) {
      if (r.RecipientParticipantId && r.RecipientParticipantId === this.participantId) continue;
      const kind = r.ReadTimestamp ? 'read' : r.DeliveredTimestamp ? 'delivered' : '';
      if (!kind) continue;
      if (this.receipts.get(md.MessageId) === 'read') continue;
      this.receipts.set(md.MessageId, kind);
      this.setReceipt(md.MessageId, kind);
    }
  }

  setReceipt(id, kind) {
    const el = this.messages.get(id);
    if (!el) return;
    el.textContent = t(kind);
    el.dataset.receipt = kind;
  }

  /** A whisper from the agent whisper flow: a private note, never sent. */
  whisper(text) {
    this.append(h('li', { class: 'whisper', role: 'note' }, h('span', { class: 'who', text: t('whisper') }), h('div', { class: 'msg-body', text })));
  }

  /** A local note (transfer result and the like). */
  notice(text) {
    this.append(h('li', { class: 'event' }, h('span', { text })));
  }

  /**
   * Adds an entry to the transcript and keeps it scrolled to the end unless
   * the agent scrolled up. Nothing here reads the layout: reading the log's
   * geometry on every item forced a synchronous layout of the page per
   * message (with ten busy chats, most of the workspace's time). Whether the
   * log sits at the end is kept from its scroll events, and the scroll to
   * the end happens once a frame, and only for the visible log (shown()
   * scrolls a log when it is opened).
   */
  append(li) {
    this.log.append(li);
    if (!this.atEnd || this.scrollQueued || this.panel.hidden) return;
    this.scrollQueued = true;
    requestAnimationFrame(() => {
      this.scrollQueued = false;
      if (this.atEnd && !this.panel.hidden) this.scrollToEnd();
    });
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
    this.autoScrollTop = this.log.scrollTop;
    this.atEnd = true;
  }

  showTyping(name) {
    this.typing.textContent = t('typing', { name });
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOW_MS);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    this.typing.textContent = '';
  }

  /** Sends read receipts for the customer's messages the agent now sees. */
  markRead() {
    if (!this.session || !this.pendingRead.size) return;
    const ids = [...this.pendingRead];
    this.pendingRead.clear();
    for (const id of ids) this.session.sendReceipt('read', id).catch(() => {});
  }

  /** The tab became the visible one. */
  shown() {
    this.unread = 0;
    this.updateBadge();
    this.markRead();
    this.scrollToEnd();
  }

  updateBadge() {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = String(this.unread);
    this.badge.setAttribute('aria-label', t('unread', { count: this.unread }));
  }

  // ---- composing ----

  onComposerKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.sendComposer();
    }
  }

  async sendComposer() {
    const text = this.composer.value.trim();
    if (!text || !this.session || this.state !== 'CONNECTED') return;
    this.sendButton.disabled = true;
    this.sendError.hidden = true;
    try {
      await this.session.send(text, 'text/markdown');
      this.composer.value = '';
    } catch (err) {
      this.sendError.textContent = t('sendFailed', { message: err.message });
      this.sendError.hidden = false;
    } finally {
      this.sendButton.disabled = false;
      this.composer.focus();
    }
  }

  /** Inserts text at the composer's cursor. */
  insert(text) {
    const c = this.composer;
    const start = c.selectionStart ?? c.value.length;
    const end = c.selectionEnd ?? c.value.length;
    c.value = c.value.slice(0, start) + text + c.value.slice(end);
    c.focus();
    c.selectionStart = c.selectionEnd = start + text.length;
  }

  // ---- quick responses ----

  buildQuick(id) {
    const searchId = `${id}-quick-search`;
    this.quickSearch = h('input', {
      type: 'search',
      id: searchId,
      autocomplete: 'off',
      oninput: () => {
        clearTimeout(this.quickTimer);
        this.quickTimer = setTimeout(() => this.loadQuick(), 150);
      },
      onkeydown: (e) => {
        if (e.key === 'ArrowDown') {
          e.preventDefault();
          this.quickList.querySelector('button')?.focus();
        }
      },
    });
    this.quickList = h('ul', { class: 'quick-list', 'aria-label': t('quickResponses') });
    this.quickEmpty = h('p', { class: 'muted', hidden: true, text: t('quickNone') });
    return h(
      'div',
      {
        class: 'quick',
        hidden: true,
        role: 'group',
        'aria-label': t('quickResponses'),
        onkeydown: (e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            this.toggleQuick(false);
          }
        },
      },
      h('label', { for: searchId, text: t('quickSearch') }),
      this.quickSearch,
      this.quickList,
      this.quickEmpty,
      h('button', { type: 'button', class: 'link', text: t('close'), onclick: () => this.toggleQuick(false) }),
    );
  }

  toggleQuick(open = this.quick.hidden) {
    this.quick.hidden = !open;
    this.quickButton.setAttribute('aria-expanded', String(open));
    if (open) {
      this.quickSearch.value = '';
      this.loadQuick();
      this.quickSearch.focus();
    } else {
      this.quickButton.focus();
    }
  }

  async loadQuick() {
    const q = this.quickSearch.value;
    let list = [];
    try {
      list = (await this.api.quickResponses(q)).quickResponses || [];
    } catch {
      list = [];
    }
    if (q !== this.quickSearch.value) return; // a newer search is under way
    this.quickList.replaceChildren(
      ...list.map((qr) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'quick-item',
              onclick: () => {
                this.toggleQuick(false);
                this.insert(qr.content);
              },
              onkeydown: (e) => {
                const li = e.currentTarget.parentElement;
                if (e.key === 'ArrowDown') li.nextElementSibling?.querySelector('button')?.focus();
                else if (e.key === 'ArrowUp') (li.previousElementSibling?.querySelector('button') || this.quickSearch).focus();
                else return;
                e.preventDefault();
              },
            },
            h('strong', { text: qr.name }),
            qr.shortcut ? h('span', { class: 'muted', text: ` /${qr.shortcut}` }) : null,
            h('span', { class: 'quick-content', text: qr.content }),
          ),
        ),
      ),
    );
    this.quickEmpty.hidden = list.length > 0;
  }

  // ---- transfer, end, after-contact work ----

  async openTransfer() {
    let list = [];
    try {
      list = (await this.api.quickConnects()).quickConnects || [];
    } catch (err) {
      this.notice(t('transferFailed', { message: err.message }));
      return;
    }
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': `${this.panelId}-tr` });
    const close = () => {
      dialog.close();
      dialog.remove();
      this.transferButton.focus();
    };
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const items = list.map((qc) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'quick-item',
            dataset: { quickConnectId: qc.id },
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              try {
                await this.api.action(this.contactId, 'transfer', { quickConnectId: qc.id });
                close();
                this.notice(t('transferred', { name: qc.name }));
              } catch (err) {
                e.target.disabled = false;
                error.textContent = t('transferFailed', { message: err.message });
                error.hidden = false;
              }
            },
          },
          h('strong', { text: qc.name }),
          qc.description ? h('span', { class: 'muted', text: qc.description }) : null,
        ),
      ),
    );
    dialog.append(
      h('h2', { id: `${this.panelId}-tr`, text: t('transferTitle') }),
      items.length ? h('ul', { class: 'quick-list' }, items) : h('p', { text: t('transferNone') }),
      error,
      h('div', { class: 'actions' }, h('button', { type: 'button', text: t('close'), onclick: close })),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close();
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  async end() {
    this.endButton.disabled = true;
    try {
      await this.api.action(this.contactId, 'end');
      this.toACW();
      this.note.focus(); // the agent is here: the wrap-up is next
    } catch (err) {
      this.endButton.disabled = false;
      this.notice(t('error', { message: err.message }));
    }
  }

  toACW() {
    if (this.state === 'ACW') return;
    this.state = 'ACW';
    this.applyState();
    if (this.app.isVisible(this)) this.note.focus();
  }

  applyState() {
    const acw = this.state === 'ACW';
    this.form.hidden = acw;
    this.acw.hidden = !acw;
    this.panel.classList.toggle('in-acw', acw);
    this.tab.classList.toggle('in-acw', acw);
    if (acw) {
      this.hideTyping();
      this.quick.hidden = true;
      this.session?.close();
    }
  }

  async complete() {
    this.completeButton.disabled = true;
    this.acwError.hidden = true;
    try {
      await this.api.action(this.contactId, 'complete-acw', { note: this.note.value });
      this.app.removeChat(this.contactId);
    } catch (err) {
      this.completeButton.disabled = false;
      this.acwError.textContent = t('completeFailed', { message: err.message });
      this.acwError.hidden = false;
    }
  }

  ended() {
    if (this.state === 'CONNECTED') this.showBanner(t('ended'));
  }

  destroy() {
    clearTimeout(this.typingTimer);
    this.session?.close();
    this.tab.remove();
    this.panel.remove();
  }
}

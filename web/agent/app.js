// The agent workspace: login, status, offers, and the agent's chats as
// tabs. It speaks the workspace API (/api/agent) for everything but the
// chat itself, which goes through the public participant API with the
// token an accept returns (shared/participant.js).

import { WorkspaceApi, ApiError } from './api.js';
import { Chat } from './chat.js';
import { h } from './dom.js';
import { t, pickLanguage } from './i18n.js';
import { beep, unlockAudio, notify, notificationsSupported, notificationsAllowed, askNotifications } from './notify.js';

class Workspace {
  constructor(root) {
    this.root = root;
    this.api = new WorkspaceApi();
    this.chats = new Map(); // contactId → Chat
    this.offers = new Map(); // contactId → offer card
    this.accepting = new Set(); // contactIds with an accept under way
    this.whispers = new Map(); // contactId → whispers that came before the chat
    this.active = '';
    this.stopEvents = null;
  }

  async boot() {
    pickLanguage();
    document.title = t('appTitle');
    const skip = document.querySelector('.skip');
    if (skip) skip.textContent = t('skip');
    try {
      const me = await this.api.me();
      await this.showMain(me);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) this.showLogin();
      else this.showLogin(t('error', { message: err.message }));
    } finally {
      this.root.removeAttribute('aria-busy');
    }
  }

  // ---- login ----

  showLogin(message = '') {
    this.stopEvents?.();
    this.stopEvents = null;
    for (const c of this.chats.values()) c.destroy();
    this.chats.clear();
    this.offers.clear();
    const error = h('p', { class: 'error', role: 'alert', hidden: !message, text: message });
    const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
    const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const submit = h('button', { type: 'submit', class: 'primary', text: t('signIn') });
    const form = h(
      'form',
      {
        class: 'login',
        onsubmit: async (e) => {
          e.preventDefault();
          unlockAudio();
          submit.disabled = true;
          submit.textContent = t('signingIn');
          error.hidden = true;
          try {
            await this.api.login(user.value, pass.value);
            await this.showMain(await this.api.me());
          } catch (err) {
            error.textContent = err.status === 401 ? t('loginFailed') : t('loginError', { message: err.message });
            error.hidden = false;
            submit.disabled = false;
            submit.textContent = t('signIn');
            pass.focus();
          }
        },
      },
      h('h1', { text: t('appTitle') }),
      h('h2', { text: t('loginTitle') }),
      h('label', { for: 'login-username', text: t('username') }),
      user,
      h('label', { for: 'login-password', text: t('password') }),
      pass,
      error,
      submit,
    );
    this.root.replaceChildren(h('main', { id: 'main', class: 'login-page' }, form));
    user.focus();
  }

  // ---- the main view ----

  async showMain(me) {
    this.me = me;
    this.statusSelect = h('select', { id: 'status-select', onchange: () => this.changeStatus() });
    this.statusNote = h('span', { class: 'status-note', role: 'status' });
    this.notifyButton = h('button', { type: 'button', class: 'link', hidden: !notificationsSupported() || notificationsAllowed(), text: t('notifyEnable'), onclick: () => this.enableNotifications() });
    this.connBanner = h('p', { class: 'banner', role: 'status', hidden: true });
    this.offerList = h('div', { class: 'offers', 'aria-live': 'assertive' });
    this.tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': t('chats'), onkeydown: (e) => this.onTabKey(e) });
    this.panels = h('div', { class: 'panels' });
    this.empty = h('p', { class: 'muted empty', text: t('noChats') });
    const header = h(
      'header',
      { class: 'topbar' },
      h('h1', { text: t('appTitle') }),
      h(
        'div',
        { class: 'status' },
        h('label', { for: 'status-select', text: t('status') }),
        this.statusSelect,
        this.statusNote,
      ),
      this.notifyButton,
      h('span', { class: 'user', text: me.user?.displayName || me.user?.username || '' }),
      h('button', { type: 'button', class: 'link', text: t('signOut'), onclick: () => this.logout() }),
    );
    this.root.replaceChildren(
      header,
      h(
        'main',
        { id: 'main', tabIndex: -1 },
        this.connBanner,
        h('section', { class: 'offer-area', 'aria-label': t('offers') }, this.offerList),
        h('section', { class: 'chat-area', 'aria-label': t('chats') }, this.tablist, this.empty, this.panels),
      ),
    );
    try {
      const { statuses } = await this.api.statuses();
      this.statuses = statuses || [];
    } catch {
      this.statuses = [];
    }
    this.showStatus(me.state?.status);
    this.reconcile(me.state, true);
    this.stopEvents = this.api.events(
      (f) => this.onEvent(f),
      (s) => {
        if (s === 'closed') this.showLogin();
        this.connBanner.textContent = s === 'reconnecting' ? t('connectionLost') : '';
        this.connBanner.hidden = s !== 'reconnecting';
      },
    );
  }

  showStatus(st) {
    if (!st) return;
    this.status = st;
    const sel = this.statusSelect;
    sel.replaceChildren(...this.statuses.map((s) => h('option', { value: s.id, text: s.name })));
    if (!this.statuses.some((s) => s.id === st.statusId)) {
      sel.prepend(h('option', { value: st.statusId || '', text: st.name, disabled: true }));
    }
    sel.value = st.statusId || '';
    if (!st.statusId) sel.selectedIndex = 0;
    sel.dataset.routable = String(!!st.routable);
    this.statusNote.textContent = st.statusId ? '' : st.name;
  }

  async changeStatus() {
    const id = this.statusSelect.value;
    this.statusSelect.disabled = true;
    try {
      const { status } = await this.api.setStatus(id);
      this.showStatus(status);
    } catch (err) {
      this.statusNote.textContent = t('error', { message: err.message });
      this.showStatus(this.status);
    } finally {
      this.statusSelect.disabled = false;
    }
  }

  async enableNotifications() {
    unlockAudio();
    if (await askNotifications()) {
      this.notifyButton.hidden = true;
    }
  }

  async logout() {
    try {
      await this.api.logout();
    } catch {
      // The session may already be gone.
    }
    this.showLogin();
  }

  // ---- state and events ----

  /** Brings offers and chats in line with a state (from /me or a snapshot). */
  reconcile(state, initial = false) {
    if (!state) return;
    this.showStatus(state.status);
    const seen = new Set();
    for (const c of state.contacts || []) {
      const id = c.assignment.contactId;
      seen.add(id);
      const info = { contactId: id, customerName: c.customerName, attributes: c.attributes, participantId: c.participantId, queueId: c.assignment.queueId };
      switch (c.assignment.state) {
        case 'OFFERED':
          this.addOffer(info, !initial);
          break;
        case 'CONNECTED':
          this.removeOffer(id);
          if (!this.accepting.has(id)) this.openChat({ ...info, state: 'CONNECTED' });
          break;
        case 'ACW':
          this.removeOffer(id);
          this.openChat({ ...info, state: 'ACW' });
          break;
        default:
      }
    }
    for (const id of [...this.offers.keys()]) if (!seen.has(id)) this.removeOffer(id);
    for (const id of [...this.chats.keys()]) if (!seen.has(id)) this.removeChat(id);
  }

  onEvent(f) {
    const id = f.contactId;
    switch (f.type) {
      case 'snapshot':
        this.reconcile(f.state);
        break;
      case 'status':
        this.showStatus(f.status);
        break;
      case 'offer':
        this.addOffer({ contactId: id, queueId: f.assignment?.queueId }, true);
        break;
      case 'offer.cancelled':
      case 'offer.missed':
      case 'offer.rejected':
        this.removeOffer(id);
        break;
      case 'contact.connected':
        this.removeOffer(id);
        if (!this.accepting.has(id)) this.openChat({ contactId: id, state: 'CONNECTED' });
        break;
      case 'contact.acw':
        this.chats.get(id)?.toACW();
        break;
      case 'contact.done':
        this.removeChat(id);
        break;
      case 'contact.ended':
        this.chats.get(id)?.ended();
        break;
      case 'whisper': {
        const chat = this.chats.get(id);
        if (chat) chat.whisper(f.text || '');
        else this.whispers.set(id, [...(this.whispers.get(id) || []), f.text || '']);
        break;
      }
      default:
    }
  }

  // ---- offers ----

  addOffer(info, alert) {
    const id = info.contactId;
    if (this.offers.has(id) || this.chats.has(id)) return;
    const title = h('h2', { text: info.customerName ? t('offerFrom', { name: info.customerName }) : t('offerTitle') });
    const queue = h('p', { class: 'muted' });
    const accept = h('button', { type: 'button', class: 'primary accept', text: t('accept') });
    const reject = h('button', { type: 'button', class: 'reject', text: t('reject') });
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const card = h('article', { class: 'offer', dataset: { contactId: id }, 'aria-label': t('offerTitle') }, title, queue, error, h('div', { class: 'actions' }, accept, reject));
    accept.addEventListener('click', () => this.accept(id, card, accept, reject, error));
    reject.addEventListener('click', async () => {
      accept.disabled = reject.disabled = true;
      try {
        await this.api.action(id, 'reject');
      } catch {
        // Gone already: the events remove the card.
      }
      this.removeOffer(id);
    });
    this.offers.set(id, card);
    this.offerList.append(card);
    const a = document.activeElement;
    if (!a || a === document.body || a.id === 'main') accept.focus();
    // Who and from where: the contact's details (the offer event carries only the assignment).
    this.api
      .contact(id)
      .then((d) => {
        if (d.customerName) title.textContent = t('offerFrom', { name: d.customerName });
        if (d.queue) queue.textContent = t('offerQueue', { queue: d.queue });
        if (alert) notify(t('offerTitle'), d.customerName || '', id);
      })
      .catch(() => {
        if (alert) notify(t('offerTitle'), '', id);
      });
    if (alert) beep();
  }

  removeOffer(id) {
    const card = this.offers.get(id);
    if (!card) return;
    const hadFocus = card.contains(document.activeElement);
    card.remove();
    this.offers.delete(id);
    if (hadFocus) this.focusAfterChange();
  }

  async accept(id, card, accept, reject, error) {
    if (this.accepting.has(id)) return; // a double click
    this.accepting.add(id);
    accept.disabled = reject.disabled = true;
    accept.textContent = t('accepting');
    card.setAttribute('aria-busy', 'true');
    try {
      const a = await this.api.action(id, 'accept');
      this.removeOffer(id);
      const chat = this.openChat({ contactId: id, state: 'CONNECTED', participantId: a.participantId }, a);
      this.select(id, false);
      chat.composer.focus();
    } catch (err) {
      if (err.status === 409 || err.status === 404 || err.status === 400) {
        // Answered already (another tab, a double click) or gone: the server's word decides.
        try {
          const me = await this.api.me();
          this.accepting.delete(id);
          this.reconcile(me.state);
          if (this.chats.has(id)) this.select(id, true);
          else this.removeOffer(id);
          return;
        } catch {
          // Fall through to the error.
        }
      }
      error.textContent = err.status === 409 ? t('offerGone') : t('error', { message: err.message });
      error.hidden = false;
      accept.disabled = reject.disabled = false;
      accept.textContent = t('accept');
    } finally {
      this.accepting.delete(id);
      card.removeAttribute('aria-busy');
    }
  }

  // ---- chats ----

  /** Opens (or returns) the chat of a contact; accepted is accept's answer, if any. */
  openChat(info, accepted) {
    let chat = this.chats.get(info.contactId);
    if (chat) {
      if (info.state === 'ACW') chat.toACW();
      return chat;
    }
    chat = new Chat(this, info);
    this.chats.set(info.contactId, chat);
    this.tablist.append(chat.tab);
    this.panels.append(chat.panel);
    this.empty.hidden = true;
    for (const w of this.whispers.get(info.contactId) || []) chat.whisper(w);
    this.whispers.delete(info.contactId);
    // A chat in after-contact work is not rejoined: the agent left it.
    if (info.state === 'CONNECTED') chat.start(accepted).catch(() => {});
    if (!this.active) this.select(info.contactId, false);
    return chat;
  }

  removeChat(id) {
    const chat = this.chats.get(id);
    if (!chat) return;
    const hadFocus = chat.panel.contains(document.activeElement) || chat.tab === document.activeElement;
    chat.destroy();
    this.chats.delete(id);
    if (this.active === id) {
      this.active = '';
      const next = this.chats.keys().next().value;
      if (next) this.select(next, false);
    }
    this.empty.hidden = this.chats.size > 0;
    if (hadFocus) this.focusAfterChange();
  }

  focusAfterChange() {
    const next = this.offerList.querySelector('button.accept') || this.chats.get(this.active)?.tab || document.getElementById('main');
    next?.focus();
  }

  select(id, focusTab) {
    const chat = this.chats.get(id);
    if (!chat) return;
    this.active = id;
    for (const c of this.chats.values()) {
      const on = c === chat;
      c.tab.setAttribute('aria-selected', String(on));
      c.tab.tabIndex = on ? 0 : -1;
      c.panel.hidden = !on;
    }
    chat.shown();
    if (focusTab) chat.tab.focus();
  }

  isVisible(chat) {
    return this.active === chat.contactId && document.visibilityState === 'visible';
  }

  onTabKey(e) {
    const tabs = [...this.tablist.querySelectorAll('[role=tab]')];
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    let j;
    if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = tabs.length - 1;
    else return;
    e.preventDefault();
    this.select(tabs[j].dataset.contactId, true);
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') workspace.chats.get(workspace.active)?.shown();
});

const workspace = new Workspace(document.getElementById('app'));
workspace.boot();

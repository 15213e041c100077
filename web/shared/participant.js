// ParticipantSession: one participant of a chat speaking Parley's public
// Participant API (the Amazon Connect Participant Service wire protocol) from
// a browser, with no dependencies. The chat widget, the agent workspace and
// the test-chat page all use it.
//
//   import { ParticipantSession } from '/shared/participant.js';
//   const s = new ParticipantSession({
//     endpoint,          // base URL of the Participant API, e.g. 'https://chat.example.com'
//     participantToken,  // from StartChatContact / CreateParticipant / the widget's start
//     onItem(item, info) {}, // every chat item once: MESSAGE, EVENT, ATTACHMENT, MESSAGEMETADATA;
//                            // info.live is false for items read back from the transcript
//     onStatus(status, detail) {}, // 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'closed'
//     connectParticipant: true,    // optional: ConnectParticipant in CreateParticipantConnection
//   });
//   await s.connect();   // CreateParticipantConnection, websocket, transcript catch-up
//   await s.send('hi');  // SendMessage (contentType defaults to text/plain) → {Id, AbsoluteTime}
//   s.sendTyping();      // SendEvent typing, at most one per 5 s (extra calls are dropped)
//   await s.sendReceipt('read' | 'delivered', messageId);
//   await s.transcript(); // the whole transcript, oldest first (all pages)
//   await s.disconnect(); // DisconnectParticipant (the customer's ends the chat), then close()
//   s.close();            // closes the websocket and stops reconnecting; the chat goes on
//
// Items are delivered at most once (deduplicated by Id): on every (re)connect
// the transcript is read, oldest first, and items not seen yet are delivered
// before the live items that arrived meanwhile. A dropped websocket is
// reconnected with backoff (a new CreateParticipantConnection each time); a
// refused CreateParticipantConnection (HTTP 403: the chat ended, or the token
// expired) reports status 'ended'. Typing events are live only and never
// come from the transcript. Errors of API calls are ParticipantApiError with
// `status` (HTTP) and `name` (e.g. AccessDeniedException).

const EVENT_PREFIX = 'application/vnd.amazonaws.connect.event.';
export const CONTENT_TYPES = Object.freeze({
  typing: EVENT_PREFIX + 'typing',
  delivered: EVENT_PREFIX + 'message.delivered',
  read: EVENT_PREFIX + 'message.read',
  joined: EVENT_PREFIX + 'participant.joined',
  left: EVENT_PREFIX + 'participant.left',
  ended: EVENT_PREFIX + 'chat.ended',
  interactive: 'application/vnd.amazonaws.connect.message.interactive',
  interactiveResponse: 'application/vnd.amazonaws.connect.message.interactive.response',
});

const HEARTBEAT_MS = 10_000;
const DEAD_MS = 35_000; // no frame at all for this long: the socket is dead
const TYPING_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;
const MAX_PAGES = 100;

/** An error answer of the Participant API. */
export class ParticipantApiError extends Error {
  constructor(status, name, message) {
    super(message || name || `HTTP ${status}`);
    this.status = status;
    this.name = name || 'ParticipantApiError';
  }
}

/** A random UUID, also outside secure contexts. */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Orders items by AbsoluteTime, keeping the given order for equal times. */
function byTime(items) {
  return items
    .map((it, i) => [it, i])
    .sort((a, b) => (a[0].AbsoluteTime || '').localeCompare(b[0].AbsoluteTime || '') || a[1] - b[1])
    .map((p) => p[0]);
}

export class ParticipantSession {
  constructor({ endpoint, participantToken, onItem, onStatus, connectParticipant = true }) {
    this.endpoint = String(endpoint).replace(/\/+$/, '');
    this.participantToken = participantToken;
    this.onItem = onItem || (() => {});
    this.onStatus = onStatus || (() => {});
    this.connectParticipant = connectParticipant;
    this.connectionToken = null;
    this.status = 'idle';
    this.seen = new Set();
    this.ws = null;
    this.closed = false;
    this.attempt = 0;
    this.lastTyping = 0;
    this.timers = {};
    this.syncing = false;
    this.buffer = [];
    this.onOnline = () => {
      if (this.status === 'reconnecting') this.reconnectSoon(0);
    };
  }

  setStatus(status, detail) {
    if (this.status === status && detail === undefined) return;
    this.status = status;
    try {
      this.onStatus(status, detail);
    } catch (err) {
      console.error(err);
    }
  }

  /** POSTs a Participant API call; resolves the parsed JSON answer. */
  async call(path, body, bearer = this.connectionToken) {
    const res = await fetch(this.endpoint + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-bearer': bearer },
      body: JSON.stringify(body || {}),
    });
    const text = await res.text();
    let data = {};
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = { message: text };
    }
    if (!res.ok) {
      const type = res.headers.get('x-amzn-ErrorType') || data.__type || '';
      throw new ParticipantApiError(res.status, type.split(':')[0].split('#').pop(), data.message || data.Message);
    }
    return data;
  }

  /**
   * Connects: CreateParticipantConnection, the websocket, then the
   * transcript. Resolves once connected; rejects with the API error when
   * the first connection fails (status 'ended' for a refused token).
   */
  async connect() {
    this.closed = false;
    globalThis.addEventListener?.('online', this.onOnline);
    await this.open(true);
  }

  async open(first) {
    this.setStatus(first ? 'connecting' : 'reconnecting');
    let conn;
    try {
      conn = await this.call(
        '/participant/connection',
        { Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'], ConnectParticipant: this.connectParticipant },
        this.participantToken,
      );
    } catch (err) {
      if (this.closed) return;
      if (err.status === 403 || err.status === 401) {
        this.end('refused');
        if (first) throw err;
        return;
      }
      if (first) {
        this.setStatus('closed', err);
        throw err;
      }
      return this.reconnectSoon();
    }
    if (this.closed) return;
    this.connectionToken = conn.ConnectionCredentials?.ConnectionToken;
    const url = conn.Websocket?.Url;
    try {
      await this.openSocket(url);
    } catch (err) {
      if (this.closed) return;
      if (first && this.attempt > 3) throw err;
      return this.reconnectSoon();
    }
    this.attempt = 0;
    this.setStatus('connected');
    await this.catchUp();
  }

  openSocket(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      let opened = false;
      this.ws = ws;
      this.syncing = true;
      this.buffer = [];
      ws.onopen = () => {
        ws.send(JSON.stringify({ topic: 'aws/subscribe', content: { topics: ['aws/chat'] } }));
        opened = true;
        this.lastFrame = Date.now();
        this.timers.heartbeat = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
        resolve();
      };
      ws.onmessage = (e) => this.frame(e.data);
      ws.onclose = () => {
        clearInterval(this.timers.heartbeat);
        if (this.ws !== ws) return;
        this.ws = null;
        if (!opened) reject(new Error('websocket refused'));
        else if (!this.closed && this.status !== 'ended') this.reconnectSoon();
      };
    });
  }

  heartbeat() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastFrame > DEAD_MS) {
      ws.close(); // onclose reconnects
      return;
    }
    ws.send(JSON.stringify({ topic: 'aws/heartbeat' }));
  }

  frame(data) {
    this.lastFrame = Date.now();
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    if (f.topic !== 'aws/chat' || typeof f.content !== 'string') return;
    let item;
    try {
      item = JSON.parse(f.content);
    } catch {
      return;
    }
    if (this.syncing) this.buffer.push(item);
    else this.deliver(item, true);
  }

  /** Reads the transcript and delivers what was not seen, then the buffered live items. */
  async catchUp() {
    try {
      const items = await this.transcript();
      for (const it of items) this.deliver(it, false);
    } catch (err) {
      if (err.status === 403) return this.end('refused');
      // The live items still flow; the next reconnect reads the transcript again.
    } finally {
      this.syncing = false;
      const buf = this.buffer;
      this.buffer = [];
      for (const it of buf) this.deliver(it, true);
    }
  }

  deliver(item, live) {
    if (!item || typeof item !== 'object') return;
    const typing = item.ContentType === CONTENT_TYPES.typing;
    if (item.Id && !typing) {
      if (this.seen.has(item.Id)) {
        // A message seen before may come back with newer receipts.
        if (!live && item.MessageMetadata) {
          this.emit({ Type: 'MESSAGEMETADATA', MessageMetadata: item.MessageMetadata }, { live: false });
        }
        return;
      }
      this.seen.add(item.Id);
    }
    this.emit(item, { live });
    if (item.ContentType === CONTENT_TYPES.ended) this.end('ended');
  }

  emit(item, info) {
    try {
      this.onItem(item, info);
    } catch (err) {
      console.error(err);
    }
  }

  end(why) {
    this.stop();
    this.setStatus('ended', why);
  }

  reconnectSoon(delay) {
    if (this.closed || this.status === 'ended') return;
    this.setStatus('reconnecting');
    clearTimeout(this.timers.reconnect);
    const d = delay ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt++;
    this.timers.reconnect = setTimeout(() => {
      if (!this.closed && !this.ws) this.open(false).catch(() => this.reconnectSoon());
    }, d);
  }

  /** SendMessage; resolves {Id, AbsoluteTime}. */
  send(text, contentType = 'text/plain') {
    return this.call('/participant/message', { ContentType: contentType, Content: text, ClientToken: uuid() });
  }

  /** SendEvent with any content type and optional content string. */
  sendEvent(contentType, content) {
    const body = { ContentType: contentType, ClientToken: uuid() };
    if (content !== undefined) body.Content = content;
    return this.call('/participant/event', body);
  }

  /** Sends a typing event unless one went out in the last 5 s; returns whether it sent. */
  sendTyping() {
    const now = Date.now();
    if (now - this.lastTyping < TYPING_MS || !this.connectionToken || this.status === 'ended') return false;
    this.lastTyping = now;
    this.sendEvent(CONTENT_TYPES.typing).catch(() => {});
    return true;
  }

  /** Sends a 'delivered' or 'read' receipt for a message Id. */
  sendReceipt(kind, messageId) {
    return this.sendEvent(CONTENT_TYPES[kind], JSON.stringify({ messageId }));
  }

  /** The whole transcript (all pages), oldest first. */
  async transcript() {
    const pages = [];
    let token;
    for (let i = 0; i < MAX_PAGES; i++) {
      const body = { ScanDirection: 'BACKWARD', SortOrder: 'ASCENDING', MaxResults: 100 };
      if (token) body.NextToken = token;
      const out = await this.call('/participant/transcript', body);
      pages.push(out.Transcript || []);
      token = out.NextToken;
      if (!token) break;
    }
    return byTime(pages.reverse().flat());
  }

  /** DisconnectParticipant, then close(). */
  async disconnect() {
    try {
      await this.call('/participant/disconnect', { ClientToken: uuid() });
    } finally {
      this.close();
    }
  }

  stop() {
    this.closed = true;
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.heartbeat);
    globalThis.removeEventListener?.('online', this.onOnline);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= 1) ws.close(1000);
  }

  /** Closes the websocket and stops reconnecting; the chat itself goes on. */
  close() {
    const ended = this.status === 'ended';
    this.stop();
    if (!ended) this.setStatus('closed');
  }
}

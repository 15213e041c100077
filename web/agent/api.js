// The workspace API client: JSON calls with the session's CSRF token, and
// the events websocket with reconnection.

/** An error answer of the workspace API: status, code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export class WorkspaceApi {
  constructor(base = '/api/agent') {
    this.base = base;
    this.csrf = '';
  }

  async call(method, path, body) {
    const headers = { accept: 'application/json' };
    if (method !== 'GET') {
      headers['content-type'] = 'application/json';
      if (this.csrf) headers['x-csrf-token'] = this.csrf;
    }
    const res = await fetch(this.base + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: method === 'GET' ? undefined : JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await res.json();
    } catch {
      data = {};
    }
    if (!res.ok) throw new ApiError(res.status, data.error?.code, data.error?.message);
    return data;
  }

  async login(username, password) {
    const out = await this.call('POST', '/login', { username, password });
    this.csrf = out.csrfToken;
    return out;
  }

  async me() {
    const out = await this.call('GET', '/me');
    this.csrf = out.csrfToken;
    return out;
  }

  logout() {
    return this.call('POST', '/logout');
  }
  statuses() {
    return this.call('GET', '/statuses');
  }
  setStatus(statusId) {
    return this.call('PUT', '/status', { statusId });
  }
  contact(id) {
    return this.call('GET', `/contacts/${encodeURIComponent(id)}`);
  }
  action(id, action, body) {
    return this.call('POST', `/contacts/${encodeURIComponent(id)}/${action}`, body);
  }
  quickConnects() {
    return this.call('GET', '/quick-connects');
  }
  quickResponses(q) {
    return this.call('GET', `/quick-responses?q=${encodeURIComponent(q || '')}`);
  }

  /**
   * Opens the events websocket and keeps it open: onEvent gets every
   * frame (a snapshot first, after each reconnect too); onState gets
   * 'open', 'reconnecting' or 'closed'. Returns a function that closes it.
   */
  events(onEvent, onState) {
    let ws = null;
    let stopped = false;
    let attempt = 0;
    let timer = 0;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${this.base}/events`;
    const open = () => {
      if (stopped) return;
      ws = new WebSocket(url);
      ws.onopen = () => {
        attempt = 0;
        onState('open');
      };
      ws.onmessage = (e) => {
        let f;
        try {
          f = JSON.parse(e.data);
        } catch {
          return;
        }
        onEvent(f);
      };
      ws.onclose = (e) => {
        ws = null;
        if (stopped) return;
        if (e.code === 1008 && /session/.test(e.reason || '')) {
          onState('closed');
          return;
        }
        onState('reconnecting');
        const delay = Math.min(15000, 500 * 2 ** attempt++) * (0.75 + Math.random() / 2);
        timer = setTimeout(open, delay);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (ws) ws.close(1000);
    };
  }
}

// A tiny DOM builder. Text is always set as text (textContent or text
// nodes), never parsed as HTML: what customers write cannot become markup.

/**
 * h('button', {class: 'x', type: 'button', onclick: fn, 'aria-label': 'y'}, 'text', child)
 * Keys starting with "on" add listeners; "class", "text" and "dataset" are
 * special; keys with a dash and "role" become attributes; others are set as
 * properties. null/undefined/false values and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.includes('-') || k === 'role' || k === 'for') el.setAttribute(k, v === true ? '' : String(v));
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.append(c);
    else el.append(document.createTextNode(String(c)));
  }
}

let ids = 0;
/** A fresh element id with a prefix. */
export function uid(prefix = 'id') {
  return `${prefix}-${++ids}`;
}

let timeFormat;
/** Formats an ISO time as a short local time. */
export function time(iso) {
  const d = iso ? new Date(iso) : new Date();
  if (Number.isNaN(d.getTime())) return '';
  // One formatter for all messages: toLocaleTimeString builds a new one per call.
  timeFormat ??= new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
  return timeFormat.format(d);
}

// Safe rendering of chat message text into DOM nodes, with no HTML parsing
// anywhere: every node is made with createElement/createTextNode, so text a
// customer or agent typed can never become markup or script.
//
//   import { renderMarkdown, renderItemContent, safeUrl } from '/shared/markdown.js';
//   el.append(renderMarkdown('**hi** [docs](https://example.com)'));
//   el.append(renderItemContent(item)); // markdown for text/markdown, plain text otherwise
//
// The markdown subset: paragraphs (blank line) and line breaks, **bold** /
// __bold__, *italic* / _italic_, `inline code`, ``` fenced code ```, bullet
// (- * +) and numbered (1. or 1)) lists, [text](url) links and bare
// http(s) URLs. Links go to http, https and mailto URLs only, open in a new
// tab with rel="noopener noreferrer nofollow"; anything else, raw HTML
// included, shows as the literal text it is.

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The URL as a string if it is an absolute http, https or mailto URL, else null. */
export function safeUrl(raw) {
  try {
    const u = new URL(String(raw).trim());
    return LINK_PROTOCOLS.has(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

/** A link element for a safe URL, with `text` (or the URL) as its label. */
export function makeLink(url, label, doc = document) {
  const a = doc.createElement('a');
  a.href = url;
  a.target = '_blank';
  a.rel = 'noopener noreferrer nofollow';
  if (typeof label === 'string') a.textContent = label;
  else if (label) a.append(label);
  else a.textContent = url;
  return a;
}

// One inline token at a time: the earliest match wins. Groups: 1-2 code,
// 3-4 link, 5 bold **, 6 bold __, 7 italic *, 8 italic _, 9 bare URL.
const INLINE =
  /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\[([^\[\]\n]+)\]\(\s*<?([^\s()<>]+(?:\([^\s()<>]*\)[^\s()<>]*)*)>?\s*\)|\*\*(?=\S)([\s\S]*?\S)\*\*|(?<![\p{L}\p{N}_])__(?=\S)([\s\S]*?\S)__(?![\p{L}\p{N}_])|\*(?=[^\s*])([^*]*?[^\s*]|[^\s*])\*|(?<![\p{L}\p{N}_])_(?=[^\s_])([^_]*?[^\s_]|[^\s_])_(?![\p{L}\p{N}_])|((?:https?:\/\/|mailto:)[^\s<>"'`]+)/u;
const TRAILING = /[.,;:!?'")\]}*_]+$/;
const MAX_DEPTH = 6;

/** Appends `text` with inline markdown to `parent`. */
function inline(text, parent, doc, depth = 0, links = true) {
  while (text) {
    const m = depth < MAX_DEPTH ? INLINE.exec(text) : null;
    if (!m) {
      lines(text, parent, doc);
      return;
    }
    if (m.index > 0) lines(text.slice(0, m.index), parent, doc);
    let rest = text.slice(m.index + m[0].length);
    if (m[2] !== undefined) {
      const code = doc.createElement('code');
      code.textContent = m[2];
      parent.append(code);
    } else if (m[3] !== undefined) {
      const url = links ? safeUrl(m[4]) : null;
      if (url) {
        const a = makeLink(url, doc.createDocumentFragment(), doc);
        a.textContent = '';
        inline(m[3], a, doc, depth + 1, false);
        parent.append(a);
      } else {
        // Not a link we make: the label as markdown, the target as literal text.
        parent.append(doc.createTextNode('['));
        inline(m[3], parent, doc, depth + 1, links);
        parent.append(doc.createTextNode(`](${m[4]})`));
      }
    } else if (m[5] !== undefined || m[6] !== undefined) {
      const b = doc.createElement('strong');
      inline(m[5] ?? m[6], b, doc, depth + 1, links);
      parent.append(b);
    } else if (m[7] !== undefined || m[8] !== undefined) {
      const i = doc.createElement('em');
      inline(m[7] ?? m[8], i, doc, depth + 1, links);
      parent.append(i);
    } else {
      let raw = m[9];
      const trail = raw.match(TRAILING);
      if (trail) {
        raw = raw.slice(0, -trail[0].length);
        rest = trail[0] + rest;
      }
      const url = links && raw.length > 8 ? safeUrl(raw) : null;
      parent.append(url ? makeLink(url, raw, doc) : doc.createTextNode(raw));
    }
    text = rest;
  }
}

/** Appends text with its newlines as <br>. */
function lines(text, parent, doc) {
  text.split('\n').forEach((line, i) => {
    if (i) parent.append(doc.createElement('br'));
    if (line) parent.append(doc.createTextNode(line));
  });
}

const FENCE = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBER = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;

/**
 * Renders the markdown subset as a DocumentFragment of <p>, <ul>, <ol>,
 * <pre><code>, <strong>, <em>, <code>, <a> and <br> elements.
 */
export function renderMarkdown(text, doc = document) {
  const frag = doc.createDocumentFragment();
  const src = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
  let para = null; // lines of the open paragraph
  let list = null; // {el, ordered}
  const flushPara = () => {
    if (para) {
      const p = doc.createElement('p');
      inline(para.join('\n'), p, doc);
      frag.append(p);
      para = null;
    }
  };
  const flushList = () => {
    list = null;
  };
  for (let i = 0; i < src.length; i++) {
    const line = src[i];
    const fence = line.match(FENCE);
    if (fence) {
      flushPara();
      flushList();
      const body = [];
      i++;
      while (i < src.length && !(src[i].trim().startsWith(fence[1]) && src[i].trim().replace(/[`~]/g, '') === '')) {
        body.push(src[i]);
        i++;
      }
      const pre = doc.createElement('pre');
      const code = doc.createElement('code');
      code.textContent = body.join('\n');
      pre.append(code);
      frag.append(pre);
      continue;
    }
    const bullet = line.match(BULLET);
    const number = bullet ? null : line.match(NUMBER);
    if (bullet || number) {
      flushPara();
      const ordered = !!number;
      if (!list || list.ordered !== ordered) {
        list = { el: doc.createElement(ordered ? 'ol' : 'ul'), ordered };
        if (ordered && number[1] !== '1') list.el.start = Number(number[1]);
        frag.append(list.el);
      }
      const li = doc.createElement('li');
      inline(ordered ? number[2] : bullet[1], li, doc);
      list.el.append(li);
      continue;
    }
    if (!line.trim()) {
      flushPara();
      flushList();
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // A continuation line of the last list item.
      const li = list.el.lastChild;
      li.append(doc.createElement('br'));
      inline(line.trim(), li, doc);
      continue;
    }
    flushList();
    (para ||= []).push(line);
  }
  flushPara();
  return frag;
}

/** Plain text with its line breaks kept and bare http(s) URLs as links. */
export function renderPlainText(text, doc = document) {
  const frag = doc.createDocumentFragment();
  const src = String(text ?? '');
  const URL_RE = /(?:https?:\/\/)[^\s<>"'`]+/g;
  let last = 0;
  for (const m of src.matchAll(URL_RE)) {
    let raw = m[0];
    const trail = raw.match(TRAILING);
    if (trail) raw = raw.slice(0, -trail[0].length);
    const url = safeUrl(raw);
    if (!url || raw.length <= 8) continue;
    lines(src.slice(last, m.index), frag, doc);
    frag.append(makeLink(url, raw, doc));
    last = m.index + raw.length;
  }
  lines(src.slice(last), frag, doc);
  return frag;
}

/** Renders a chat item's Content: markdown for text/markdown, plain text otherwise. */
export function renderItemContent(item, doc = document) {
  const text = item?.Content ?? '';
  return item?.ContentType === 'text/markdown' ? renderMarkdown(text, doc) : renderPlainText(text, doc);
}

// The chat widget's strings, one table per locale. To add a language, add a
// table with the same keys (a missing key falls back to English); {name}
// marks a value filled in at run time. The widget picks the widget's
// configured locale, then the page's language, then English.

export const tables = {
  en: {
    open: 'Open chat',
    close: 'Close chat',
    minimize: 'Minimize chat',
    defaultTitle: 'Chat with us',
    loading: 'Loading…',
    unavailable: 'Chat isn’t available on this website right now.',
    startFailed: 'We couldn’t start the chat. Please try again.',
    rateLimited: 'Too many chats were started just now. Please wait a minute and try again.',
    notAllowed: 'Chat isn’t available on this website.',
    signInRequired: 'Please sign in to chat with us.',
    startChat: 'Start chat',
    starting: 'Starting…',
    required: 'required',
    fieldRequired: '{label} is required.',
    fieldEmail: '{label} must be an email address.',
    choose: 'Choose…',
    conversation: 'Conversation',
    messageLabel: 'Type your message',
    placeholder: 'Type a message…',
    send: 'Send',
    tooLong: 'Your message is {count} characters long; the limit is {max}.',
    counter: '{count} of {max} characters',
    you: 'You',
    customer: 'Customer',
    system: 'Notice',
    agent: 'Agent',
    typing: '{name} is typing…',
    joined: '{name} joined the chat',
    left: '{name} left the chat',
    ended: 'The chat has ended.',
    endedPrevious: 'Your previous chat has ended.',
    newChat: 'Start a new chat',
    endChat: 'End chat',
    download: 'Download transcript',
    resume: 'Continue on another device',
    resumeCopied: 'Link copied. Open it on another device to continue this chat; keep it private.',
    resumeManual: 'Copy this link to continue on another device; keep it private:',
    resumeLink: 'Link to continue this chat',
    sending: 'Sending…',
    sent: 'Sent',
    delivered: 'Delivered',
    read: 'Read',
    failed: 'Not sent.',
    retry: 'Retry',
    reconnecting: 'Reconnecting…',
    chosen: 'Selected: {title}',
    transcriptTitle: 'Chat transcript',
    attachment: '[attachment: {name}]',
  },
};

/** The string table for a locale such as "fr-CA": exact, then language, then English. */
export function stringsFor(locale) {
  const want = String(locale || '').replace('_', '-');
  const table = tables[want] || tables[want.split('-')[0].toLowerCase()] || {};
  return { ...tables.en, ...table };
}

/** Fills {name} placeholders of a string. */
export function format(s, values = {}) {
  return String(s).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

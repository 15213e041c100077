// The workspace's strings, by language. Add a language by adding a table
// with the same keys; a missing key falls back to English. {name}
// placeholders are filled from the vars of t().

const STRINGS = {
  en: {
    appTitle: 'Parley agent workspace',
    skip: 'Skip to content',
    loginTitle: 'Sign in',
    username: 'Username',
    password: 'Password',
    signIn: 'Sign in',
    signingIn: 'Signing in…',
    loginFailed: 'Invalid username or password.',
    loginError: 'Could not sign in: {message}',
    signOut: 'Sign out',
    status: 'Status',
    statusSet: 'Status: {name}',
    notifyEnable: 'Enable notifications',
    notifyOn: 'Notifications on',
    connectionLost: 'Connection lost. Reconnecting…',
    offers: 'Incoming contacts',
    offerTitle: 'Incoming chat',
    offerFrom: 'Chat from {name}',
    offerQueue: 'Queue: {queue}',
    accept: 'Accept',
    reject: 'Reject',
    accepting: 'Accepting…',
    offerGone: 'The offer is no longer available.',
    chats: 'Chats',
    noChats: 'No chats. Set your status to Available to receive contacts.',
    unread: '{count} unread',
    customer: 'Customer',
    unknownCustomer: 'Customer',
    details: 'Contact details',
    attributes: 'Attributes',
    noAttributes: 'No attributes.',
    queue: 'Queue',
    started: 'Started',
    transcript: 'Transcript of the chat with {name}',
    composerLabel: 'Message to {name}',
    composerHint: 'Enter sends, Shift+Enter adds a line.',
    send: 'Send',
    typing: '{name} is typing…',
    delivered: 'Delivered',
    read: 'Read',
    sendFailed: 'Not sent: {message}',
    quickResponses: 'Quick responses',
    quickSearch: 'Search quick responses',
    quickNone: 'No quick responses match.',
    close: 'Close',
    transfer: 'Transfer',
    transferTitle: 'Transfer the chat',
    transferNone: 'No transfer destinations.',
    transferFailed: 'Transfer failed: {message}',
    transferred: 'Transferred to {name}.',
    endChat: 'End chat',
    ended: 'The chat ended.',
    acwTitle: 'After-contact work',
    wrapUpNote: 'Wrap-up note',
    complete: 'Complete',
    completeFailed: 'Could not complete: {message}',
    whisper: 'Whisper (only you see this)',
    joined: '{name} joined',
    left: '{name} left',
    chatEnded: 'Chat ended',
    transferSucceeded: 'Transfer succeeded',
    transferFailedEvent: 'Transfer failed',
    reconnecting: 'Reconnecting to the chat…',
    system: 'System',
    bot: 'Bot',
    you: 'You',
    attachment: 'Attachment: {name}',
    error: 'Error: {message}',
  },
};

let lang = 'en';

/** Chooses the language from the browser's preferences. */
export function pickLanguage(prefs = globalThis.navigator?.languages || []) {
  for (const p of prefs) {
    const base = String(p).toLowerCase().split('-')[0];
    if (STRINGS[base]) {
      lang = base;
      break;
    }
  }
  document.documentElement.lang = lang;
  return lang;
}

/** The string for key in the current language, with {placeholders} filled. */
export function t(key, vars = {}) {
  const s = STRINGS[lang]?.[key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

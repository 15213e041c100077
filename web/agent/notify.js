// Offer alerts: a short Web Audio beep and, when the agent allowed it, a
// browser notification.

let audio = null;

/** Prepares audio; call it from a user gesture (a click) so it may play later. */
export function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

/** Two short tones. */
export function beep() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [at, freq] of [
      [0, 880],
      [0.22, 660],
    ]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.2, now + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + at);
      osc.stop(now + at + 0.2);
    }
  } catch {
    // No audio: the visual and the notification remain.
  }
}

export function notificationsSupported() {
  return 'Notification' in globalThis;
}

export function notificationsAllowed() {
  return notificationsSupported() && Notification.permission === 'granted';
}

export async function askNotifications() {
  if (!notificationsSupported()) return false;
  return (await Notification.requestPermission()) === 'granted';
}

/** Shows a notification if allowed; clicking it focuses the workspace. */
export function notify(title, body, tag) {
  if (!notificationsAllowed() || document.hasFocus()) return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      n.close();
    };
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}

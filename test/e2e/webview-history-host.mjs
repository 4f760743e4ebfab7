// The in-page side of the history checks: entries built in the page (not sent over the wire from the test), a
// fake host answering the panel's history requests from a store of them, as the extension answers from its local
// history, and the first-paint measurement the suite prints and webview-paint.mjs reports.

/** Builds `count` text entries in the page (not over the wire from here): ids h000…, one a minute from t0. */
export function makeEntriesInPage({ count, t0, needle, needleIndex, prefix = 'h' }) {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'text',
    id: `${prefix}${String(i).padStart(15, '0')}`,
    from: i % 3 === 0 ? 'maria' : 'jonas',
    own: false,
    text: i === needleIndex ? `Found it: the ${needle} notes are in <b>the archive</b>` : `message ${i} about the weekly build`,
    sentAt: t0 + i * 60_000,
    legacy: false,
    encrypted: true,
  }));
}

/**
 * Installs the fake host: `loadOlder`, `search` (a scan of the store, newest first), `jump` (100 entries either
 * side) and `latest` (a snapshot of the newest 200), each answered a task later, as a real host would.
 */
export function installFakeHost({ base, count, t0, needle, needleIndex, makeEntries }) {
  const store = new Function(`return (${makeEntries})`)()({ count, t0, needle, needleIndex });
  const reply = (message) => setTimeout(() => window.postMessage(message, '*'), 0);
  const index = (id) => store.findIndex((entry) => entry.id === id);
  window.__fakeHost = { store };
  window.__onPost = (m) => {
    switch (m.type) {
      case 'loadOlder': {
        const end = index(m.beforeId);
        const entries = store.slice(Math.max(0, end - m.limit), end);
        reply({ type: 'older', requestId: m.requestId, entries, hasOlder: end - entries.length > 0 });
        break;
      }
      case 'search': {
        const word = m.query.toLowerCase();
        const hits = [];
        for (let i = store.length - 1; i >= 0 && hits.length < 50; i--) {
          const at = store[i].text.toLowerCase().indexOf(word);
          if (at >= 0) hits.push({ id: store[i].id, from: store[i].from, sentAt: store[i].sentAt, excerpt: store[i].text, matches: [[at, at + word.length]] });
        }
        reply({ type: 'searchResults', requestId: m.requestId, query: m.query, hits });
        break;
      }
      case 'jump': {
        const at = index(m.id);
        const entries = store.slice(Math.max(0, at - 100), at + 101);
        reply({ type: 'jumpTo', requestId: m.requestId, entries, targetId: m.id, highlight: m.query, hasOlder: at > 100, hasNewer: at + 101 < store.length });
        break;
      }
      case 'latest':
        reply({ type: 'state', state: { ...base, entries: store.slice(-200), hasOlder: true } });
        break;
      default:
        break;
    }
  };
}

/**
 * First paint of a `count`-entry snapshot, timed inside the page: from posting the state (structured clone,
 * guard, timeline, rendering) to the frame after the newest entry is in the DOM. Returns ms.
 */
export async function measureFirstPaint(page, base, count, t0) {
  return page.evaluate(
    ({ base, count, t0, makeEntries }) =>
      new Promise((resolve) => {
        const entries = new Function(`return (${makeEntries})`)()({ count, t0 });
        const last = entries[entries.length - 1].id;
        const log = document.getElementById('log');
        const started = performance.now();
        const observer = new MutationObserver(() => {
          if (log.querySelector(`[data-entry-id="${last}"]`) === null) return;
          observer.disconnect();
          requestAnimationFrame(() => setTimeout(() => resolve(Math.round(performance.now() - started)), 0));
        });
        observer.observe(log, { childList: true, subtree: true });
        window.postMessage({ type: 'state', state: { ...base, entries, hasOlder: false } }, '*');
      }),
    { base, count, t0, makeEntries: makeEntriesInPage.toString() },
  );
}

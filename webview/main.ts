/**
 * Entry of the chat panel's webview (bundled to dist/webview.js; styles.css to dist/webview.css).
 *
 * Handshake: restore draft/scroll from `getState()`, render an empty frame, post `{type:'ready'}`; the host answers
 * with a full `state` snapshot and incremental messages after it. Every message is checked with `isHostMessage`.
 *
 * Stable selectors (for tests; keep them when restyling):
 *   #app                     root; data-connection="connected|connecting|reconnecting|disconnected|closed"
 *   #room, #relay, #stats    room name, "via HOST:PORT", "round trip … · loss … · … retransmissions"
 *   #connection              connection state text ("Connected", "Reconnecting…"); data-state="<ConnectionState>"
 *   #connection-detail       the host's detail text
 *   #security                .security--encrypted ("end-to-end encrypted") | .security--plain ("unencrypted")
 *   #members-toggle, #leave  header buttons (<vscode-button>); #members-toggle has aria-expanded
 *   #members-panel           the member list panel (hidden attribute when closed)
 *   #members                 <ul>; each member an <li data-member-name="NAME">, own one also .member--self
 *   #log                     role="log" conversation; each entry an element with data-entry-id and class
 *                            `entry entry--text|entry--image|entry--system` (+ entry--own, entry--continued,
 *                            entry--info|warning|error for system lines)
 *   .entry__text             message body (text entries and system lines)
 *   .entry__from, .entry__time (<time datetime title>)
 *   img.entry__image         inline image, inside button.entry__image-button (click/Enter → openImage)
 *   .entry__delivery         own messages: .entry__delivery--queued|sending|delivered|failed
 *   .entry__retry            the Retry button of a failed own message
 *   .entry__discard          its Discard button (a discarded message says "not sent", with no buttons)
 *   #jump-latest             "N new messages" button, shown when scrolled up
 *   #back-to-latest          "Back to latest" button, shown while a jump window (a search hit) is shown
 *   #log-start               first child of #log, above the oldest entry held: data-state="loading" ("Loading
 *                            earlier messages…"), "more" (the #load-older button), "start" ("Start of the
 *                            conversation"); hidden while the oldest entry is not rendered
 *   #history-status          role="status": what loading older messages did, for screen readers
 *   .entry--target           the entry a jump went to; mark.match around the highlighted words
 *   #search-toggle           header button opening the search box (also Ctrl+F / Cmd+F); aria-expanded
 *   #search                  the search box (hidden when closed): #search-input (combobox), #search-status
 *                            (role="status": "N results"), #search-close, #search-results (listbox) with
 *                            li#search-hit-N[role=option][aria-selected] holding .search__excerpt (mark.match)
 *   #transfers               <ul>; each transfer an <li data-transfer-id>, with a <progress>
 *   #join-prompt, #join      shown when not in a room
 *   #composer                the <vscode-text-area> (its <textarea> is in the open shadow root:
 *                            `#composer textarea` in Playwright)
 *   #composer-counter        UTF-8 size near/over the limit (.composer__counter--over)
 *   #send, #pick-image       composer buttons (<vscode-button>); #code-block wraps the selection in a fence
 *   #composer-hint           what Enter does where the caret is; data-fence="true" inside an open code block
 *   #attachments             pasted/dropped images waiting for Send (hidden when none): #attachment-notice (files
 *                            refused before reading) and li.attachment[data-attachment-id][data-state=compressing|
 *                            ready|failed] with img.attachment__image, .attachment__send, .attachment__cancel
 */
import './styles.css';
import './history.css';
import './conversation-tools.css';
import './markdown.css';
import './attachments.css';
import { isHostMessage } from '../src/shared/panel-messages';
import { App } from './app';
import { registerToolkit } from './toolkit';
import { Host } from './vscode-api';

registerToolkit();

const host = new Host();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('main'));
const app = new App(root, host);

window.addEventListener('message', function windowOnMessage(event: MessageEvent<unknown>) {
  const message = event.data;
  if (!isHostMessage(message)) {
    console.warn('UDP Chat: ignored an invalid message from the extension', message);
    return;
  }
  app.handle(message);
});

host.post({ type: 'ready' });

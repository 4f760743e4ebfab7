// The chat panel's history in the browser: out-of-order entries, loading older pages while scrolling up, a
// 10,000-entry conversation, search and jump. A fake host inside the page (window.__onPost, called by the VS Code
// API stub of webview-page.mjs) answers from an in-page store, as the extension answers from its history.
import { installFakeHost, makeEntriesInPage, measureFirstPaint } from './webview-history-host.mjs';

const ids = (page) => page.evaluate(() => [...document.querySelectorAll('#log [data-entry-id]')].map((e) => e.dataset.entryId));
const hid = (i, prefix = 'h') => `${prefix}${String(i).padStart(15, '0')}`;

/** `t`: the harness's helpers (check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame). */
export async function historyChecks(t, { browser, server, state, T0, XSS_TEXT, artifacts }) {
  const { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame } = t;
  const base = { ...state, entries: [], hasOlder: false };
  const text = (id, minute, body = `at ${minute}`) => ({ kind: 'text', id, from: 'jonas', own: false, text: body, sentAt: T0 + minute * 60_000, legacy: false, encrypted: true });
  /** The latest message of a type the panel posted (typing may have sent a search per pause). */
  const lastPosted = async (page, type) => (await posted(page)).filter((m) => m.type === type).at(-1);
  /** Waits for the search of the whole typed query (typing may have sent one per pause before it). */
  const searchFor = async (page, query) => {
    await page.waitForFunction((q) => window.__posted.some((m) => m.type === 'search' && m.query === q), query);
    return (await posted(page)).filter((m) => m.type === 'search' && m.query === query).at(-1);
  };
  const withPage = async (options, fn) => {
    const opened = await openPage(browser, server, { theme: 'dark', ...options });
    try {
      await fn(opened.page, opened.log);
    } finally {
      await opened.context.close();
    }
  };

  await check('entries arriving out of order are placed by time; a repeated id replaces, never doubles', () =>
    withPage({}, async (page) => {
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('c50', 50), text('c10', 10), text('c30', 30)] } });
      await page.waitForSelector('[data-entry-id="c50"]');
      for (const entry of [text('c40', 40), text('c20', 20), text('c30', 30, 'edited'), text('c40', 40), text('c05', 5)]) {
        await hostPost(page, { type: 'entry', entry });
      }
      await page.waitForFunction(() => document.querySelector('[data-entry-id="c30"] .entry__text')?.textContent === 'edited');
      await page.waitForSelector('[data-entry-id="c05"]');
      assertEqual(await ids(page), ['c05', 'c10', 'c20', 'c30', 'c40', 'c50'], 'order by time, each id once');
      // An older page that repeats a shown entry and comes newest first.
      await page.evaluate(() => (document.getElementById('log').scrollTop = 0));
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('c50', 50), text('c10', 10), text('c30', 30, 'edited')], hasOlder: false } });
      await page.waitForFunction(() => document.querySelectorAll('#log [data-entry-id]').length === 3);
      assertEqual(await ids(page), ['c10', 'c30', 'c50'], 'a later snapshot is what is shown');
    }),
  );

  await check('scrolling to the top loads older entries once at a time and prepends them without moving the view', () =>
    withPage({ width: 700, height: 500 }, async (page) => {
      const newest = Array.from({ length: 80 }, (_, i) => text(hid(1000 + i), 1000 + i, `newer ${i}`));
      await hostPost(page, { type: 'state', state: { ...base, entries: newest, hasOlder: true } });
      await page.waitForSelector(`[data-entry-id="${hid(1079)}"]`);
      await nextFrame(page);
      await clearPosted(page);
      for (let i = 0; i < 3; i++) {
        await page.evaluate(() => (document.getElementById('log').scrollTop = 0));
        await nextFrame(page);
      }
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'loadOlder'));
      const requests = (await posted(page)).filter((m) => m.type === 'loadOlder');
      assertEqual(requests.map((m) => [m.beforeId, m.limit]), [[hid(1000), 100]], 'one request, before the oldest shown');
      const loading = await page.evaluate(() => ({
        state: document.getElementById('log-start').dataset.state,
        text: document.getElementById('log-start').innerText,
        status: document.getElementById('history-status').textContent,
      }));
      assertEqual(loading, { state: 'loading', text: 'Loading earlier messages…', status: 'Loading earlier messages…' }, 'loading row and status');
      const before = await page.evaluate((id) => document.querySelector(`[data-entry-id="${id}"]`).getBoundingClientRect().top, hid(1000));
      // The answer comes newest first: it is placed by time all the same.
      const older = Array.from({ length: 100 }, (_, i) => text(hid(900 + i), 900 + i, `older ${i}`)).reverse();
      await hostPost(page, { type: 'older', requestId: requests[0].requestId, entries: older, hasOlder: true });
      await page.waitForSelector(`[data-entry-id="${hid(999)}"]`);
      await nextFrame(page);
      const after = await page.evaluate((id) => ({
        top: document.querySelector(`[data-entry-id="${id}"]`).getBoundingClientRect().top,
        scrollTop: document.getElementById('log').scrollTop,
      }), hid(1000));
      assert(Math.abs(after.top - before) <= 1, `the entry the reader saw moved from ${before} to ${after.top} px`);
      assert(after.scrollTop > 0, 'older rows went above the view');
      const shown = await ids(page);
      assertEqual(shown.slice(shown.indexOf(hid(990)), shown.indexOf(hid(1001)) + 1), Array.from({ length: 12 }, (_, i) => hid(990 + i)), 'in time order');
      // Up again, to the start: the last page says there is nothing older.
      await clearPosted(page);
      for (let i = 0; i < 20 && !(await posted(page)).some((m) => m.type === 'loadOlder'); i++) {
        await page.evaluate(() => (document.getElementById('log').scrollTop = 0));
        await nextFrame(page);
      }
      const second = (await posted(page)).filter((m) => m.type === 'loadOlder');
      assertEqual(second.map((m) => m.beforeId), [hid(900)], 'the next request starts before the oldest held');
      await hostPost(page, { type: 'older', requestId: second[0].requestId, entries: [text(hid(899), 899)], hasOlder: false });
      await page.waitForSelector('#log-start[data-state="start"]');
      const start = await page.evaluate(() => ({ text: document.getElementById('log-start').innerText, first: document.querySelector('#log [data-entry-id]').dataset.entryId }));
      assertEqual(start, { text: 'Start of the conversation', first: hid(899) }, 'start of the conversation');
      // The scroll handler asks synchronously, so the count right after it is the answer.
      const requestsAfter = await page.evaluate(() => {
        document.getElementById('log').scrollTop = 0;
        document.getElementById('log').dispatchEvent(new Event('scroll'));
        return window.__posted.filter((m) => m.type === 'loadOlder').length;
      });
      assertEqual(requestsAfter, 1, 'no request past the start');
    }),
  );

  await check('an older page that brings nothing new stops the asking until the reader asks again', () =>
    withPage({ width: 700, height: 500 }, async (page) => {
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('s1', 1), text('s2', 2)], hasOlder: true } });
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'loadOlder'));
      const first = await lastPosted(page, 'loadOlder');
      assertEqual(first.beforeId, 's1', 'a short conversation asks for more at once');
      await hostPost(page, { type: 'older', requestId: first.requestId, entries: [text('s2', 2)], hasOlder: true });
      await page.waitForSelector('#log-start[data-state="more"] #load-older');
      // The scroll handler asks synchronously, so the count right after it is the answer.
      const count = () =>
        page.evaluate(() => {
          document.getElementById('log').dispatchEvent(new Event('scroll'));
          return window.__posted.filter((m) => m.type === 'loadOlder').length;
        });
      assertEqual(await count(), 1, 'no automatic retry after an empty page');
      await page.click('#load-older');
      assertEqual(await count(), 2, 'the button asks again');
      const second = await lastPosted(page, 'loadOlder');
      await hostPost(page, { type: 'older', requestId: second.requestId + 7, entries: [text('s0', 0)], hasOlder: false }); // not this request
      await hostPost(page, { type: 'older', requestId: second.requestId, entries: [text('s00', 0.5)], hasOlder: false });
      await page.waitForSelector('#log-start[data-state="start"]');
      assertEqual(await ids(page), ['s00', 's1', 's2'], 'only the answer to the request in flight');
    }),
  );

  await check('while a jump window is shown, newer live entries wait behind "Back to latest"; an own one goes there', () =>
    withPage({}, async (page) => {
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('w9', 90)], hasOlder: true } });
      await page.waitForSelector('[data-entry-id="w9"]');
      await page.keyboard.press('Control+f');
      await page.keyboard.type('w');
      const search = await searchFor(page, 'w');
      await hostPost(page, { type: 'searchResults', requestId: search.requestId, query: 'w', hits: [{ id: 'w2', from: 'jonas', sentAt: T0, excerpt: 'w', matches: [[0, 1]] }] });
      await page.waitForSelector('#search-results [aria-selected="true"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'jump'));
      const jump = await lastPosted(page, 'jump');
      await hostPost(page, { type: 'jumpTo', requestId: jump.requestId, entries: [text('w1', 10), text('w2', 20), text('w4', 40)], targetId: 'w2', highlight: 'w', hasOlder: true, hasNewer: true });
      await page.waitForSelector('[data-entry-id="w2"].entry--target');
      await clearPosted(page);
      await hostPost(page, { type: 'entry', entry: text('w8', 80) }); // newer than the window
      await hostPost(page, { type: 'entry', entry: text('w3', 30) }); // inside it: shown, and after the one above
      await page.waitForSelector('[data-entry-id="w3"]');
      const view = await page.evaluate(() => ({ back: document.getElementById('back-to-latest').textContent, jump: document.getElementById('jump-latest').hidden }));
      assertEqual([await ids(page), view], [['w1', 'w2', 'w3', 'w4'], { back: 'Back to latest (1 new)', jump: true }], 'the window and the way back');
      assertEqual((await posted(page)).filter((m) => m.type === 'latest'), [], 'not back yet');
      await hostPost(page, { type: 'entry', entry: { ...text('w10', 100), from: 'maria', own: true } });
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'latest'));
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('w8', 80), text('w9', 90), { ...text('w10', 100), from: 'maria', own: true }], hasOlder: true } });
      await page.waitForSelector('[data-entry-id="w10"]');
      assertEqual([await ids(page), await page.evaluate(() => document.getElementById('back-to-latest').hidden)], [['w8', 'w9', 'w10'], true], 'the latest');
    }),
  );

  await check('a 10,000-entry snapshot: first paint timed, only rows near the view in the DOM, scrolling renders older ones', () =>
    withPage({}, async (page) => {
      const ms = await measureFirstPaint(page, base, 10_000, T0);
      console.log(`       (first paint of 10,000 entries: ${ms} ms; benchmark target ≤ 300 ms)`);
      const first = await page.evaluate(() => {
        const log = document.getElementById('log');
        return { rows: log.querySelectorAll('[data-entry-id]').length, fromBottom: log.scrollHeight - log.scrollTop - log.clientHeight };
      });
      assert(first.rows > 0 && first.rows <= 200, `rows in the DOM: ${first.rows}`);
      assert(first.fromBottom < 2, `at the newest entry: ${first.fromBottom} px from the bottom`);
      let oldest = (await ids(page))[0];
      for (let i = 0; i < 12; i++) {
        await page.evaluate(() => (document.getElementById('log').scrollTop = 0));
        await nextFrame(page);
      }
      const later = await ids(page);
      assert(later[0] < oldest, `scrolling up rendered older entries: ${later[0]} vs ${oldest}`);
      assert(later.length <= 200, `rows stay bounded: ${later.length}`);
      assert(!later.includes(hid(9999)), 'far-away newest rows left the DOM');
      oldest = later[0];
      await page.evaluate(() => {
        const log = document.getElementById('log');
        log.scrollTop = log.scrollHeight;
      });
      for (let i = 0; i < 12 && !(await ids(page)).includes(hid(9999)); i++) {
        await page.evaluate(() => {
          const log = document.getElementById('log');
          log.scrollTop = log.scrollHeight;
        });
        await nextFrame(page);
      }
      assert((await ids(page)).includes(hid(9999)), 'scrolling down brings the newest back');
    }),
  );

  await check('search finds a word in a 10,000-message history and jumps to it with the match highlighted', () =>
    withPage({ width: 800, height: 600 }, async (page) => {
      const needleIndex = 1234;
      await page.evaluate(installFakeHost, { base, count: 10_000, t0: T0, needle: 'aardvark', needleIndex, makeEntries: makeEntriesInPage.toString() });
      await page.evaluate((b) => window.postMessage({ type: 'state', state: { ...b, entries: window.__fakeHost.store.slice(-200), hasOlder: true } }, '*'), base);
      await page.waitForSelector(`[data-entry-id="${hid(9999)}"]`);
      await page.focus('#log');
      await clearPosted(page);
      await page.keyboard.press('Control+f');
      await page.waitForSelector('#search', { state: 'visible' });
      assertEqual(await page.evaluate(() => document.activeElement?.id), 'search-input', 'Ctrl+F focuses the search box');
      // Keystrokes within one task (the machine's speed cannot stretch them past the pause): one search goes out.
      await page.evaluate(() => {
        const input = document.getElementById('search-input');
        for (const typed of ['a', 'aa', 'aar', 'aardv', 'aardvark']) {
          input.value = typed;
          input.dispatchEvent(new InputEvent('input', { bubbles: true }));
        }
      });
      await page.waitForSelector('#search-results [role="option"]');
      const results = await page.evaluate(() => ({
        options: document.querySelectorAll('#search-results [role="option"]').length,
        mark: document.querySelector('#search-results mark.match')?.textContent,
        status: document.getElementById('search-status').textContent,
        searches: window.__posted.filter((m) => m.type === 'search').map((m) => m.query),
      }));
      assertEqual(results, { options: 1, mark: 'aardvark', status: '1 result', searches: ['aardvark'] }, 'one debounced search, one hit');
      await page.keyboard.press('Enter');
      const target = hid(needleIndex);
      await page.waitForSelector(`[data-entry-id="${target}"]`);
      await nextFrame(page);
      const shown = await page.evaluate((id) => {
        const entry = document.querySelector(`[data-entry-id="${id}"]`);
        const box = entry.getBoundingClientRect();
        const view = document.getElementById('log').getBoundingClientRect();
        return {
          inView: box.top >= view.top && box.bottom <= view.bottom,
          marks: [...entry.querySelectorAll('.entry__text mark.match')].map((m) => m.textContent),
          target: entry.classList.contains('entry--target'),
          back: !document.getElementById('back-to-latest').hidden,
          jumps: window.__posted.filter((m) => m.type === 'jump').map((m) => [m.id, m.query]),
          newest: document.querySelector('[data-entry-id="h000000000009999"]') !== null,
        };
      }, target);
      assertEqual(shown, { inView: true, marks: ['aardvark'], target: true, back: true, jumps: [[target, 'aardvark']], newest: false }, 'the jump');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#search', { state: 'hidden' });
      assertEqual(await page.evaluate(() => document.activeElement?.id), 'log', 'Escape returns the focus');
      await page.click('#back-to-latest');
      await page.waitForSelector(`[data-entry-id="${hid(9999)}"]`);
      const back = await page.evaluate((id) => ({
        target: document.querySelector(`[data-entry-id="${id}"]`) !== null,
        button: document.getElementById('back-to-latest').hidden,
        latest: window.__posted.filter((m) => m.type === 'latest').length,
      }), target);
      assertEqual(back, { target: false, button: true, latest: 1 }, 'back to latest');
    }),
  );

  await check('search keyboard: arrows move through hits, Enter opens the selected one and then the next', () =>
    withPage({}, async (page) => {
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('k1', 1), text('k2', 2), text('k3', 3)] } });
      await page.waitForSelector('[data-entry-id="k3"]');
      await page.click('#search-toggle');
      await page.waitForSelector('#search-input', { state: 'visible' });
      await page.keyboard.type('build');
      const { requestId } = await searchFor(page, 'build');
      const hit = (id, minute) => ({ id, from: 'jonas', sentAt: T0 + minute * 60_000, excerpt: 'the build', matches: [[4, 9]] });
      await hostPost(page, { type: 'searchResults', requestId, query: 'build', hits: [hit('k3', 3), hit('k2', 2), hit('k1', 1)] });
      await page.waitForFunction(() => document.querySelectorAll('#search-results [role="option"]').length === 3);
      // An answer to an earlier request arrives late: ignored (the stats update after it shows it was handled).
      await hostPost(page, { type: 'searchResults', requestId: requestId - 1, query: 'bu', hits: [hit('zz', 9)] });
      await hostPost(page, { type: 'stats', stats: { rttMs: 9.9, lossPercent: 0, retransmitted: 0, sent: 1 } });
      await page.waitForFunction(() => document.getElementById('stats').textContent.includes('9.9'));
      assertEqual(await page.evaluate(() => document.querySelectorAll('#search-results [role="option"]').length), 3, 'hits after a late answer');
      await clearPosted(page);
      await page.keyboard.press('ArrowDown');
      const selected = () => page.evaluate(() => [document.querySelector('#search-results [aria-selected="true"]')?.id, document.getElementById('search-input').getAttribute('aria-activedescendant')]);
      assertEqual(await selected(), ['search-hit-1', 'search-hit-1'], 'ArrowDown selects the second');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowUp');
      assertEqual(await selected(), ['search-hit-2', 'search-hit-2'], 'ArrowUp wraps around');
      assertEqual((await posted(page)).map((m) => [m.type, m.id]), [['jump', 'k2'], ['jump', 'k1']], 'Enter opens the selected hit, then the next');
    }),
  );

  await check('markup in search excerpts and in a highlighted message stays inert text', () =>
    withPage({}, async (page, log) => {
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('x1', 1)] } });
      await page.waitForSelector('[data-entry-id="x1"]');
      await page.keyboard.press('Control+f');
      await page.keyboard.type('bold');
      const search = await searchFor(page, 'bold');
      const at = XSS_TEXT.indexOf('bold');
      // The second hit's range spans markup characters: marked, they stay characters.
      const tag = XSS_TEXT.indexOf('<b>');
      const hits = [
        { id: 'x2', from: '<i>eve</i>', sentAt: T0, excerpt: XSS_TEXT, matches: [[at, at + 4]] },
        { id: 'x1', from: 'jonas', sentAt: T0, excerpt: XSS_TEXT, matches: [[0, 5], [tag, XSS_TEXT.length]] },
      ];
      await hostPost(page, { type: 'searchResults', requestId: search.requestId, query: 'bold', hits });
      await page.waitForSelector('#search-results mark.match');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'jump'));
      const jump = await lastPosted(page, 'jump');
      await hostPost(page, { type: 'jumpTo', requestId: jump.requestId, entries: [text('x1', 1), { ...text('x2', 2), from: '<i>eve</i>', text: XSS_TEXT }], targetId: 'x2', highlight: 'bold', hasOlder: false, hasNewer: false });
      await page.waitForSelector('[data-entry-id="x2"] mark.match');
      const view = await page.evaluate(() => ({
        excerpts: [...document.querySelectorAll('#search-results .search__excerpt')].map((e) => e.textContent),
        from: document.querySelector('#search-results .search__from').textContent,
        listElements: document.querySelectorAll('#search-results img, #search-results b, #search-results i').length,
        entryText: document.querySelector('[data-entry-id="x2"] .entry__text').textContent,
        entryElements: document.querySelectorAll('#log img, #log b, #log i').length,
        marks: [...document.querySelectorAll('mark.match')].map((m) => m.textContent),
      }));
      const marks = ['bold', '<img ', '<b>bold</b>', 'bold'];
      assertEqual(view, { excerpts: [XSS_TEXT, XSS_TEXT], from: '<i>eve</i>', listElements: 0, entryText: XSS_TEXT, entryElements: 0, marks }, 'inert text');
      assertEqual(log.dialogs, [], 'dialogs');
    }),
  );

  for (const [theme, findMatch, selection] of [
    ['dark', 'rgb(158, 106, 3)', 'rgb(4, 57, 94)'],
    ['light', 'rgb(168, 172, 148)', 'rgb(232, 232, 232)'],
  ]) {
    await check(`${theme} theme: search hits and the jump target use the theme's find and list colours`, () =>
      withPage({ theme, width: 800, height: 600 }, async (page) => {
        const entries = Array.from({ length: 30 }, (_, i) => text(hid(i), i, i === 12 ? 'the release build is green' : `message ${i} about lunch`));
        await hostPost(page, { type: 'state', state: { ...base, entries: entries.slice(-10), hasOlder: true } });
        await page.waitForSelector(`[data-entry-id="${hid(29)}"]`);
        await page.keyboard.press('Control+f');
        await page.keyboard.type('build');
        const { requestId } = await searchFor(page, 'build');
        const hits = [12, 3].map((i) => ({ id: hid(i), from: 'jonas', sentAt: T0 + i * 60_000, excerpt: i === 12 ? 'the release build is green' : 'a build', matches: [i === 12 ? [12, 17] : [2, 7]] }));
        await hostPost(page, { type: 'searchResults', requestId, query: 'build', hits });
        await page.waitForSelector('#search-results [aria-selected="true"]');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => window.__posted.some((m) => m.type === 'jump'));
        const jump = await lastPosted(page, 'jump');
        await hostPost(page, { type: 'jumpTo', requestId: jump.requestId, entries: entries.slice(0, 25), targetId: hid(12), highlight: 'build', hasOlder: false, hasNewer: true });
        await page.waitForSelector(`[data-entry-id="${hid(12)}"] mark.match`);
        await nextFrame(page);
        const colours = await page.evaluate((id) => ({
          target: getComputedStyle(document.querySelector(`[data-entry-id="${id}"] mark.match`)).backgroundColor,
          selected: getComputedStyle(document.querySelector('#search-results [aria-selected="true"]')).backgroundColor,
          input: getComputedStyle(document.getElementById('search-input')).backgroundColor,
        }), hid(12));
        assertEqual([colours.target, colours.selected], [findMatch, selection], 'find match and selection colours');
        await page.evaluate(() => document.activeElement?.blur());
        await nextFrame(page);
        await page.screenshot({ path: `${artifacts}/${theme}-search.png` });
      }),
    );
  }

  await check('historyCleared drops every entry', () =>
    withPage({}, async (page) => {
      await hostPost(page, { type: 'state', state: { ...base, entries: [text('y1', 1), text('y2', 2)], hasOlder: true } });
      await page.waitForSelector('[data-entry-id="y2"]');
      await hostPost(page, { type: 'historyCleared' });
      await page.waitForFunction(() => document.querySelectorAll('#log [data-entry-id]').length === 0);
      await hostPost(page, { type: 'entry', entry: text('y3', 3) });
      await page.waitForSelector('[data-entry-id="y3"]');
      assertEqual(await ids(page), ['y3'], 'only what came after the clear');
    }),
  );
}

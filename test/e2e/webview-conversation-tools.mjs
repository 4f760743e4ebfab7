// The chat's conversation tools in the browser: the "New" divider and the way to it, mentions (highlighted, yours
// apart) and the `@` completion by keyboard, replies, reactions, edits and deletes, typing and presence. Each
// check opens its own page and drives it as a user would (keyboard first), asserting what the page posts to the host.

/** `t`: the harness's helpers; `ctx`: the browser, the page server, the sample state, the fixed time. */
export async function conversationToolsChecks(t, { browser, server, state, T0, artifacts }) {
  const { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame } = t;
  const minute = 60_000;
  const text = (id, from, body, at, extra = {}) => ({
    kind: 'text',
    id,
    from,
    own: from === 'maria',
    text: body,
    sentAt: T0 + at * minute,
    legacy: false,
    encrypted: true,
    ...(from === 'maria' ? { delivery: { state: 'delivered', progress: 1 } } : {}),
    ...extra,
  });
  const members = [
    { id: 1, name: 'maria', legacy: false, self: true, presence: 'active' },
    { id: 2, name: 'jonas', legacy: false, self: false, presence: 'away' },
    { id: 3, name: 'Aiko', legacy: false, self: false },
    { id: 4, name: 'Jo Anne', legacy: false, self: false },
  ];
  const base = { ...state, members, entries: [], transfers: [], hasOlder: false };
  const conversation = [
    text('c000000000000001', 'jonas', 'Is the relay fix merged?', 1),
    text('c000000000000002', 'maria', 'Yes, this morning. @jonas can you check the build?', 2, { mentions: ['jonas'] }),
    text('c000000000000003', 'Aiko', '@maria the screenshots are in the share', 3, { mentions: ['maria'] }),
    text('c000000000000004', 'jonas', 'Checking now', 4, {
      replyTo: { id: 'c000000000000002', from: 'maria', excerpt: 'Yes, this morning. @jonas can you check the build?' },
      reactions: [{ emoji: '👍', from: ['maria', 'Aiko'] }, { emoji: '🎉', from: ['Aiko'] }],
    }),
    text('c000000000000005', 'maria', 'Thanks! Typo fixed.', 5, { editedAt: T0 + 5.5 * minute }),
    text('c000000000000006', 'Aiko', '', 6, { deleted: true }),
    text('c000000000000007', 'jonas', 'Green on all three platforms <b>@maria</b>', 7, { mentions: ['maria'] }),
  ];
  const withPage = async (options, fn) => {
    const opened = await openPage(browser, server, { theme: 'dark', width: 760, height: 620, ...options });
    try {
      await fn(opened.page, opened.log);
    } finally {
      await opened.context.close();
    }
  };
  const show = async (page, extra = {}) => {
    await hostPost(page, { type: 'state', state: { ...base, entries: conversation, ...extra } });
    await page.waitForSelector('[data-entry-id="c000000000000007"]');
    await nextFrame(page);
  };
  const lastOf = async (page, type) => (await posted(page)).filter((m) => m.type === type).at(-1);
  const composerFocused = (page) => page.evaluate(() => document.activeElement?.id === 'composer');

  await check('the "New" divider stands before the first message of others after the read mark; "Jump to first new" goes there', () =>
    withPage({ height: 420 }, async (page) => {
      const many = Array.from({ length: 60 }, (_, i) => text(`d${String(i).padStart(15, '0')}`, i % 3 === 0 ? 'maria' : 'jonas', `line ${i}`, i));
      // Read up to d…10; d…12 is maria's (own: never "new"), so the divider goes before d…13 (jonas).
      const since = { id: many[11].id, at: many[11].sentAt };
      await hostPost(page, { type: 'state', state: { ...base, entries: many, unread: { since, count: 40, mentions: 0 } } });
      await page.waitForSelector('[data-entry-id="d000000000000059"]');
      await nextFrame(page);
      const placed = await page.evaluate(() => {
        const divider = document.getElementById('new-divider');
        return { next: divider?.nextElementSibling?.dataset.entryId, label: divider?.getAttribute('aria-label'), text: divider?.textContent };
      });
      // The divider may be out of the rendered slice (40 rows of 60): then only the button leads there.
      const button = await page.waitForSelector('#jump-new', { state: 'visible' });
      assertEqual(await button.textContent(), 'Jump to first new', 'button');
      await button.click();
      await page.waitForFunction(() => document.getElementById('new-divider')?.isConnected);
      const after = await page.evaluate(() => {
        const divider = document.getElementById('new-divider');
        const log = document.getElementById('log').getBoundingClientRect();
        const box = divider.getBoundingClientRect();
        return { next: divider.nextElementSibling?.dataset.entryId, inView: box.top >= log.top - 1 && box.bottom <= log.bottom + 1, focused: document.activeElement?.dataset.entryId, label: divider.getAttribute('aria-label'), text: divider.textContent };
      });
      assertEqual(after.next, 'd000000000000013', 'first unread message of others');
      assert(placed.next === undefined || placed.next === 'd000000000000013', `divider placed at ${placed.next}`);
      assert(after.inView, 'the divider is scrolled into view');
      assertEqual(after.focused, 'd000000000000013', 'the first new message has the focus');
      assertEqual([after.text, after.label], ['New', 'New messages'], 'divider text and name');
      await page.waitForSelector('#jump-new', { state: 'hidden' });
      // The host moves the mark on (all read): no divider any more.
      await hostPost(page, { type: 'unread', unread: { since: undefined, count: 0, mentions: 0 } });
      await page.waitForFunction(() => !document.getElementById('new-divider')?.isConnected);
    }),
  );

  await check('the page reports whether the newest message is in view (what the host counts as read)', () =>
    withPage({ height: 360 }, async (page) => {
      await show(page);
      assertEqual((await lastOf(page, 'viewed'))?.atBottom, true, 'at the bottom after the first state');
      await page.evaluate(() => (document.getElementById('log').scrollTop = 0));
      await page.waitForFunction(() => window.__posted.filter((m) => m.type === 'viewed').at(-1)?.atBottom === false);
      await page.evaluate(() => {
        const log = document.getElementById('log');
        log.scrollTop = log.scrollHeight;
      });
      await page.waitForFunction(() => window.__posted.filter((m) => m.type === 'viewed').at(-1)?.atBottom === true);
    }),
  );

  for (const theme of ['dark', 'light', 'high-contrast']) {
    await check(`${theme} theme: mentions are highlighted, a mention of you stands out, markup around them stays text`, () =>
      withPage({ theme }, async (page) => {
        await show(page);
        const view = await page.evaluate(() => {
          const mine = document.querySelector('[data-entry-id="c000000000000003"]');
          const other = document.querySelector('[data-entry-id="c000000000000002"] .mention');
          const me = mine.querySelector('.mention--me');
          const plainBubble = getComputedStyle(document.querySelector('[data-entry-id="c000000000000001"] .entry__bubble'));
          const style = (el) => getComputedStyle(el);
          const markup = document.querySelector('[data-entry-id="c000000000000007"]');
          return {
            rowClass: mine.className,
            meText: me?.textContent,
            otherText: other?.textContent,
            otherIsMe: other?.classList.contains('mention--me'),
            meBg: style(me).backgroundColor,
            otherBg: style(other).backgroundColor,
            bubbleBg: plainBubble.backgroundColor,
            mineBorder: style(mine.querySelector('.entry__bubble')).borderLeftWidth,
            tag: mine.querySelector('.tag--mention')?.textContent,
            bolds: markup.querySelectorAll('b').length,
            markupText: markup.querySelector('.entry__text').textContent,
            markupMention: markup.querySelector('.mention--me')?.textContent,
          };
        });
        assert(view.rowClass.includes('entry--mentions-me'), `row: ${view.rowClass}`);
        assertEqual([view.meText, view.otherText, view.otherIsMe], ['@maria', '@jonas', false], 'mention spans');
        assert(view.meBg !== view.otherBg, `a mention of you looks different from another mention: ${view.meBg} vs ${view.otherBg}`);
        assert(view.meBg !== view.bubbleBg && view.meBg !== 'rgba(0, 0, 0, 0)', `a mention of you has its own background: ${view.meBg}`);
        assertEqual([view.mineBorder, view.tag], ['3px', 'mentions you'], 'the row of a mention of you is marked');
        assertEqual([view.bolds, view.markupText, view.markupMention], [0, 'Green on all three platforms <b>@maria</b>', '@maria'], 'markup stays text');
        await page.screenshot({ path: `${artifacts}/${theme}-conversation-tools.png` });
      }),
    );
  }

  await check('@ offers the members by keyboard: arrows move, Enter and Tab pick, Escape closes (combobox and listbox)', () =>
    withPage({}, async (page) => {
      await show(page);
      await clearPosted(page);
      const textarea = page.locator('#composer textarea');
      await textarea.click();
      await page.keyboard.type('ping @j');
      await page.waitForSelector('#mention-list', { state: 'visible' });
      const list = () =>
        page.evaluate(() => ({
          options: [...document.querySelectorAll('#mention-list [role="option"]')].map((o) => [o.dataset.name, o.getAttribute('aria-selected')]),
          expanded: document.querySelector('#composer').shadowRoot.querySelector('textarea').getAttribute('aria-expanded'),
          role: document.querySelector('#composer').shadowRoot.querySelector('textarea').getAttribute('role'),
          active: document.querySelector('#composer').shadowRoot.querySelector('textarea').getAttribute('aria-activedescendant'),
          status: document.getElementById('mention-status').textContent,
          hidden: document.querySelector('.mentions').hidden,
        }));
      const first = await list();
      // Not oneself (maria); names that start with "j" first, in roster order; "Jo Anne" has a space.
      assertEqual(first.options, [['jonas', 'true'], ['Jo Anne', 'false']], 'options');
      assertEqual([first.role, first.expanded, first.active], ['combobox', 'true', 'mention-option-0'], 'combobox state');
      assert(first.status.startsWith('jonas, 1 of 2'), `announced: ${first.status}`);
      await page.keyboard.press('ArrowDown');
      assertEqual((await list()).options, [['jonas', 'false'], ['Jo Anne', 'true']], 'ArrowDown moves');
      await page.keyboard.press('ArrowDown');
      assertEqual((await list()).options[0], ['jonas', 'true'], 'wraps around');
      await page.keyboard.press('Escape');
      const closed = await list();
      assertEqual([closed.hidden, closed.expanded], [true, 'false'], 'Escape closes');
      assertEqual(await textarea.inputValue(), 'ping @j', 'Escape keeps the text');
      await page.keyboard.type('o');
      await page.waitForSelector('#mention-list', { state: 'visible' });
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      assertEqual(await textarea.inputValue(), 'ping @Jo Anne ', 'Enter puts the name in place');
      await page.keyboard.type('and @jon');
      await page.keyboard.press('Tab');
      assertEqual(await textarea.inputValue(), 'ping @Jo Anne and @jonas ', 'Tab picks too');
      assert(await composerFocused(page), 'the composer keeps the focus');
      assertEqual((await posted(page)).filter((m) => m.type === 'send'), [], 'picking sent nothing');
      await page.keyboard.type('mail@j');
      assertEqual((await list()).hidden, true, 'an @ inside a word offers nothing');
      await page.keyboard.press('Enter');
      assertEqual((await lastOf(page, 'send'))?.text, 'ping @Jo Anne and @jonas mail@j', 'Enter sends once the list is closed');
    }),
  );

  await check('reply by keyboard: the log, ArrowUp to a message, Tab to Reply; the reply quotes it and is sent with replyTo', () =>
    withPage({}, async (page) => {
      await show(page);
      await clearPosted(page);
      await page.focus('#log');
      await page.keyboard.press('ArrowUp'); // the newest message
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowUp');
      const focused = await page.evaluate(() => document.activeElement?.dataset.entryId);
      assertEqual(focused, 'c000000000000005', 'ArrowUp moves through the messages');
      await page.keyboard.press('ArrowUp');
      assertEqual(await page.evaluate(() => document.activeElement?.dataset.entryId), 'c000000000000004', 'one more');
      const label = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
      assert(label.startsWith('jonas, 14:06, in reply to maria'), `row label: ${label}`);
      // Tab goes into this row's controls: the quote first, then the reactions, then its actions.
      const order = [];
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement.dataset.action ?? document.activeElement.className));
      }
      assertEqual(order, ['entry__quote', 'reply', 'react', 'reaction reaction--mine', 'reaction'], 'tab order inside the row');
      for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+Tab');
      assertEqual(await page.evaluate(() => document.activeElement.dataset.action), 'reply', 'back on Reply');
      await page.keyboard.press('Enter'); // Reply
      await page.waitForSelector('#composer-target', { state: 'visible' });
      const bar = await page.evaluate(() => document.getElementById('composer-target').textContent);
      assert(bar.startsWith('Replying to jonasChecking now'), `bar: ${bar}`);
      assert(await composerFocused(page), 'the composer takes the focus');
      await page.keyboard.type('Thanks!');
      await page.keyboard.press('Enter');
      assertEqual(await lastOf(page, 'send'), { type: 'send', text: 'Thanks!', replyTo: 'c000000000000004' }, 'sent as a reply');
      await page.waitForSelector('#composer-target', { state: 'hidden' });
      // Another reply, cancelled with Escape: it goes out as a plain message.
      await hostPost(page, { type: 'startReply', id: 'c000000000000001' });
      await page.waitForSelector('#composer-target', { state: 'visible' });
      await page.keyboard.press('Escape');
      await page.waitForSelector('#composer-target', { state: 'hidden' });
      await page.keyboard.type('plain');
      await page.keyboard.press('Enter');
      assertEqual(await lastOf(page, 'send'), { type: 'send', text: 'plain' }, 'no replyTo after Escape');
    }),
  );

  await check('clicking a quote goes to the original when held, and asks the host for it when not', () =>
    withPage({}, async (page) => {
      await show(page);
      await hostPost(page, {
        type: 'entry',
        entry: text('c000000000000008', 'jonas', 'about that old thread', 8, { replyTo: { id: 'ffff000000000001' } }),
      });
      await page.click('[data-entry-id="c000000000000004"] .entry__quote');
      const target = await page.evaluate(() => ({ target: document.querySelector('.entry--target')?.dataset.entryId, focused: document.activeElement?.dataset.entryId }));
      assertEqual(target, { target: 'c000000000000002', focused: 'c000000000000002' }, 'jumped to the original');
      await clearPosted(page);
      const quote = await page.waitForSelector('[data-entry-id="c000000000000008"] .entry__quote');
      assert((await quote.textContent()).includes('not loaded'), 'a quote of a message not held says so');
      await quote.click();
      const jump = await lastOf(page, 'jump');
      assertEqual([jump?.id, jump?.query], ['ffff000000000001', ''], 'asked the host for it');
    }),
  );

  await check('reactions: who reacted is named, yours shows pressed; React opens a picker (arrows, Enter) and toggling posts react', () =>
    withPage({}, async (page) => {
      await show(page);
      await clearPosted(page);
      const reactions = await page.evaluate(() =>
        [...document.querySelectorAll('[data-entry-id="c000000000000004"] .reaction')].map((b) => [b.textContent, b.getAttribute('aria-pressed'), b.title, b.getAttribute('aria-label')]),
      );
      assertEqual(reactions[0].slice(0, 3), ['👍2', 'true', 'maria, Aiko'], 'yours pressed, names in the title');
      assertEqual(reactions[1].slice(0, 3), ['🎉1', 'false', 'Aiko'], 'not yours');
      assert(reactions[0][3].includes('Remove yours') && reactions[1][3].includes('Add yours'), `labels: ${reactions.map((r) => r[3])}`);
      await page.click('[data-entry-id="c000000000000004"] .reaction[data-emoji="👍"]');
      assertEqual(await lastOf(page, 'react'), { type: 'react', id: 'c000000000000004', emoji: '👍', on: false }, 'takes yours back');
      await page.click('[data-entry-id="c000000000000004"] .reaction[data-emoji="🎉"]');
      assertEqual(await lastOf(page, 'react'), { type: 'react', id: 'c000000000000004', emoji: '🎉', on: true }, 'adds yours');
      // The picker, by keyboard.
      await page.hover('[data-entry-id="c000000000000001"]');
      await page.click('[data-entry-id="c000000000000001"] .entry__action--react');
      await page.waitForSelector('.reaction-picker');
      assertEqual(await page.evaluate(() => document.activeElement?.dataset.emoji), '👍', 'the first emoji has the focus');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      assertEqual(await lastOf(page, 'react'), { type: 'react', id: 'c000000000000001', emoji: '😂', on: true }, 'picked by keyboard');
      assertEqual(await page.evaluate(() => document.querySelector('.reaction-picker')), null, 'the picker closed');
      assertEqual(await page.evaluate(() => document.activeElement?.dataset.action), 'react', 'focus back on React');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.reaction-picker');
      await page.keyboard.press('Escape');
      assertEqual(await page.evaluate(() => document.querySelector('.reaction-picker')), null, 'Escape closes it');
      // The host's new view of the entry is shown.
      await hostPost(page, { type: 'entry', entry: { ...conversation[0], reactions: [{ emoji: '😂', from: ['maria'] }] } });
      await page.waitForSelector('[data-entry-id="c000000000000001"] .reaction--mine[data-emoji="😂"]');
    }),
  );

  await check('edit and delete your own message; shown as edited or deleted; others have neither button', () =>
    withPage({}, async (page) => {
      await show(page);
      await clearPosted(page);
      const buttons = await page.evaluate(() => ({
        own: [...document.querySelectorAll('[data-entry-id="c000000000000005"] .entry__action')].map((b) => b.dataset.action),
        other: [...document.querySelectorAll('[data-entry-id="c000000000000001"] .entry__action')].map((b) => b.dataset.action),
        deleted: document.querySelectorAll('[data-entry-id="c000000000000006"] .entry__action').length,
        deletedText: document.querySelector('[data-entry-id="c000000000000006"] .entry__deleted')?.textContent,
        edited: document.querySelector('[data-entry-id="c000000000000005"] .entry__edited')?.textContent,
      }));
      assertEqual(buttons.own, ['reply', 'react', 'edit', 'delete'], 'own message');
      assertEqual(buttons.other, ['reply', 'react'], "someone else's");
      assertEqual([buttons.deleted, buttons.deletedText, buttons.edited], [0, 'This message was deleted.', '(edited)'], 'deleted and edited');
      // A draft in progress comes back after the edit.
      await page.click('#composer textarea');
      await page.keyboard.type('half a thought');
      await page.hover('[data-entry-id="c000000000000005"]');
      await page.click('[data-entry-id="c000000000000005"] .entry__action--edit');
      const textarea = page.locator('#composer textarea');
      assertEqual(await textarea.inputValue(), 'Thanks! Typo fixed.', 'the message is in the composer');
      await textarea.press('End');
      await page.keyboard.type(' Again.');
      await page.keyboard.press('Enter');
      assertEqual(await lastOf(page, 'edit'), { type: 'edit', id: 'c000000000000005', text: 'Thanks! Typo fixed. Again.' }, 'edit posted');
      assertEqual(await textarea.inputValue(), 'half a thought', 'the draft is back');
      assertEqual((await posted(page)).filter((m) => m.type === 'send'), [], 'an edit is not a new message');
      // Escape cancels an edit.
      await page.hover('[data-entry-id="c000000000000005"]');
      await page.click('[data-entry-id="c000000000000005"] .entry__action--edit');
      await page.keyboard.press('Escape');
      assertEqual(await textarea.inputValue(), 'half a thought', 'Escape gives the draft back');
      // Delete asks once, then deletes.
      await page.hover('[data-entry-id="c000000000000002"]');
      await page.click('[data-entry-id="c000000000000002"] .entry__action--delete');
      assertEqual(await page.evaluate(() => document.querySelector('[data-entry-id="c000000000000002"] .entry__action--delete').textContent), 'Delete for everyone?', 'asks first');
      assertEqual(await lastOf(page, 'delete'), undefined, 'nothing deleted on the first press');
      await page.click('[data-entry-id="c000000000000002"] .entry__action--delete');
      assertEqual(await lastOf(page, 'delete'), { type: 'delete', id: 'c000000000000002' }, 'deleted on the second');
    }),
  );

  await check('"NAME is typing…" in the composer area, announced politely; typing posts at most one signal per 2 s', () =>
    withPage({}, async (page) => {
      await show(page, { typing: ['jonas'] });
      const line = () => page.evaluate(() => document.getElementById('typing').textContent);
      assertEqual(await line(), 'jonas is typing…', 'from the state');
      assertEqual(await page.evaluate(() => document.getElementById('typing').getAttribute('aria-live')), 'polite', 'live region');
      await hostPost(page, { type: 'typing', names: ['jonas', 'Aiko'] });
      await page.waitForFunction(() => document.getElementById('typing').textContent === 'jonas and Aiko are typing…');
      await hostPost(page, { type: 'typing', names: [] });
      await page.waitForFunction(() => document.getElementById('typing').textContent === '');
      await clearPosted(page);
      await page.click('#composer textarea');
      await page.keyboard.type('abcdef');
      assertEqual((await posted(page)).filter((m) => m.type === 'typing').length, 1, 'one signal for a burst of keys');
    }),
  );

  await check('presence: members show active or away, for screen readers too', () =>
    withPage({ width: 900 }, async (page) => {
      await show(page);
      const view = await page.evaluate(() =>
        [...document.querySelectorAll('#members li[data-member-name]')].map((li) => [li.dataset.memberName, li.dataset.presence ?? '-', li.querySelector('.sr-only')?.textContent ?? '-']),
      );
      assertEqual(view, [['maria', 'active', 'active'], ['Aiko', '-', '-'], ['Jo Anne', '-', '-'], ['jonas', 'away', 'away']], 'presence per member');
      await page.screenshot({ path: `${artifacts}/dark-presence.png` });
    }),
  );
}

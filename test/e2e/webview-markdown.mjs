// Markdown and code snippets in the chat panel, in the browser under the page's real CSP: the subset renders as
// elements built one by one (never from markup), raw HTML and links to anything but http(s) stay inert text, code
// is highlighted into token spans, and a snippet is a card with its location, line numbers and Copy/Open. Each
// check opens its own page with the messages it needs.

/** `t`: the harness's helpers; `ctx`: the browser, the page server, the sample state, the fixed time. */
export async function markdownChecks(t, { browser, server, state, T0, artifacts }) {
  const { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame } = t;
  const minute = 60_000;
  let at = 0;
  const text = (id, from, body, extra = {}) => ({
    kind: 'text',
    id,
    from,
    own: from === 'maria',
    text: body,
    sentAt: T0 + ++at * minute,
    legacy: false,
    encrypted: true,
    ...(from === 'maria' ? { delivery: { state: 'delivered', progress: 1 } } : {}),
    ...extra,
  });
  const base = { ...state, entries: [], transfers: [], hasOlder: false };
  const actions = async (page) => (await posted(page)).filter((m) => m.type !== 'viewed' && m.type !== 'typing');

  /** A page showing `entries` (the last one rendered), handed to `fn`; closed after. */
  const withEntries = async (entries, fn, options = {}) => {
    const opened = await openPage(browser, server, { theme: 'dark', width: 820, height: 700, ...options });
    try {
      await opened.page.evaluate(() => (window.__xss = undefined));
      await hostPost(opened.page, { type: 'state', state: { ...base, entries } });
      await opened.page.waitForSelector(`[data-entry-id="${entries.at(-1).id}"]`);
      await nextFrame(opened.page);
      await fn(opened.page, opened.log);
    } finally {
      await opened.context.close();
    }
  };
  /** What one entry's body is: its text, and the tags of every element inside it. */
  const body = (page, id) =>
    page.evaluate((i) => {
      const element = document.querySelector(`[data-entry-id="${i}"] .entry__text`);
      return { text: element.textContent, tags: [...element.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()) };
    }, id);

  await check('Markdown: **bold**, *italic* and ~~strike~~ render as strong, em and s around their words', () =>
    withEntries([text('m000000000000001', 'jonas', 'This is **bold**, *italic* and ~~gone~~.')], async (page) => {
      const view = await page.evaluate(() => {
        const e = document.querySelector('[data-entry-id="m000000000000001"] .entry__text');
        return { strong: e.querySelector('strong')?.textContent, em: e.querySelector('em')?.textContent, s: e.querySelector('s')?.textContent, text: e.textContent };
      });
      assertEqual(view, { strong: 'bold', em: 'italic', s: 'gone', text: 'This is bold, italic and gone.' }, 'emphasis');
    }));

  await check('Markdown: a line break inside a paragraph stays a line break', () =>
    withEntries([text('m000000000000012', 'jonas', '**one**\ntwo')], async (page) => {
      const view = await page.evaluate(() => {
        const e = document.querySelector('[data-entry-id="m000000000000012"] .entry__text');
        const strong = e.querySelector('strong').getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(e.querySelector('p'));
        const rects = [...range.getClientRects()];
        return { text: e.textContent, below: rects.some((r) => r.top >= strong.bottom - 1 && r.width > 0) };
      });
      assertEqual(view, { text: 'one\ntwo', below: true }, 'two lines');
    }));

  await check('Markdown: `inline code` is a code element in the editor font', () =>
    withEntries([text('m000000000000002', 'jonas', 'Run `npm test` first')], async (page) => {
      const view = await page.evaluate(() => {
        const code = document.querySelector('[data-entry-id="m000000000000002"] .entry__text code');
        return { text: code?.textContent, font: code && getComputedStyle(code).fontFamily, bodyFont: getComputedStyle(document.body).fontFamily };
      });
      assertEqual(view.text, 'npm test', 'inline code');
      assert(view.font.includes('Droid Sans Mono') && view.font !== view.bodyFont, `editor font: ${view.font}`);
    }));

  await check('Markdown: a fenced block with a language hint is highlighted into token spans in theme colours', () =>
    withEntries([text('m000000000000003', 'jonas', 'Try:\n```ts\nconst answer: number = 42; // why\n```')], async (page) => {
      const view = await page.evaluate(() => {
        const code = document.querySelector('[data-entry-id="m000000000000003"] pre code');
        const token = (cls) => code?.querySelector(`.${cls}`);
        const colour = (cls) => (token(cls) ? getComputedStyle(token(cls)).color : undefined);
        return {
          language: code?.className,
          text: code?.textContent,
          keyword: token('hljs-keyword')?.textContent,
          number: token('hljs-number')?.textContent,
          comment: token('hljs-comment')?.textContent,
          colours: [colour('hljs-keyword'), colour('hljs-number'), colour('hljs-comment')],
          plain: code && getComputedStyle(code).color,
        };
      });
      assert(view.language?.includes('language-typescript'), `language from the info string: ${view.language}`);
      assertEqual(view.text, 'const answer: number = 42; // why', 'the code, whole');
      assertEqual([view.keyword, view.number, view.comment], ['const', '42', '// why'], 'tokens');
      // Dark theme: --vscode-debugTokenExpression-boolean #4e94ce, -number #b5cea8 (webview-page.mjs).
      assertEqual(view.colours.slice(0, 2), ['rgb(78, 148, 206)', 'rgb(181, 206, 168)'], 'keyword and number colours from theme variables');
      assert(view.colours[2] !== view.plain, 'comments set apart');
    }));

  await check('Markdown: > quotes, - bullets and 1. numbers render as blockquote, ul and ol', () =>
    withEntries([text('m000000000000004', 'jonas', '> the relay said no\n\n- one\n- two\n\n3. three\n4. four')], async (page) => {
      const view = await page.evaluate(() => {
        const e = document.querySelector('[data-entry-id="m000000000000004"] .entry__text');
        return {
          quote: e.querySelector('blockquote')?.textContent,
          bullets: [...e.querySelectorAll('ul > li')].map((li) => li.textContent),
          numbers: [...e.querySelectorAll('ol > li')].map((li) => li.textContent),
          start: e.querySelector('ol')?.getAttribute('start'),
        };
      });
      assertEqual(view, { quote: 'the relay said no', bullets: ['one', 'two'], numbers: ['three', 'four'], start: '3' }, 'blocks');
    }));

  await check('Markdown: an http(s) link is an entry__link; a click posts openLink and the page stays', () =>
    withEntries([text('m000000000000005', 'jonas', 'See [the notes](https://example.com/notes?a=1) and <https://example.org/x>, *or* https://example.net/y.')], async (page) => {
      const links = await page.evaluate(() =>
        [...document.querySelectorAll('[data-entry-id="m000000000000005"] a')].map((a) => [a.className, a.getAttribute('href'), a.textContent]),
      );
      assertEqual(
        links,
        [
          ['entry__link', 'https://example.com/notes?a=1', 'the notes'],
          ['entry__link', 'https://example.org/x', 'https://example.org/x'],
          ['entry__link', 'https://example.net/y', 'https://example.net/y'],
        ],
        'links',
      );
      await clearPosted(page);
      const before = page.url();
      await page.click('[data-entry-id="m000000000000005"] a.entry__link');
      assertEqual(await actions(page), [{ type: 'openLink', url: 'https://example.com/notes?a=1' }], 'posted');
      assertEqual(page.url(), before, 'no navigation');
    }));

  await check('Markdown: raw HTML (<img onerror>, <script>, <b>) beside Markdown is literal text and creates no element', () => {
    const source = '**hi** <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> <b>b</b>';
    return withEntries([text('m000000000000006', 'jonas', source)], async (page) => {
      const view = await body(page, 'm000000000000006');
      assertEqual(view, { text: 'hi <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> <b>b</b>', tags: ['p', 'strong'] }, 'body');
      assertEqual(await page.evaluate(() => [window.__xss, document.querySelectorAll('#log img, #log script, #log b').length]), [undefined, 0], 'nothing ran or was made');
    });
  });

  for (const [name, target] of [
    ['javascript:', 'javascript:window.__xss=1'],
    ['command:', 'command:workbench.action.quit'],
    ['data:', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
    ['file:', 'file:///etc/passwd'],
    ['vscode:', 'vscode://file/etc/passwd'],
  ]) {
    await check(`Markdown: [x](${name}…) is no link: it stays as typed, and a click on it posts nothing`, () =>
      withEntries([text('m000000000000007', 'jonas', `click [here](${target}) or <${target}>`), text('m000000000000008', 'jonas', 'then [this](https://example.com/ok)')], async (page) => {
        const view = await body(page, 'm000000000000007');
        assertEqual(view, { text: `click [here](${target}) or <${target}>`, tags: ['p'] }, 'body');
        await clearPosted(page);
        await page.click('[data-entry-id="m000000000000007"] .entry__text');
        // The sentinel: a real link clicked after; only its openLink arrives.
        await page.click('[data-entry-id="m000000000000008"] a.entry__link');
        assertEqual(await actions(page), [{ type: 'openLink', url: 'https://example.com/ok' }], 'posted');
        assertEqual(await page.evaluate(() => window.__xss), undefined, 'nothing ran');
      }));
  }

  await check('Markdown: markup inside `inline code` and a fenced block stays text', () =>
    // The html block's markup is cut into tag tokens; the comment in the ts block is one text run of markup.
    withEntries([text('m000000000000009', 'jonas', 'Use `<b>x</b>` here:\n```html\n<script>window.__xss=3</script>\n<img src=x onerror="window.__xss=4">\n```\n```ts\n// <img src=x onerror="window.__xss=5"><b>b</b>\n```')], async (page) => {
      const view = await page.evaluate(() => {
        const e = document.querySelector('[data-entry-id="m000000000000009"] .entry__text');
        return {
          inline: e.querySelector('p > code')?.textContent,
          blocks: [...e.querySelectorAll('pre code')].map((c) => c.textContent),
          made: e.querySelectorAll('b, script, img').length,
          spans: [...e.querySelectorAll('pre code *')].every((n) => n.tagName === 'SPAN'),
          xss: window.__xss,
        };
      });
      assertEqual(
        view,
        {
          inline: '<b>x</b>',
          blocks: ['<script>window.__xss=3</script>\n<img src=x onerror="window.__xss=4">', '// <img src=x onerror="window.__xss=5"><b>b</b>'],
          made: 0,
          spans: true,
          xss: undefined,
        },
        'code',
      );
    }));

  await check('Markdown: ![alt](src) is no image: it stays as typed (its address a link, as any address in a text)', () =>
    withEntries([text('m000000000000010', 'jonas', 'look ![a cat](https://example.com/cat.png) *now*')], async (page) => {
      assertEqual(await body(page, 'm000000000000010'), { text: 'look ![a cat](https://example.com/cat.png) now', tags: ['p', 'a', 'em'] }, 'body');
      const link = await page.evaluate(() => document.querySelector('[data-entry-id="m000000000000010"] a')?.getAttribute('href'));
      assertEqual([link, await page.evaluate(() => document.querySelectorAll('#log img').length)], ['https://example.com/cat.png', 0], 'no image, the address alone linked');
    }));

  await check('Markdown: an @mention inside **bold** is still highlighted as yours', () =>
    withEntries([text('m000000000000011', 'jonas', 'ping **@maria** about `x`', { mentions: ['maria'] })], async (page) => {
      const view = await page.evaluate(() => document.querySelector('[data-entry-id="m000000000000011"] strong .mention--me')?.textContent);
      assertEqual(view, '@maria', 'mention');
    }));

  // ---- snippets --------------------------------------------------------------------------------------------
  const code = [
    'export function add(a: number, b: number): number {',
    '  // adds "two" numbers',
    '  return a + b;',
    '}',
  ].join('\n');
  const commit = '0123456789abcdef0123456789abcdef01234567';
  const snippet = (id, from, extra = {}, meta = {}) =>
    text(id, from, code, { snippet: { path: 'src/a.ts', startLine: 10, endLine: 13, language: 'typescript', repo: { remote: 'https://github.com/team/app.git', branch: 'main', commit }, ...meta }, ...extra });

  await check('a snippet card shows its location, language and repository as text', () =>
    withEntries([snippet('s000000000000001', 'jonas')], async (page) => {
      const view = await page.evaluate(() => {
        const card = document.querySelector('[data-entry-id="s000000000000001"] .snippet');
        return {
          location: card?.querySelector('.snippet__location')?.textContent,
          language: card?.querySelector('.snippet__language')?.textContent,
          repo: card?.querySelector('.snippet__repo')?.textContent,
          links: card?.querySelectorAll('a').length,
          label: card?.getAttribute('aria-label'),
        };
      });
      assertEqual(
        view,
        { location: 'src/a.ts:L10–L13', language: 'typescript', repo: 'https://github.com/team/app.git · main · 0123456', links: 0, label: 'Code snippet src/a.ts:L10–L13, typescript' },
        'card',
      );
    }));

  await check('a snippet\'s code is highlighted, numbered from startLine, and the numbers are not part of its text', () =>
    withEntries([snippet('s000000000000002', 'jonas')], async (page) => {
      const view = await page.evaluate(() => {
        const codeElement = document.querySelector('[data-entry-id="s000000000000002"] .snippet code');
        const range = document.createRange();
        range.selectNodeContents(codeElement);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        const copied = selection.toString();
        selection.removeAllRanges();
        return {
          numbers: [...codeElement.querySelectorAll('.code__line')].map((line) => line.dataset.line),
          gutter: getComputedStyle(codeElement.querySelector('.code__line'), '::before').content,
          text: codeElement.textContent,
          copied,
          keyword: codeElement.querySelector('.hljs-keyword')?.textContent,
          comment: codeElement.querySelector('.hljs-comment')?.textContent,
          title: codeElement.querySelector('.hljs-title')?.textContent,
        };
      });
      assertEqual(view.numbers, ['10', '11', '12', '13'], 'line numbers');
      assertEqual(view.gutter, '"10"', 'the gutter shows the number');
      assertEqual([view.text, view.copied.replace(/\r\n/g, '\n')], [code, code], 'text and selection: the code alone');
      assertEqual([view.keyword, view.comment, view.title], ['export', '// adds "two" numbers', 'add'], 'tokens');
    }));

  await check('a snippet in a language without a grammar shows plain, still numbered', () =>
    withEntries([snippet('s000000000000003', 'jonas', {}, { language: 'cobol', startLine: 7, endLine: 10 })], async (page) => {
      const view = await page.evaluate(() => {
        const c = document.querySelector('[data-entry-id="s000000000000003"] .snippet code');
        return { spans: c.querySelectorAll('[class^="hljs-"]').length, numbers: [...c.querySelectorAll('.code__line')].map((l) => l.dataset.line), text: c.textContent };
      });
      assertEqual(view, { spans: 0, numbers: ['7', '8', '9', '10'], text: code }, 'plain');
    }));

  await check('a snippet\'s Copy and Open post copySnippet and openSnippet with its id', () =>
    withEntries([snippet('s000000000000004', 'jonas')], async (page) => {
      await clearPosted(page);
      await page.click('[data-entry-id="s000000000000004"] .snippet__copy');
      await page.click('[data-entry-id="s000000000000004"] .snippet__open');
      assertEqual(await actions(page), [{ type: 'copySnippet', id: 's000000000000004' }, { type: 'openSnippet', id: 's000000000000004' }], 'posted');
    }));

  await check('a snippet\'s Copy and Open are reached with Tab from its row, named, and Enter presses them', () =>
    withEntries([text('s000000000000010', 'jonas', 'before'), snippet('s000000000000005', 'jonas')], async (page) => {
      await page.focus('[data-entry-id="s000000000000005"]');
      const names = [];
      for (let i = 0; i < 8 && names.length < 2; i++) {
        await page.keyboard.press('Tab');
        const name = await page.evaluate(() => (document.activeElement?.closest('.snippet') ? document.activeElement.getAttribute('aria-label') : null));
        if (name !== null && !names.includes(name)) names.push(name);
      }
      assertEqual(names, ['Copy snippet src/a.ts:L10–L13', 'Open src/a.ts:L10–L13'], 'reached by Tab, with their names');
      await clearPosted(page);
      await page.keyboard.press('Enter');
      assertEqual(await actions(page), [{ type: 'openSnippet', id: 's000000000000005' }], 'Enter on Open');
    }));

  await check('a long snippet scrolls inside its capped card and the log still follows the newest', () => {
    const long = Array.from({ length: 400 }, (_, i) => `let v${i} = ${i};`).join('\n');
    return withEntries(
      [text('s000000000000011', 'jonas', 'here it comes'), text('s000000000000006', 'jonas', long, { snippet: { path: 'src/long.ts', startLine: 1, endLine: 400, language: 'typescript' } })],
      async (page) => {
        const view = await page.evaluate(() => {
          const scroll = document.querySelector('[data-entry-id="s000000000000006"] .snippet__scroll');
          const log = document.getElementById('log');
          return { height: scroll.clientHeight, inner: scroll.scrollHeight, fromBottom: log.scrollHeight - log.scrollTop - log.clientHeight, lines: scroll.querySelectorAll('.code__line').length };
        });
        assert(view.height < 400 && view.inner > view.height * 3, `capped, scrolling inside: ${JSON.stringify(view)}`);
        assertEqual(view.lines, 400, 'every line is there');
        assert(view.fromBottom < 2, `the log is at the newest: ${view.fromBottom}`);
      },
    );
  });

  await check('a deleted snippet shows the deleted row, without its card', () =>
    withEntries([snippet('s000000000000007', 'jonas', { deleted: true, text: '' })], async (page) => {
      const view = await page.evaluate(() => {
        const e = document.querySelector('[data-entry-id="s000000000000007"]');
        return { deleted: e.querySelector('.entry__deleted')?.textContent, card: e.querySelectorAll('.snippet').length };
      });
      assertEqual(view, { deleted: 'This message was deleted.', card: 0 }, 'deleted');
    }));

  await check('a snippet has Reply and React and shows its reactions; your own has Delete but no Edit', () =>
    withEntries([snippet('s000000000000008', 'jonas', { reactions: [{ emoji: '👀', from: ['Aiko'] }] }), snippet('s000000000000009', 'maria')], async (page) => {
      const view = await page.evaluate(() => {
        const actionsOf = (id) => [...document.querySelectorAll(`[data-entry-id="${id}"] .entry__actions .entry__action`)].map((b) => b.dataset.action);
        return { theirs: actionsOf('s000000000000008'), mine: actionsOf('s000000000000009'), reaction: document.querySelector('[data-entry-id="s000000000000008"] .reaction')?.dataset.emoji };
      });
      assertEqual(view, { theirs: ['reply', 'react'], mine: ['reply', 'react', 'delete'], reaction: '👀' }, 'actions');
    }));

  await check('a search marks its words inside Markdown and inside a snippet\'s code, not its line numbers', () =>
    withEntries([text('s000000000000012', 'jonas', 'the **retry delay** is `delay * 2`'), snippet('s000000000000013', 'jonas')], async (page) => {
      const entries = [text('s000000000000012', 'jonas', 'the **retry delay** is `delay * 2`'), snippet('s000000000000013', 'jonas')];
      const marks = async (targetId, highlight) => {
        await hostPost(page, { type: 'jumpTo', requestId: 0, entries, targetId, highlight, hasOlder: false, hasNewer: false });
        await page.waitForFunction((id) => document.querySelector(`[data-entry-id="${id}"] mark.match`) !== null, targetId);
        return page.evaluate((id) => [...document.querySelectorAll(`[data-entry-id="${id}"] mark.match`)].map((m) => [m.parentElement.closest('strong, code, .code__line').tagName.toLowerCase(), m.closest('.code__line')?.dataset.line ?? '', m.textContent]), targetId);
      };
      assertEqual(await marks('s000000000000012', 'delay'), [['strong', '', 'delay'], ['code', '', 'delay']], 'in bold and inline code');
      assertEqual(await marks('s000000000000013', 'number'), [['span', '10', 'number'], ['span', '10', 'number'], ['span', '10', 'number'], ['span', '11', 'number']], 'in the snippet\'s lines');
      assertEqual(await page.evaluate(() => document.querySelector('[data-entry-id="s000000000000013"] .snippet code').textContent), code, 'its text unchanged');
    }));

  const conversation = () => {
    at = 0;
    return [
      text('v000000000000001', 'jonas', 'The retry loop gives up too early, look:'),
      text('v000000000000002', 'jonas', code.replace('add', 'retryDelay'), {
        snippet: { path: 'src/client/retry.ts', startLine: 42, endLine: 45, language: 'typescript', repo: { remote: 'https://github.com/team/udp-chat.git', branch: 'main', commit } },
      }),
      text('v000000000000003', 'maria', 'Right, the **delay** should double. Something like:\n```ts\nconst delay = Math.min(base * 2 ** attempt, MAX_DELAY_MS);\n```\n> keep it under `MAX_DELAY_MS`', {
        replyTo: { id: 'v000000000000002', from: 'jonas', excerpt: 'export function retryDelay(a: number, b: number): number {' },
      }),
      text('v000000000000004', 'Aiko', '- [x] tests\n- ~~docs~~ later, see https://example.com/pr/12'),
    ];
  };
  await check('narrow panel: long code lines scroll inside their block and card, the page never overflows', () =>
    withEntries(
      conversation(),
      async (page) => {
        const view = await page.evaluate(() => {
          // Scrolls sideways: it can be scrolled, not merely clipped.
          const scrolls = (sel) =>
            [...document.querySelectorAll(sel)].map((e) => {
              e.scrollLeft = 40;
              const moved = e.scrollLeft > 0;
              e.scrollLeft = 0;
              return moved;
            });
          return { page: document.documentElement.scrollWidth > window.innerWidth, log: document.getElementById('log').scrollWidth > document.getElementById('log').clientWidth, pre: scrolls('.md__pre'), card: scrolls('.snippet__scroll') };
        });
        assertEqual(view, { page: false, log: false, pre: [true], card: [true] }, 'overflow');
        await page.screenshot({ path: `${artifacts}/markdown-narrow.png` });
      },
      { width: 360, height: 640 },
    ));

  for (const theme of ['dark', 'light', 'high-contrast']) {
    await check(`${theme} theme: Markdown and a snippet card render without CSP violations`, () =>
      withEntries(
        conversation(),
        async (page, log) => {
          await page.evaluate(() => document.activeElement?.blur());
          await page.screenshot({ path: `${artifacts}/markdown-${theme}.png` });
          const violations = await page.evaluate(() => window.__violations);
          assertEqual([...violations, ...log.errors, ...log.console.filter((m) => m.type === 'error').map((m) => m.text)], [], 'problems');
        },
        { theme, width: 760, height: 620 },
      ));
  }
}

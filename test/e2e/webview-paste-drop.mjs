// The composer's code blocks and the images pasted or dropped onto the chat, in the browser: a multi-line paste from
// a VS Code editor (its `vscode-editor-data` clipboard entry) becomes a fence of its language, Enter inside an open
// fence breaks the line instead of sending, the Code button and Ctrl+Shift+K wrap the selection, a pasted or dropped
// image is handed to the host as its bytes (a Uint8Array) and Explorer URIs as URIs, and the host's preview shows
// with Send and Cancel (Enter and Escape on it). Clipboard and drop events are built as the browser builds them (a
// DataTransfer with strings and Files) and dispatched on the composer's inner <textarea> and on the chat.

/** `t`: the harness's helpers; `ctx`: the browser, the page server, the sample state, a PNG maker, the images served. */
export async function pasteDropChecks(t, { browser, server, state, png, images, imageUrl }) {
  const { check, assert, assertEqual, openPage, hostPost, posted, clearPosted, nextFrame } = t;
  const EDITOR_DATA = '{"version":1,"isFromEmptySelection":false,"multicursorText":null,"mode":"typescript"}';
  const origin = `http://127.0.0.1:${server.address().port}`;

  const withPage = async (fn) => {
    const opened = await openPage(browser, server, { theme: 'dark', width: 760, height: 620 });
    try {
      await hostPost(opened.page, { type: 'state', state: { ...state, transfers: [] } });
      await opened.page.waitForSelector('#log .entry');
      await nextFrame(opened.page);
      await clearPosted(opened.page);
      await fn(opened.page, opened.log);
    } finally {
      await opened.context.close();
    }
  };
  const composer = (page) => page.locator('#composer textarea');
  const value = (page) => page.evaluate(() => document.getElementById('composer').value);
  const caret = (page) => page.evaluate(() => document.querySelector('#composer').shadowRoot.querySelector('textarea').selectionStart);
  const ofType = async (page, type) => (await posted(page)).filter((m) => m.type === type);

  /** A paste on the composer's textarea as the browser makes one: returns whether the page took it over. */
  const paste = (page, { text, editorData, files = [] }) =>
    page.evaluate(
      ({ text, editorData, files }) => {
        const control = document.querySelector('#composer').shadowRoot.querySelector('textarea');
        control.focus();
        const data = new DataTransfer();
        if (text !== undefined) data.setData('text/plain', text);
        if (editorData !== undefined) data.setData('vscode-editor-data', editorData);
        for (const file of files) data.items.add(new File([Uint8Array.from(file.bytes)], file.name, { type: file.type }));
        const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true });
        control.dispatchEvent(event);
        return event.defaultPrevented;
      },
      { text, editorData, files },
    );

  await check('a multi-line paste copied from a VS Code editor becomes a fence of its language', () =>
    withPage(async (page) => {
      await composer(page).fill('look at this:');
      const taken = await paste(page, { text: 'const a = 1;\nconst b = 2;\n', editorData: EDITOR_DATA });
      assert(taken, 'the paste was left to the browser');
      assertEqual(await value(page), 'look at this:\n```typescript\nconst a = 1;\nconst b = 2;\n```', 'composer');
      assertEqual(await caret(page), (await value(page)).length, 'caret after the block');
    }),
  );

  await check('a paste from elsewhere, a single line, or inside a fence stays as it is', () =>
    withPage(async (page) => {
      assertEqual(await paste(page, { text: 'one\ntwo' }), false, 'no editor data: left to the browser');
      assertEqual(await paste(page, { text: 'const a = 1;', editorData: EDITOR_DATA }), false, 'one line: left to the browser');
      await composer(page).fill('```\n');
      assertEqual(await paste(page, { text: 'a\nb', editorData: EDITOR_DATA }), false, 'inside a fence: left to the browser');
      assertEqual(await value(page), '```\n', 'composer untouched by the page');
    }),
  );

  await check('Enter inside an open fence breaks the line and sends nothing; Ctrl+Enter sends', () =>
    withPage(async (page) => {
      const input = composer(page);
      await input.click();
      await page.keyboard.type('```js');
      await page.keyboard.press('Enter');
      await page.keyboard.type('let x = 1;');
      await page.keyboard.press('Enter');
      assertEqual(await value(page), '```js\nlet x = 1;\n', 'composer');
      assertEqual(await page.textContent('#composer-hint'), 'In a code block: Enter for a new line · Ctrl+Enter to send', 'hint');
      // The sentinel: Ctrl+Enter sends, so a send from the Enters above would be in the list before it.
      await page.keyboard.press('Control+Enter');
      assertEqual(await ofType(page, 'send'), [{ type: 'send', text: '```js\nlet x = 1;' }], 'sent');
      assertEqual(await page.textContent('#composer-hint'), 'Enter to send · Shift+Enter for a new line · Ctrl+Shift+K for a code block', 'hint');
    }),
  );

  await check('Enter after the closing fence sends the message', () =>
    withPage(async (page) => {
      await composer(page).fill('```\ncode\n```');
      await composer(page).press('End');
      await composer(page).press('Enter');
      assertEqual(await ofType(page, 'send'), [{ type: 'send', text: '```\ncode\n```' }], 'sent');
    }),
  );

  await check('Ctrl+Shift+K wraps the selection in a fence, the Code button inserts one, the caret inside', () =>
    withPage(async (page) => {
      const input = composer(page);
      await input.fill('let a = 1;');
      await input.evaluate((control) => control.select());
      await input.press('Control+Shift+K');
      assertEqual(await value(page), '```\nlet a = 1;\n```', 'wrapped');
      assertEqual(await caret(page), '```\nlet a = 1;'.length, 'caret after the wrapped text');
      await input.fill('');
      await page.click('#code-block');
      assertEqual(await value(page), '```\n\n```', 'inserted');
      assertEqual(await caret(page), 4, 'caret on the empty line');
      await page.keyboard.press('Enter');
      assertEqual(await ofType(page, 'send'), [], 'Enter in the new fence sent');
      assertEqual(await value(page), '```\n\n\n```', 'a line broken inside');
    }),
  );

  const PNG = [...png(40, 30)];

  await check('a pasted image is handed to the host as its bytes, under no name, and the text stays', () =>
    withPage(async (page) => {
      await composer(page).fill('draft');
      const taken = await paste(page, { text: '', files: [{ bytes: PNG, name: 'image.png', type: 'image/png' }] });
      assert(taken, 'the paste was left to the browser');
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'attachImage'));
      const [message] = await ofType(page, 'attachImage');
      assertEqual(Object.keys(message).sort(), ['data', 'mime', 'requestId', 'type'], 'fields (no name)');
      assertEqual(message.mime, 'image/png', 'mime');
      assert(Array.isArray(message.data?.uint8Array), `data is not a Uint8Array: ${JSON.stringify(message.data).slice(0, 80)}`);
      assertEqual(message.data.uint8Array, PNG, 'bytes');
      assertEqual(await value(page), 'draft', 'composer');
    }),
  );

  await check('a file that is no image, or larger than the limit, is refused before it is read', () =>
    withPage(async (page) => {
      await paste(page, { files: [{ bytes: [104, 105], name: 'notes.txt', type: 'text/plain' }] });
      await page.waitForSelector('#attachment-notice', { state: 'visible' });
      assertEqual(await page.textContent('#attachment-notice'), 'The pasted file is not an image UDP Chat can send (supported: PNG, JPEG, GIF, BMP, TIFF).', 'notice');
      const dropped = await page.evaluate(() => {
        const data = new DataTransfer();
        data.items.add(new File([new ArrayBuffer(100 * 1024 * 1024 + 1)], 'huge.png', { type: 'image/png' }));
        document.getElementById('log').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        return document.getElementById('attachment-notice').textContent;
      });
      assertEqual(dropped, 'huge.png is too large to send: 100 MB, more than the limit of 100 MB.', 'notice');
      // The sentinel: a good image pasted after them is posted, and is the only one.
      await paste(page, { files: [{ bytes: PNG, name: 'image.png', type: 'image/png' }] });
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'attachImage'));
      assertEqual((await ofType(page, 'attachImage')).length, 1, 'images posted');
    }),
  );

  await check('files dropped on the chat are posted with their names; Explorer URIs as URIs', () =>
    withPage(async (page) => {
      const drop = (setup) =>
        page.evaluate(({ setup, bytes }) => {
          const data = new DataTransfer();
          if (setup === 'file') data.items.add(new File([Uint8Array.from(bytes)], 'sunset.png', { type: 'image/png' }));
          else data.setData('application/vnd.code.uri-list', 'file:///home/me/a.png\r\n# a comment\r\nfile:///home/me/b.gif');
          const target = document.getElementById('log');
          const over = new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true });
          target.dispatchEvent(over);
          const highlighted = document.getElementById('app').classList.contains('app--drop');
          const event = new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
          target.dispatchEvent(event);
          return { accepted: over.defaultPrevented, highlighted, taken: event.defaultPrevented, after: document.getElementById('app').classList.contains('app--drop') };
        }, { setup, bytes: PNG });
      assertEqual(await drop('file'), { accepted: true, highlighted: true, taken: true, after: false }, 'file drop');
      await page.waitForFunction(() => window.__posted.some((m) => m.type === 'attachImage'));
      const [image] = await ofType(page, 'attachImage');
      assertEqual([image.name, image.data.uint8Array.length], ['sunset.png', PNG.length], 'dropped file');
      assertEqual((await drop('uris')).taken, true, 'uri drop taken');
      assertEqual((await ofType(page, 'attachUris')).map((m) => m.uris), [['file:///home/me/a.png', 'file:///home/me/b.gif']], 'uris');
    }),
  );

  await check('the preview shows the compressed image with its size and dimensions; Escape cancels, Enter sends', () =>
    withPage(async (page, log) => {
      images.set('preview', png(640, 400));
      const src = imageUrl(origin, 'preview');
      await composer(page).click();
      await hostPost(page, { type: 'attachment', attachment: { id: 'att-1', requestId: 1, label: 'pasted-image-20261202-033712.png', state: 'compressing' } });
      await page.waitForSelector('[data-attachment-id="att-1"][data-state="compressing"]');
      assertEqual(await page.textContent('[data-attachment-id="att-1"] .attachment__meta'), 'Compressing…', 'compressing');
      assertEqual(await page.locator('[data-attachment-id="att-1"] .attachment__send').count(), 0, 'no Send while compressing');
      const ready = { id: 'att-1', requestId: 1, label: 'pasted-image-20261202-033712.png', state: 'ready', src, width: 640, height: 400, bytes: 23040 };
      await hostPost(page, { type: 'attachment', attachment: ready });
      await page.waitForSelector('[data-attachment-id="att-1"][data-state="ready"] img.attachment__image');
      await page.waitForFunction(() => document.querySelector('img.attachment__image').complete);
      const shown = await page.evaluate(() => ({
        natural: document.querySelector('img.attachment__image').naturalWidth,
        meta: document.querySelector('[data-attachment-id="att-1"] .attachment__meta').textContent,
        buttons: [...document.querySelectorAll('[data-attachment-id="att-1"] button')].map((b) => b.textContent),
        focused: document.activeElement?.dataset.attachmentId,
      }));
      assertEqual(shown, { natural: 640, meta: '640 × 400 · 22.5 KB', buttons: ['Send', 'Cancel'], focused: 'att-1' }, 'preview');
      await clearPosted(page);
      await page.keyboard.press('Escape');
      assertEqual(await posted(page), [{ type: 'cancelAttachment', id: 'att-1' }], 'Escape');
      await clearPosted(page);
      await page.keyboard.press('Enter');
      assertEqual(await posted(page), [{ type: 'sendAttachment', id: 'att-1' }], 'Enter');
      await clearPosted(page);
      await page.click('[data-attachment-id="att-1"] .attachment__cancel');
      await page.click('[data-attachment-id="att-1"] .attachment__send');
      assertEqual(await posted(page), [{ type: 'cancelAttachment', id: 'att-1' }, { type: 'sendAttachment', id: 'att-1' }], 'buttons');
      await page.focus('[data-attachment-id="att-1"]');
      await hostPost(page, { type: 'attachmentGone', id: 'att-1' });
      await page.waitForSelector('#attachments', { state: 'hidden' });
      assertEqual(await page.evaluate(() => document.activeElement?.id), 'composer', 'focus back in the composer');
      assertEqual((await page.evaluate(() => window.__violations)).length, 0, 'CSP violations');
      assertEqual(log.errors, [], 'page errors');
    }),
  );

  await check('a failed attachment says why, with Dismiss only', () =>
    withPage(async (page) => {
      const error = 'pasted-image.png looks like a PNG image but is damaged or incomplete (its header is unreadable)';
      await hostPost(page, { type: 'attachment', attachment: { id: 'att-2', label: 'pasted-image.png', state: 'failed', error } });
      await page.waitForSelector('[data-attachment-id="att-2"][data-state="failed"]');
      const shown = await page.evaluate(() => ({
        meta: document.querySelector('[data-attachment-id="att-2"] .attachment__meta--error')?.textContent,
        buttons: [...document.querySelectorAll('[data-attachment-id="att-2"] button')].map((b) => b.textContent),
        images: document.querySelectorAll('[data-attachment-id="att-2"] img').length,
      }));
      assertEqual(shown, { meta: error, buttons: ['Dismiss'], images: 0 }, 'failed card');
      await page.click('[data-attachment-id="att-2"] .attachment__cancel');
      assertEqual(await ofType(page, 'cancelAttachment'), [{ type: 'cancelAttachment', id: 'att-2' }], 'dismiss');
    }),
  );
}

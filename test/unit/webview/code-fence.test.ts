import assert from 'node:assert/strict';
import { fenceAt, fenceMarker, parseEditorData, pasteAsFence, wrapInFence } from '../../../webview/code-fence';

const EDITOR_DATA = '{"version":1,"isFromEmptySelection":false,"multicursorText":null,"mode":"typescript"}';

describe('fenceAt', () => {
  it('finds the caret inside a fence opened before it and not closed', () => {
    const text = 'look:\n```ts\nconst a = 1;';
    assert.deepEqual(fenceAt(text, text.length), { marker: '```', language: 'ts' });
  });

  it('counts the caret right after the opening marker as inside', () => {
    assert.deepEqual(fenceAt('```python', 9), { marker: '```', language: 'python' });
  });

  it('is outside once a closing fence comes before the caret', () => {
    const text = '```\ncode\n```\nafter';
    assert.equal(fenceAt(text, text.length), undefined);
  });

  it('is outside at the end of the closing fence itself', () => {
    const text = '```\ncode\n```';
    assert.equal(fenceAt(text, text.length), undefined);
  });

  it('is inside between two fences, whatever follows the caret', () => {
    const text = '```\n\n```';
    assert.deepEqual(fenceAt(text, 4), { marker: '```', language: '' });
  });

  it('needs the closing fence of the same character and at least as long', () => {
    assert.ok(fenceAt('````\ncode\n```\nmore', 18), 'a shorter closer does not close');
    assert.ok(fenceAt('~~~\ncode\n```\nmore', 17), 'backticks do not close tildes');
    assert.equal(fenceAt('~~~\ncode\n~~~~\nmore', 18), undefined);
  });

  it('ignores inline code and fences indented four spaces (an indented code block)', () => {
    assert.equal(fenceAt('use ```x``` here', 16), undefined);
    assert.equal(fenceAt('    ```\ncode', 12), undefined);
  });

  it('is outside in plain text and before the opening fence', () => {
    assert.equal(fenceAt('hello\nworld', 11), undefined);
    assert.equal(fenceAt('intro\n```\ncode', 3), undefined);
  });
});

describe('wrapInFence', () => {
  it('inserts an empty fence on its own lines with the caret on the empty line inside', () => {
    const edit = wrapInFence('see', 3, 3);
    assert.equal(edit.value, 'see\n```\n\n```');
    assert.equal(edit.selectionStart, 'see\n```\n'.length);
    assert.ok(fenceAt(edit.value, edit.selectionStart), 'the caret is inside');
  });

  it('wraps the selection, keeping the text around it on other lines', () => {
    const value = 'before let x = 1; after';
    const edit = wrapInFence(value, 7, 17);
    assert.equal(edit.value, 'before \n```\nlet x = 1;\n```\n after');
    assert.equal(edit.value.slice(0, edit.selectionStart), 'before \n```\nlet x = 1;');
  });

  it('uses a longer marker than any backtick run at a line start inside the selection', () => {
    assert.equal(fenceMarker('a\n```\nb'), '````');
    const edit = wrapInFence('x\n```\ny', 0, 7);
    assert.ok(edit.value.startsWith('````\n') && edit.value.endsWith('\n````'), edit.value);
  });
});

describe('parseEditorData', () => {
  it("reads VS Code's clipboard metadata: the language of the editor", () => {
    assert.deepEqual(parseEditorData(EDITOR_DATA), { language: 'typescript', fromEmptySelection: false });
  });

  it('keeps no language for plain text or an id that is not a short word', () => {
    assert.equal(parseEditorData('{"version":1,"mode":"plaintext"}')?.language, '');
    assert.equal(parseEditorData('{"version":1,"mode":"ts\\n```js"}')?.language, '');
    assert.equal(parseEditorData('{"version":1,"mode":42}')?.language, '');
  });

  it('refuses what is not that JSON object', () => {
    for (const raw of ['', 'not json', '[1]', 'null', '{"mode":"typescript"}', `{"version":1,"mode":"${'a'.repeat(5000)}"}`]) {
      assert.equal(parseEditorData(raw), undefined, raw.slice(0, 40));
    }
  });
});

describe('pasteAsFence', () => {
  const data = parseEditorData(EDITOR_DATA);

  it('turns a multi-line paste from an editor into a fence of its language, the caret after it', () => {
    const edit = pasteAsFence('', 0, 0, 'const a = 1;\nconst b = 2;\n', data);
    assert.equal(edit?.value, '```typescript\nconst a = 1;\nconst b = 2;\n```');
    assert.equal(edit?.selectionStart, edit?.value.length);
  });

  it('puts the block on its own lines in the middle of a text, replacing the selection', () => {
    const edit = pasteAsFence('see this: X please', 10, 11, 'a\r\nb', data);
    assert.equal(edit?.value, 'see this: \n```typescript\na\nb\n```\n please');
    assert.equal(edit?.value.slice(edit.selectionStart), '\n please');
  });

  it('leaves a single line as it is', () => {
    assert.equal(pasteAsFence('', 0, 0, 'const a = 1;\n', data), undefined);
  });

  it('leaves a paste from elsewhere (no editor metadata) as it is', () => {
    assert.equal(pasteAsFence('', 0, 0, 'line one\nline two', undefined), undefined);
  });

  it('leaves a paste inside an open fence as it is', () => {
    const value = '```\n';
    assert.equal(pasteAsFence(value, value.length, value.length, 'a\nb', data), undefined);
  });
});

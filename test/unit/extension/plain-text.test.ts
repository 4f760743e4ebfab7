import assert from 'node:assert/strict';
import { incomingNotice, NAME_MAX_CHARS, plainText, PREVIEW_MAX_CHARS, quoted } from '../../../src/extension/plain-text';

/** VS Code 1.139's `parseLinkedText` (vs/base/common/linkedText.ts): what makes a notification link. */
const VSCODE_LINKED_TEXT = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
/** VS Code 1.139's `renderLabelWithIcons` pattern (vs/base/browser/ui/iconLabel/iconLabels.ts). */
const VSCODE_ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;
/** A CommonMark autolink. */
const MARKDOWN_AUTOLINK = /<[a-z][a-z0-9+.-]{1,31}:[^\s<>]*>/i;
/** A bare URI a linkifier would pick up. */
const BARE_URI = /\b(?:command|https?|file|vscode|mailto|javascript):\S/i;

const MAX = 200;

/** Inputs an attacker would send as a message, a name or an error text. */
const HOSTILE = [
  '[Shared doc](command:workbench.action.terminal.new)',
  '[Shared doc](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)',
  '[x](https://evil.example)',
  '[x](HTTPS://evil.example "a title")',
  '[x](file:///etc/passwd)',
  '[[nested]](command:foo)',
  '[a [b] c](command:foo)',
  '\\[x\\](command:y)',
  '[x]\u200B(command:y)',
  '[x](\u200Bcommand:y)',
  '[x]\n(command:y)',
  '<command:foo>',
  '<https://evil.example>',
  'command:foo',
  'see https://evil.example now',
  'vscode://vscode.git/clone?url=x',
  '$(alert) x',
  '$(sync~spin) x',
  '\\$(alert) x',
  '$\u200B(alert) x',
  '[$(alert)](command:foo)',
];

describe('plainText', () => {
  for (const input of HOSTILE) {
    it(`leaves no link, autolink, URI or icon VS Code would render in ${JSON.stringify(input)}`, () => {
      const output = plainText(input, MAX);
      assert.equal([...output.matchAll(VSCODE_LINKED_TEXT)].length, 0, `a notification link in ${output}`);
      assert.equal([...output.matchAll(VSCODE_ICON)].length, 0, `an icon in ${output}`);
      assert.doesNotMatch(output, MARKDOWN_AUTOLINK);
      assert.doesNotMatch(output, BARE_URI);
    });
  }

  it('keeps the words of a hostile link readable, with look-alike brackets and colon', () => {
    assert.equal(
      plainText('[Shared doc](command:workbench.action.terminal.new)', MAX),
      '\uFF3BShared doc\uFF3D(command\uFF1Aworkbench.action.terminal.new)',
    );
  });

  it('replaces angle brackets with look-alikes', () => {
    assert.equal(plainText('<b>hi</b>', MAX), '\uFF1Cb\uFF1Ehi\uFF1C/b\uFF1E');
  });

  it('turns the dollar of an icon into a look-alike and keeps other dollars', () => {
    assert.equal(plainText('$(alert) costs $5 (really)', MAX), '\uFF04(alert) costs $5 (really)');
  });

  it('keeps an ordinary word followed by a colon and a space', () => {
    assert.equal(plainText('data: 5 rows, note: ok', MAX), 'data: 5 rows, note: ok');
  });

  it('leaves plain chat text unchanged', () => {
    const text = 'Hi alice! The build is green again (finally), 100 % — grüße, 日本語, مرحبا.';
    assert.equal(plainText(text, MAX), text);
  });

  it('removes bidi overrides, embeddings and isolates', () => {
    assert.equal(plainText('invoice\u202Efdp.exe', MAX), 'invoicefdp.exe');
    assert.equal(plainText('a\u202Ab\u202Bc\u202Cd\u202De\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u061Cl', MAX), 'abcdefghijkl');
  });

  it('removes zero-width and invisible characters', () => {
    const invisible = ['\u200B', '\u200C', '\u200D', '\u2060', '\u2063', '\uFEFF', '\u00AD', '\u034F', '\u115F', '\u1160', '\u3164', '\uFFA0', '\uFFF9', '\uFFFB', '\u{E0001}', '\u{E0041}'];
    assert.equal(plainText(`a${invisible.join('')}b`, MAX), 'ab');
  });

  it('removes control characters and private-use code points (where the icon font draws)', () => {
    assert.equal(plainText('a\u0000b\u0007c\u001Bd\u007Fe\u0080f\u009Fg\uE000h\u{F0000}i', MAX), 'abcdefghi');
  });

  it('replaces a lone surrogate by nothing', () => {
    assert.equal(plainText('a\uD800b\uDC00c', MAX), 'abc');
  });

  it('keeps the zero-width joiner inside an emoji sequence', () => {
    assert.equal(plainText('👩‍💻 ships 👨‍👩‍👧', MAX), '👩‍💻 ships 👨‍👩‍👧');
  });

  it('makes line breaks, tabs and runs of spaces one space and trims the ends', () => {
    assert.equal(plainText('  one\r\ntwo\n\nthree\tfour\u2028five\u2029six\u0085seven\u00A0 eight  ', MAX), 'one two three four five six seven eight');
  });

  it('keeps at most four combining marks on a character', () => {
    assert.equal(plainText(`e${'\u0301'.repeat(50)}x`, MAX), `e${'\u0301'.repeat(4)}x`);
  });

  it('cuts long text to the limit in code points, the last one an ellipsis', () => {
    const output = plainText('x'.repeat(1_000), 50);
    assert.equal(Array.from(output).length, 50);
    assert.equal(output, `${'x'.repeat(49)}…`);
  });

  it('cuts between code points, never inside a surrogate pair', () => {
    const output = plainText('😀'.repeat(100), 10);
    assert.equal(output, `${'😀'.repeat(9)}…`);
  });

  it('keeps text exactly at the limit whole', () => {
    assert.equal(plainText('x'.repeat(50), 50), 'x'.repeat(50));
  });

  it('looks at a bounded prefix of a huge input and says it was cut', () => {
    // Visible text beyond the bounded prefix never shows: the output is the ellipsis alone, not "tail".
    const huge = `${'\u200B'.repeat(5_000_000)}tail`;
    assert.equal(plainText(huge, 50), '…');
  });

  it('is idempotent', () => {
    for (const input of [...HOSTILE, 'x'.repeat(500), '👩‍💻 ok', 'a\u202Eb']) {
      const once = plainText(input, 60);
      assert.equal(plainText(once, 60), once, JSON.stringify(input));
    }
  });
});

describe('quoted', () => {
  it('puts the plain text between typographic quotes', () => {
    assert.equal(quoted('[x](command:y)', MAX), '\u201C\uFF3Bx\uFF3D(command\uFF1Ay)\u201D');
  });

  it('keeps a name from closing its own quotes', () => {
    assert.equal(quoted('bob\u201D: \u201Cadmin', MAX), '\u201Cbob": "admin\u201D');
  });
});

describe('incomingNotice', () => {
  it('says whose message it is and quotes both the name and the text', () => {
    assert.equal(incomingNotice('alice', 'Hi there'), 'UDP Chat: message from \u201Calice\u201D: \u201CHi there\u201D');
  });

  it('says an image came, with no text of the peer besides the name', () => {
    assert.equal(incomingNotice('alice', undefined), 'UDP Chat: image from \u201Calice\u201D');
  });

  it('counts the messages not notified', () => {
    assert.equal(incomingNotice('alice', 'x', 3), 'UDP Chat: message from \u201Calice\u201D: \u201Cx\u201D (+3 more)');
  });

  it('renders no link or icon from a hostile name and text', () => {
    const notice = incomingNotice('[$(alert) admin](command:a)', '[Shared doc](command:workbench.action.terminal.new)');
    assert.equal([...notice.matchAll(VSCODE_LINKED_TEXT)].length, 0, notice);
    assert.equal([...notice.matchAll(VSCODE_ICON)].length, 0, notice);
  });

  it('bounds the name and the preview', () => {
    const notice = incomingNotice('n'.repeat(500), 't'.repeat(5_000), 1);
    const [, name = '', text = ''] = /from \u201C(.*?)\u201D: \u201C(.*?)\u201D/u.exec(notice) ?? [];
    assert.equal(Array.from(name).length, NAME_MAX_CHARS);
    assert.equal(Array.from(text).length, PREVIEW_MAX_CHARS);
  });
});

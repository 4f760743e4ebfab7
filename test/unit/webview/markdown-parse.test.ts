import assert from 'node:assert/strict';
import type { Token } from 'markdown-it';
import { hasMarkdownSyntax, parseMarkdown } from '../../../webview/markdown-parse';

/** Every token of `text`, the inline ones included, in order. */
function flat(text: string): Token[] {
  return parseMarkdown(text).flatMap((token) => [token, ...(token.children ?? [])]);
}
const types = (text: string): string[] => flat(text).map((token) => token.type);
const texts = (text: string): string => flat(text).filter((token) => token.type === 'text').map((token) => token.content).join('');
const hrefs = (text: string): Array<string | null> => flat(text).filter((token) => token.type === 'link_open').map((token) => token.attrGet('href'));

describe('hasMarkdownSyntax', () => {
  it('sends plain chat lines, links and Windows paths down the plain path', () => {
    for (const text of ['message 12 about the weekly build', 'see https://example.com/a.', 'Yes: \\\\fileserver\\builds\\a.vsix', 'it is 3.5 - 2 = 1.5', '']) {
      assert.equal(hasMarkdownSyntax(text), false, text);
    }
  });

  it('parses texts holding emphasis, code, brackets, quotes, lists or indented code', () => {
    for (const text of ['**bold**', 'a `b`', 'x_y_', '~~no~~', '[a](https://x.y)', '<https://x.y>', 'hi\n> quoted', '- item', '+ item', 'intro\n12. item', '3) item', '    indented', '\tindented']) {
      assert.equal(hasMarkdownSyntax(text), true, text);
    }
  });
});

describe('parseMarkdown', () => {
  it('keeps raw HTML as text: no html token, the tags in the text', () => {
    const source = '**x** <img src=x onerror=alert(1)> <b>b</b>\n\n<script>alert(2)</script>';
    assert.ok(!types(source).some((type) => type.startsWith('html')), types(source).join(' '));
    assert.equal(texts(source), 'x <img src=x onerror=alert(1)> <b>b</b><script>alert(2)</script>');
  });

  it('makes a link of an http(s) target, written, autolinked or bare', () => {
    assert.deepEqual(hrefs('[a](https://example.com/a) <http://example.org/b> and https://example.net/c.'), ['https://example.com/a', 'http://example.org/b', 'https://example.net/c']);
  });

  it('makes no link of javascript:, command:, data:, file: or vscode: targets, and keeps their source as text', () => {
    for (const target of ['javascript:alert(1)', 'command:workbench.action.quit', 'data:text/html,x', 'file:///etc/passwd', 'vscode://file/x', 'mailto:a@b.c']) {
      const source = `[x](${target}) <${target}>`;
      assert.deepEqual(hrefs(source), [], source);
      assert.equal(texts(source), source);
    }
  });

  it('links no address without a scheme and no e-mail address', () => {
    assert.deepEqual(hrefs('example.com www.example.com a@example.com //example.com ftp://example.com'), []);
  });

  it('keeps images, headings, tables, rules and entities as typed', () => {
    const source = '# Title\n\n![cat](https://example.com/c.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n&lt;b&gt;';
    const found = types(source);
    for (const type of ['heading_open', 'image', 'table_open', 'hr']) assert.ok(!found.includes(type), `${type} in ${found.join(' ')}`);
    const shown = texts(source);
    for (const part of ['# Title', '![cat](', '| a | b |', '---', '&lt;b&gt;']) assert.ok(shown.includes(part), `${part} in ${shown}`);
  });

  it('renders the subset: code, fences with their info, emphasis, strike-through, quotes and lists', () => {
    const found = types('`c` **b** *i* ~~s~~\n\n```ts\nx\n```\n\n> q\n\n- a\n\n1. b');
    for (const type of ['code_inline', 'strong_open', 'em_open', 's_open', 'fence', 'blockquote_open', 'bullet_list_open', 'ordered_list_open']) {
      assert.ok(found.includes(type), `${type} in ${found.join(' ')}`);
    }
    assert.equal(parseMarkdown('```ts title\nx\n```').find((token) => token.type === 'fence')?.info, 'ts title');
  });

  it('keeps a line break inside a paragraph as a break (markdown.ts shows it as one, as the plain path does)', () => {
    assert.deepEqual(flat('*one*\ntwo').map((token) => token.type).filter((type) => type.endsWith('break')), ['softbreak']);
  });
});

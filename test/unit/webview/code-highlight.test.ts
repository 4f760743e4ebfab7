import assert from 'node:assert/strict';
import type { ElementContent } from 'hast';
import { grammarFor, highlightTree, MAX_HIGHLIGHT_CHARS, MAX_HIGHLIGHT_LINES, splitLines, withinHighlightBounds } from '../../../webview/code-highlight';

/** A line's text, and the class lists of the elements around each of its texts. */
function describeLine(nodes: readonly ElementContent[], around: string[] = []): Array<[string, string]> {
  return nodes.flatMap((node): Array<[string, string]> => {
    if (node.type === 'text') return [[node.value, around.join('/')]];
    if (node.type !== 'element') return [];
    const names = node.properties.className;
    return describeLine(node.children, [...around, Array.isArray(names) ? names.join(' ') : '']);
  });
}

describe('grammarFor', () => {
  it('maps VS Code language ids to their grammar', () => {
    assert.deepEqual(
      ['typescript', 'typescriptreact', 'javascriptreact', 'shellscript', 'jsonc', 'html', 'csharp', 'cpp', 'Python', 'go', 'rust', 'yaml', 'sql', 'diff'].map(grammarFor),
      ['typescript', 'typescript', 'javascript', 'bash', 'json', 'xml', 'csharp', 'cpp', 'python', 'go', 'rust', 'yaml', 'sql', 'diff'],
    );
  });

  it('maps the short names fences use', () => {
    assert.deepEqual(['ts', 'js', 'py', 'sh', 'yml', 'rs'].map(grammarFor), ['typescript', 'javascript', 'python', 'bash', 'yaml', 'rust']);
  });

  it('finds no grammar for plaintext, an unknown id or a name on Object.prototype', () => {
    for (const id of ['plaintext', '', 'cobol', 'constructor', '__proto__', 'toString', 'x'.repeat(65), undefined]) assert.equal(grammarFor(id), undefined, String(id));
  });
});

describe('withinHighlightBounds', () => {
  it('highlights up to MAX_HIGHLIGHT_LINES lines and no more', () => {
    assert.equal(withinHighlightBounds('x\n'.repeat(MAX_HIGHLIGHT_LINES - 1) + 'x'), true);
    assert.equal(withinHighlightBounds('x\n'.repeat(MAX_HIGHLIGHT_LINES)), false);
  });

  it('highlights up to MAX_HIGHLIGHT_CHARS and no more', () => {
    assert.equal(withinHighlightBounds('x'.repeat(MAX_HIGHLIGHT_CHARS)), true);
    assert.equal(withinHighlightBounds('x'.repeat(MAX_HIGHLIGHT_CHARS + 1)), false);
  });
});

describe('highlightTree', () => {
  it('gives token classes for a known language', () => {
    const tree = highlightTree('const a = 1;', 'typescript');
    assert.ok(tree !== undefined);
    assert.deepEqual(describeLine(splitLines(tree)[0] ?? []).filter(([, around]) => around !== ''), [['const', 'hljs-keyword'], ['1', 'hljs-number']]);
  });

  it('leaves code past the bounds plain, in a known language too', () => {
    assert.equal(highlightTree('let a = 1;\n'.repeat(MAX_HIGHLIGHT_LINES + 1), 'typescript'), undefined);
  });

  it('leaves an unknown language plain', () => {
    assert.equal(highlightTree('IDENTIFICATION DIVISION.', 'cobol'), undefined);
  });
});

describe('splitLines', () => {
  it('repeats the classes open across a line break on each line it spans', () => {
    const tree = highlightTree('a = 1 /* one\ntwo\nthree */ + 2', 'javascript');
    assert.ok(tree !== undefined);
    const lines = splitLines(tree).map((line) => describeLine(line));
    assert.equal(lines.length, 3);
    assert.deepEqual(lines[1], [['two', 'hljs-comment']]);
    assert.deepEqual(lines[2]?.[0], ['three */', 'hljs-comment']);
  });

  it('keeps every character but the line breaks, and drops one final empty line', () => {
    const code = 'def f(x):\n    return "a\\nb"\n\nprint(f(1))\n';
    const tree = highlightTree(code, 'python');
    assert.ok(tree !== undefined);
    const lines = splitLines(tree).map((line) => describeLine(line).map(([text]) => text).join(''));
    assert.deepEqual(lines, ['def f(x):', '    return "a\\nb"', '', 'print(f(1))']);
  });
});

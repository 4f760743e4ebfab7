/**
 * Syntax highlighting of code from the network (snippets, fenced blocks), through highlight.js's grammars in
 * lowlight: it answers with a hast tree (elements with class names, text nodes), never with HTML, and this file
 * turns that tree into spans and text nodes. The grammars are a fixed common set; a language id (VS Code's, or a
 * fence's info string) that names none of them, or code too large to be worth the work, shows as plain text. The
 * token classes (`hljs-keyword`, …) are coloured by markdown.css with theme variables only.
 */
import type { ElementContent, Element as HastElement, Root, RootContent } from 'hast';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import lua from 'highlight.js/lib/languages/lua';
import makefile from 'highlight.js/lib/languages/makefile';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import powershell from 'highlight.js/lib/languages/powershell';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { createLowlight } from 'lowlight';

/** Code longer than this (UTF-16 code units) is shown unhighlighted: a bound on the grammar's work per message. */
export const MAX_HIGHLIGHT_CHARS = 64 * 1024;
/** Code of more lines than this is shown unhighlighted, for the same reason. */
export const MAX_HIGHLIGHT_LINES = 2_000;
/** Longest language name looked up (VS Code's ids are short words; longer ones name nothing). */
const MAX_LANGUAGE_CHARS = 64;

const lowlight = createLowlight({
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, lua, makefile, markdown, php,
  powershell, python, ruby, rust, shell, sql, typescript, xml, yaml,
});

/**
 * VS Code language ids (and a few common fence names) whose grammar has another name. A Map, so that a name
 * such as `constructor` finds nothing on a prototype.
 */
const ALIASES = new Map<string, string>([
  ['ts', 'typescript'],
  ['mts', 'typescript'],
  ['cts', 'typescript'],
  ['js', 'javascript'],
  ['mjs', 'javascript'],
  ['cjs', 'javascript'],
  ['py', 'python'],
  ['sh', 'bash'],
  ['zsh', 'bash'],
  // A fence marked `shell` is most often a script; `console` is a session with prompts.
  ['shell', 'bash'],
  ['console', 'shell'],
  ['yml', 'yaml'],
  ['rs', 'rust'],
  ['golang', 'go'],
  ['cs', 'csharp'],
  ['kt', 'kotlin'],
  ['rb', 'ruby'],
  ['md', 'markdown'],
  ['h', 'c'],
  ['hpp', 'cpp'],
  ['cc', 'cpp'],
  ['typescriptreact', 'typescript'],
  ['tsx', 'typescript'],
  ['javascriptreact', 'javascript'],
  ['jsx', 'javascript'],
  ['shellscript', 'bash'],
  ['jsonc', 'json'],
  ['json5', 'json'],
  ['jsonl', 'json'],
  ['html', 'xml'],
  ['vue', 'xml'],
  ['svg', 'xml'],
  ['xsl', 'xml'],
  ['c++', 'cpp'],
  ['cuda-cpp', 'cpp'],
  ['objective-c', 'c'],
  ['objective-cpp', 'cpp'],
  ['c#', 'csharp'],
  ['scss', 'css'],
  ['less', 'css'],
  ['dockercompose', 'yaml'],
  ['toml', 'ini'],
  ['properties', 'ini'],
  ['git-commit', 'markdown'],
  ['patch', 'diff'],
]);

/** The grammar that highlights `languageId` (a VS Code id or a fence's info word), or undefined for plain text. */
export function grammarFor(languageId: string | undefined): string | undefined {
  if (languageId === undefined) return undefined;
  const key = languageId.trim().toLowerCase();
  // `plaintext`, `text`, `log` and the like name no grammar here: plain.
  if (key.length === 0 || key.length > MAX_LANGUAGE_CHARS) return undefined;
  const name = ALIASES.get(key) ?? key;
  return lowlight.registered(name) ? name : undefined;
}

/** Whether `code` is small enough to highlight (MAX_HIGHLIGHT_CHARS, MAX_HIGHLIGHT_LINES). */
export function withinHighlightBounds(code: string): boolean {
  if (code.length > MAX_HIGHLIGHT_CHARS) return false;
  let lines = 1;
  for (let at = code.indexOf('\n'); at >= 0; at = code.indexOf('\n', at + 1)) {
    if (++lines > MAX_HIGHLIGHT_LINES) return false;
  }
  return true;
}

/** The token tree of `code` in `languageId`, or undefined when it is shown plain (unknown language, too large). */
export function highlightTree(code: string, languageId: string | undefined): Root | undefined {
  const grammar = grammarFor(languageId);
  if (grammar === undefined || !withinHighlightBounds(code)) return undefined;
  try {
    return lowlight.highlight(grammar, code);
  } catch {
    return undefined; // a grammar that fails on some input: the code is still shown, plain
  }
}

/**
 * The tree cut into lines: each line holds copies of the elements open across its start, so a comment or string
 * spanning lines keeps its class on every line. No line holds a newline; a final empty line is dropped (code
 * copied from an editor often ends with one).
 */
export function splitLines(root: Root): ElementContent[][] {
  const lines: ElementContent[][] = [[]];
  const ancestors: HastElement[] = [];
  /** Copies of `ancestors` in the current line, made when text first needs them. */
  let chain: HastElement[] = [];
  const container = (): ElementContent[] => {
    while (chain.length < ancestors.length) {
      const source = ancestors[chain.length] as HastElement;
      const copy: HastElement = { type: 'element', tagName: source.tagName, properties: source.properties, children: [] };
      (chain.at(-1)?.children ?? (lines.at(-1) as ElementContent[])).push(copy);
      chain.push(copy);
    }
    return chain.at(-1)?.children ?? (lines.at(-1) as ElementContent[]);
  };
  const visit = (node: RootContent): void => {
    if (node.type === 'text') {
      node.value.split('\n').forEach((part, index) => {
        if (index > 0) {
          lines.push([]);
          chain = [];
        }
        if (part.length > 0) container().push({ type: 'text', value: part });
      });
    } else if (node.type === 'element') {
      ancestors.push(node);
      for (const child of node.children) visit(child);
      ancestors.pop();
      if (chain.length > ancestors.length) chain.length = ancestors.length;
    }
  };
  for (const child of root.children) visit(child);
  if (lines.length > 1 && (lines.at(-1) as ElementContent[]).length === 0) lines.pop();
  return lines;
}

/** A class name a grammar gave (`hljs-title`, `function_`): letters, digits, `_` and `-` only. */
const CLASS_PATTERN = /^[A-Za-z0-9_-]+$/;

function classOf(element: HastElement): string {
  const names: unknown = element.properties.className;
  const list: unknown[] = Array.isArray(names) ? names : typeof names === 'string' ? names.split(/\s+/) : [];
  return list.filter((name): name is string => typeof name === 'string' && CLASS_PATTERN.test(name)).join(' ');
}

/** hast as DOM: every element becomes a span with its classes, every text a text node; nothing is parsed. */
export function hastToDom(nodes: readonly (ElementContent | RootContent)[]): Node[] {
  const out: Node[] = [];
  for (const node of nodes) {
    if (node.type === 'text') out.push(document.createTextNode(node.value));
    else if (node.type === 'element') {
      const span = document.createElement('span');
      const className = classOf(node);
      if (className !== '') span.className = className;
      span.append(...hastToDom(node.children));
      out.push(span);
    }
  }
  return out;
}

/** `code` highlighted (or plain) as the children of a `<code>` element. */
export function highlightedCode(code: string, languageId: string | undefined): Node[] {
  const tree = highlightTree(code, languageId);
  return tree === undefined ? [document.createTextNode(code)] : hastToDom(tree.children);
}

/** `code` as one span per line (highlighted where it can be), for a gutter of line numbers beside it. */
export function codeLines(code: string, languageId: string | undefined): Node[][] {
  const tree = highlightTree(code, languageId);
  if (tree === undefined) {
    const lines = code.split('\n');
    if (lines.length > 1 && lines.at(-1) === '') lines.pop();
    return lines.map((line) => (line.length > 0 ? [document.createTextNode(line)] : []));
  }
  return splitLines(tree).map((line) => hastToDom(line));
}

/**
 * Fenced code blocks in the composer, as pure text arithmetic (no DOM): whether the caret is inside a fence (then
 * Enter breaks the line instead of sending), wrapping the selection in a fence, and turning a multi-line paste from a
 * VS Code editor into a fence of its language. Fences follow CommonMark: a line of at least three backticks or
 * tildes, indented at most three spaces, closed by a line of the same character at least as long.
 */

/** An open fence: its marker run (e.g. "```") and the language written after it ('' when none). */
export interface OpenFence {
  marker: string;
  language: string;
}

const OPENER = /^ {0,3}(`{3,}|~{3,})([^`]*)$/;
const CLOSER = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/**
 * The fence the caret at UTF-16 offset `caret` is inside: opened on a line before it (or before the caret on its
 * line) and not closed before the caret. What follows the caret does not matter, so the caret between the two
 * fences the Code block button inserted is inside.
 */
export function fenceAt(text: string, caret: number): OpenFence | undefined {
  const before = text.slice(0, Math.max(0, Math.min(caret, text.length)));
  let open: OpenFence | undefined;
  for (const line of before.split('\n')) {
    const row = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (open === undefined) {
      const opener = OPENER.exec(row);
      if (opener) open = { marker: opener[1] as string, language: (opener[2] as string).trim() };
      continue;
    }
    const closer = CLOSER.exec(row);
    if (closer && (closer[1] as string)[0] === open.marker[0] && (closer[1] as string).length >= open.marker.length) open = undefined;
  }
  return open;
}

/** A change of the composer's text: the new text and where the selection goes. */
export interface TextEdit {
  value: string;
  selectionStart: number;
  selectionEnd: number;
}

/** A marker longer than any backtick run at the start of a line of `code`, so the code cannot close it early. */
export function fenceMarker(code: string): string {
  let longest = 0;
  for (const match of code.matchAll(/^ {0,3}(`+)/gm)) longest = Math.max(longest, (match[1] as string).length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * Wraps the selection [start, end) in a fence (or inserts an empty one), each fence on its own line; the caret ends
 * inside: on the empty line of a new fence, or after the wrapped text.
 */
export function wrapInFence(value: string, start: number, end: number, language = ''): TextEdit {
  const selected = value.slice(start, end).replace(/\r?\n$/, '');
  const marker = fenceMarker(selected);
  const lead = start > 0 && value[start - 1] !== '\n' ? '\n' : '';
  const trail = end < value.length && value[end] !== '\n' ? '\n' : '';
  const opening = `${lead}${marker}${language}\n`;
  const block = `${opening}${selected}\n${marker}${trail}`;
  const caret = start + opening.length + selected.length;
  return { value: value.slice(0, start) + block + value.slice(end), selectionStart: caret, selectionEnd: caret };
}

/** What VS Code puts on the clipboard beside the text when it is copied from an editor, as far as it matters here. */
export interface EditorClipboardData {
  /** The editor's language id (`typescript`, `python`, …); '' for plain text or an id we do not trust. */
  language: string;
  /** Copied with an empty selection: VS Code copied the whole line. */
  fromEmptySelection: boolean;
}

/** Language ids are short words (`typescript`, `cpp`, `objective-c`, `shellscript`, `c#`): nothing else is kept. */
const LANGUAGE_ID = /^[A-Za-z0-9_.+#-]{1,64}$/;
/** Longer clipboard metadata than this is not VS Code's (its JSON is ~100 bytes), in UTF-16 units. */
const MAX_EDITOR_DATA_CHARS = 4096;

/**
 * Reads the `vscode-editor-data` clipboard entry (`{"version":1,"isFromEmptySelection":false,
 * "multicursorText":null,"mode":"typescript"}`); undefined when it is absent, not JSON, or not of that shape.
 */
export function parseEditorData(raw: string): EditorClipboardData | undefined {
  if (raw === '' || raw.length > MAX_EDITOR_DATA_CHARS) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { version, mode, isFromEmptySelection } = data as Record<string, unknown>;
  if (typeof version !== 'number') return undefined;
  const language = typeof mode === 'string' && LANGUAGE_ID.test(mode) && mode !== 'plaintext' ? mode : '';
  return { language, fromEmptySelection: isFromEmptySelection === true };
}

/**
 * How a paste of `text` at [start, end) of `value` becomes a fenced block, when it should: text copied from a VS
 * Code editor (`editorData`), of more than one line, pasted outside a fence. Undefined: paste as it is.
 */
export function pasteAsFence(value: string, start: number, end: number, text: string, editorData: EditorClipboardData | undefined): TextEdit | undefined {
  if (editorData === undefined) return undefined;
  const code = text.replace(/\r\n/g, '\n').replace(/\n+$/, '');
  if (!code.includes('\n')) return undefined;
  if (fenceAt(value, start) !== undefined) return undefined;
  const edit = wrapInFence(value.slice(0, start) + code + value.slice(end), start, start + code.length, editorData.language);
  // The caret after the closing fence: the block is done, the user writes on.
  const after = edit.value.indexOf('\n', edit.selectionEnd + 1);
  const caret = after === -1 ? edit.value.length : after;
  return { value: edit.value, selectionStart: caret, selectionEnd: caret };
}

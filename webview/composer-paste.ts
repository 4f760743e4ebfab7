/**
 * What a paste into the composer becomes: image files on the clipboard (a screenshot) go to the attachment tray,
 * a multi-line selection copied from a VS Code editor becomes a fenced block of its language, anything else is
 * pasted by the browser as it is.
 */
import { parseEditorData, pasteAsFence } from './code-fence';
import type { ToolkitTextArea } from './toolkit';

export interface PasteTarget {
  input: ToolkitTextArea;
  /** Files from the clipboard, for the attachment tray (it checks their type and size). */
  attachFiles(files: File[]): void;
  /** The composer's text changed (counter, rows, draft). */
  changed(): void;
}

/** The clipboard entry VS Code writes beside the text when copying from an editor. */
export const EDITOR_DATA_TYPE = 'vscode-editor-data';

export function composerOnPaste(event: ClipboardEvent, target: PasteTarget): void {
  const data = event.clipboardData;
  if (data === null) return;
  const files = clipboardFiles(data);
  const text = data.getData('text/plain');
  // A file copied in a file manager also puts its path on the clipboard as text: the image wins, other files
  // lose to the text (and without text, the tray says why they cannot be attached).
  if (files.some((file) => file.type.startsWith('image/')) || (files.length > 0 && text === '')) {
    event.preventDefault();
    target.attachFiles(files);
    return;
  }
  const { start, end } = target.input.selection();
  const edit = pasteAsFence(target.input.value, start, end, text, parseEditorData(data.getData(EDITOR_DATA_TYPE)));
  if (edit === undefined) return;
  event.preventDefault();
  target.input.setText(edit.value, edit.selectionStart, edit.selectionEnd);
  target.changed();
}

/** The files a clipboard holds (`files`, else the file items: browsers fill one or the other). */
export function clipboardFiles(data: DataTransfer): File[] {
  if (data.files.length > 0) return [...data.files];
  const files: File[] = [];
  for (const item of data.items) {
    if (item.kind !== 'file') continue;
    const file = item.getAsFile();
    if (file !== null) files.push(file);
  }
  return files;
}

/**
 * The only module that touches `@vscode/webview-ui-toolkit`. The toolkit is deprecated upstream, so the rest of the
 * webview sees plain `HTMLElement`s made by the helpers below; swapping the toolkit means rewriting this file only.
 *
 * Registered components: `<vscode-button>` and `<vscode-text-area>`. Both render under the panel's strict CSP
 * (their styles go in through adoptedStyleSheets); the page's `<meta property="csp-nonce">` lets FAST's
 * focus-visible probe run, so the focus ring shows for keyboard focus only. Not used on purpose: `<vscode-badge>`
 * (inline style placeholder blocked by CSP) and the determinate `<vscode-progress-ring>` (inline stroke styles).
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeTextArea } from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeTextArea());
}

export type ButtonAppearance = 'primary' | 'secondary';

export interface ButtonOptions {
  id?: string;
  className?: string;
  label: string;
  appearance?: ButtonAppearance;
  /** Tooltip, also the accessible description of what the button does. */
  title?: string;
  /** An icon before the label (an `<svg>` from icons.ts); purely decorative. */
  icon?: SVGElement;
  onClick: () => void;
}

export interface ToolkitButton {
  readonly element: HTMLElement;
  setLabel(label: string): void;
  setDisabled(disabled: boolean): void;
}

export function createButton(options: ButtonOptions): ToolkitButton {
  const element = document.createElement('vscode-button');
  if (options.id !== undefined) element.id = options.id;
  if (options.className !== undefined) element.className = options.className;
  element.setAttribute('appearance', options.appearance ?? 'primary');
  if (options.title !== undefined) element.title = options.title;
  if (options.icon !== undefined) {
    options.icon.setAttribute('slot', 'start');
    element.append(options.icon);
  }
  // A bare text node: the toolkit sizes slotted <span>s as 16px icons.
  const label = document.createTextNode(options.label);
  element.append(label);
  element.addEventListener('click', function buttonOnClick() {
    if (!element.hasAttribute('disabled')) options.onClick();
  });
  return {
    element,
    setLabel(text: string) {
      label.data = text;
    },
    setDisabled(disabled: boolean) {
      element.toggleAttribute('disabled', disabled);
    },
  };
}

export interface TextAreaOptions {
  id: string;
  /** Accessible name; not shown (the placeholder says what to type). */
  label: string;
  placeholder: string;
  rows: number;
}

/** A multi-line text input; `element` is what goes into the page and receives keydown/input events. */
export interface ToolkitTextArea {
  readonly element: HTMLElement;
  value: string;
  setRows(rows: number): void;
  setPlaceholder(text: string): void;
  focus(): void;
  /** Call once the element is in the document: the toolkit overwrites `aria-label` when it connects. */
  mounted(): void;
  /** Where the caret is (UTF-16 offset), or the end of the text before the inner control exists. */
  caret(): number;
  /** Replaces [start, end) of the text with `text` and puts the caret after it. */
  replaceRange(start: number, end: number, text: string): void;
  /** The selection [start, end) (UTF-16 offsets); both the end of the text before the inner control exists. */
  selection(): { start: number; end: number };
  /** Replaces the whole text and selects [start, end). */
  setText(text: string, start: number, end: number): void;
  /** Attributes of the inner <textarea> (combobox semantics for the @ completion). */
  setControlAttributes(attributes: Record<string, string | undefined>): void;
}

interface FastTextArea extends HTMLElement {
  value: string;
  /** The inner `<textarea>` (FAST's ref), once rendered. */
  control?: HTMLTextAreaElement;
}

export function createTextArea(options: TextAreaOptions): ToolkitTextArea {
  const element = document.createElement('vscode-text-area') as FastTextArea;
  element.id = options.id;
  element.setAttribute('rows', String(options.rows));
  element.setAttribute('resize', 'none');
  element.setAttribute('placeholder', options.placeholder);
  return {
    element,
    get value() {
      return element.value ?? '';
    },
    set value(text: string) {
      element.value = text;
      // FAST copies `value` to the inner <textarea> in a batched update; a key typed before that batch runs would
      // bring the old text back through the input handler. Write it through at once.
      if (element.control !== undefined && element.control.value !== text) element.control.value = text;
    },
    setRows(rows: number) {
      if (element.getAttribute('rows') !== String(rows)) element.setAttribute('rows', String(rows));
    },
    setPlaceholder(text: string) {
      element.setAttribute('placeholder', text);
    },
    focus() {
      element.focus();
    },
    mounted() {
      element.setAttribute('aria-label', options.label);
    },
    caret() {
      const control = element.control;
      return control === undefined ? (element.value ?? '').length : control.selectionStart;
    },
    replaceRange(start: number, end: number, text: string) {
      const value = element.value ?? '';
      const next = value.slice(0, start) + text + value.slice(end);
      element.value = next;
      const control = element.control;
      if (control !== undefined) {
        if (control.value !== next) control.value = next;
        const at = start + text.length;
        control.setSelectionRange(at, at);
      }
    },
    selection() {
      const control = element.control;
      if (control === undefined) {
        const end = (element.value ?? '').length;
        return { start: end, end };
      }
      return { start: control.selectionStart, end: control.selectionEnd };
    },
    setText(text: string, start: number, end: number) {
      element.value = text;
      const control = element.control;
      if (control !== undefined) {
        if (control.value !== text) control.value = text;
        control.setSelectionRange(start, end);
      }
    },
    setControlAttributes(attributes: Record<string, string | undefined>) {
      const control = element.control;
      if (control === undefined) return;
      for (const [name, value] of Object.entries(attributes)) {
        if (value === undefined) control.removeAttribute(name);
        else control.setAttribute(name, value);
      }
    },
  };
}

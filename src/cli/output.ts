/** How the CLI prints: readable lines for people, or one JSON object per line for scripts (`--json`). */

export type JsonEvent = { event: string } & Record<string, unknown>;

export class Output {
  constructor(readonly json: boolean) {}

  /** An event: the JSON object with `--json`, else the human line (when there is one). */
  event(event: JsonEvent, human: string | undefined): void {
    if (this.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else if (human !== undefined) process.stdout.write(`${terminalSafe(human)}\n`);
  }

  /** A problem: `{"event":"error",...}` with `--json`, else a line on standard error. */
  error(code: string, message: string, extra: Record<string, unknown> = {}): void {
    if (this.json) process.stdout.write(`${JSON.stringify({ event: 'error', code, message, ...extra })}\n`);
    else process.stderr.write(`! ${terminalSafe(message)}\n`);
  }

  /** Diagnostics that are not events: always standard error, so standard output stays parseable. */
  log(message: string): void {
    process.stderr.write(`${terminalSafe(message)}\n`);
  }
}

/**
 * A line as a terminal may show it: every control character but line feed and tab (C0, DEL and C1) becomes U+FFFD.
 * Text from the network reaches these lines, and an escape sequence in it could recolour or retitle the terminal,
 * write the clipboard (OSC 52), make a link (OSC 8), or a carriage return overwrite the line with a forged sender.
 * The JSON events keep the text as it came: a script reads it as data.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** `[HH:MM]` in local time, as chat logs show it. */
export function clock(ms: number = Date.now()): string {
  const date = new Date(ms);
  return `[${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}]`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

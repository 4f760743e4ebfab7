/** Pure formatting helpers: times, sizes, statistics. Locale from the webview (VS Code's display language). */
import type { StatsView } from '../src/shared/panel-messages';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
const dayWithYearFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' });
const numberFormat = new Intl.NumberFormat(undefined);
const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** "14:05", local time. */
export function formatTime(ms: number): string {
  return timeFormat.format(ms);
}

/** "Tuesday, 25 November 2025 at 14:05:09", for tooltips. */
export function formatFullDate(ms: number): string {
  return fullFormat.format(ms);
}

/** "25 Nov 2025, 14:05": a moment anywhere in the history (search results). */
export function formatDayTime(ms: number): string {
  return dayTimeFormat.format(ms);
}

/** ISO 8601 for `<time datetime>`; empty for a time the Date cannot hold. */
export function isoDate(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** A local calendar day as a comparable key. */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Tuesday, 25 November" (with the year when it is not this year). */
export function formatDay(ms: number, now = Date.now()): string {
  return new Date(ms).getFullYear() === new Date(now).getFullYear() ? dayFormat.format(ms) : dayWithYearFormat.format(ms);
}

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

/** "820 B", "14.2 KB", "1.3 MB" (1024-based, like the editor's file sizes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatCount(Math.round(bytes))} B`;
  if (bytes < 1024 * 1024) return `${oneDecimal.format(bytes / 1024)} KB`;
  return `${oneDecimal.format(bytes / (1024 * 1024))} MB`;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)} %`;
}

/** "round trip 1.2 ms · loss 0.0 % · 3 retransmissions". */
export function formatStats(stats: StatsView): string {
  const rtt = stats.rttMs === undefined ? 'round trip —' : `round trip ${oneDecimal.format(stats.rttMs)} ms`;
  const loss = `loss ${oneDecimal.format(stats.lossPercent)} %`;
  const n = stats.retransmitted;
  const retransmissions = `${formatCount(n)} ${n === 1 ? 'retransmission' : 'retransmissions'}`;
  return `${rtt} · ${loss} · ${retransmissions}`;
}

/** Bytes `text` takes in UTF-8, without allocating (called on every keystroke). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3; // lone surrogate: encoded as U+FFFD
    } else bytes += 3;
  }
  return bytes;
}

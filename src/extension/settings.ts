/** Typed access to the `udpChat.*` settings (declared in package.json `contributes.configuration`). */
import * as vscode from 'vscode';
import type { CompressOptions } from '../image';
import { DEFAULT_COMPRESS_OPTIONS } from '../image';
import { DEFAULT_RETENTION, type Retention } from '../history/store';
import { DEFAULT_PORT, DEFAULT_ROOM } from '../protocol/constants';
import type { HistorySettings } from './session-history';
import { DEFAULT_NOTIFY_ON, LEGACY_NOTIFY_ON, notifyOn, type NotifyOn } from './notification-policy';

export const SECTION = 'udpChat';

export type { NotifyOn } from './notification-policy';

export interface Settings {
  name: string;
  relay: string;
  room: string;
  hostPort: number;
  hostAddress: string;
  acceptLegacy: boolean;
  /** What the relay hosted here keeps (`hostHistory`, `hostHistoryDays`, `hostHistoryMegabytesPerRoom`); undefined: nothing. */
  hostHistory: Retention | undefined;
  image: CompressOptions;
  saveFolder: string;
  /** Bytes of images the extension may keep per folder (`image.saveQuotaMB`); its oldest are deleted first. */
  saveQuotaBytes: number;
  notifications: NotifyOn;
  /** `history.*`: whether rooms are kept locally, and how much of each. */
  history: HistorySettings;
}

/** Default disk quota for saved images, MB: a few thousand chat-sized JPEGs. */
export const DEFAULT_SAVE_QUOTA_MB = 500;
/** Local history per room: a year of a busy team room fits in 100,000 messages; 90 days; 512 MB. */
export const DEFAULT_HISTORY_MESSAGES = 100_000;
export const DEFAULT_HISTORY_DAYS = 90;
export const DEFAULT_HISTORY_MB = 512;
const DAY_MS = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;
/** The hosted relay keeps what `udp-chat relay` keeps by default: 30 days, 64 MB per room. */
export const DEFAULT_HOST_HISTORY_DAYS = DEFAULT_RETENTION.maxAgeMs / DAY_MS;
export const DEFAULT_HOST_HISTORY_MB = DEFAULT_RETENTION.maxRoomBytes / MIB;

function clampInt(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    name: config.get<string>('name', '').trim(),
    relay: config.get<string>('relay', `127.0.0.1:${DEFAULT_PORT}`).trim(),
    room: config.get<string>('room', DEFAULT_ROOM).trim() || DEFAULT_ROOM,
    hostPort: clampInt(config.get('hostPort'), 1, 65_535, DEFAULT_PORT),
    hostAddress: config.get<string>('hostAddress', '0.0.0.0').trim() || '0.0.0.0',
    acceptLegacy: config.get<boolean>('acceptLegacy', false),
    hostHistory: config.get<boolean>('hostHistory', true)
      ? {
          maxAgeMs: clampInt(config.get('hostHistoryDays'), 1, 36_500, DEFAULT_HOST_HISTORY_DAYS) * DAY_MS,
          maxRoomBytes: clampInt(config.get('hostHistoryMegabytesPerRoom'), 1, 1_000_000, DEFAULT_HOST_HISTORY_MB) * MIB,
        }
      : undefined,
    image: {
      maxWidth: clampInt(config.get('image.maxWidth'), 16, 8192, DEFAULT_COMPRESS_OPTIONS.maxWidth),
      maxHeight: clampInt(config.get('image.maxHeight'), 16, 8192, DEFAULT_COMPRESS_OPTIONS.maxHeight),
      quality: clampInt(config.get('image.quality'), 1, 100, DEFAULT_COMPRESS_OPTIONS.quality),
      maxInputPixels: clampInt(config.get('image.maxMegapixels'), 1, 500, DEFAULT_COMPRESS_OPTIONS.maxInputPixels / 1e6) * 1e6,
    },
    saveFolder: config.get<string>('saveFolder', '').trim(),
    saveQuotaBytes: clampInt(config.get('image.saveQuotaMB'), 1, 1_000_000, DEFAULT_SAVE_QUOTA_MB) * 1024 * 1024,
    notifications: notifyOn(config.get<string>('notifications', DEFAULT_NOTIFY_ON)),
    history: {
      enabled: config.get<boolean>('history.enabled', true),
      retention: {
        maxEntries: clampInt(config.get('history.maxMessagesPerRoom'), 100, 10_000_000, DEFAULT_HISTORY_MESSAGES),
        maxAgeMs: clampInt(config.get('history.days'), 1, 36_500, DEFAULT_HISTORY_DAYS) * DAY_MS,
        maxBytes: clampInt(config.get('history.maxMegabytesPerRoom'), 1, 1_000_000, DEFAULT_HISTORY_MB) * 1024 * 1024,
      },
    },
  };
}

/**
 * Rewrites a former value of `udpChat.notifications` (whenHidden, always, never) where the user set it (user,
 * workspace or folder settings) as its current equivalent, so the Settings editor shows no invalid value.
 * `readSettings` translates them anyway; this only tidies the files. Never throws.
 */
export async function migrateNotificationsSetting(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect<string>('notifications');
  if (!inspected) return;
  const targets: Array<[unknown, vscode.ConfigurationTarget]> = [
    [inspected.globalValue, vscode.ConfigurationTarget.Global],
    [inspected.workspaceValue, vscode.ConfigurationTarget.Workspace],
    [inspected.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder],
  ];
  for (const [value, target] of targets) {
    if (typeof value !== 'string' || !Object.hasOwn(LEGACY_NOTIFY_ON, value)) continue;
    try {
      await config.update('notifications', LEGACY_NOTIFY_ON[value], target);
    } catch {
      // A folder setting outside a folder scope, a read-only file: readSettings still translates the value.
    }
  }
}

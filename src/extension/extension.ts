/** The extension's entry point: activate() builds everything, deactivate() leaves nothing behind. */
import type * as vscode from 'vscode';
import { UdpChat } from './controller';

let instance: UdpChat | undefined;

/**
 * When this bundle began to run (ms, performance.now(); esbuild.mjs puts the mark at its first line) and when it
 * had run up to here: evaluating the bundle is part of what activation costs the extension host.
 */
const bundleStart = (globalThis as { __udpChatBundleStart?: number }).__udpChatBundleStart;
const loadedAt = performance.now();
const loadMs = bundleStart === undefined ? 0 : loadedAt - bundleStart;

/** What activate() returns: the running parts, for integration tests and other extensions. */
export interface UdpChatApi {
  readonly chat: UdpChat;
  /**
   * How long activation kept the extension host busy (ms): evaluating this bundle, then activate() itself, as the
   * integration suite prints it. VS Code's own work between the two (reading the file, other extensions) is not.
   */
  readonly activationMs: number;
  /** Of activationMs, evaluating the bundle (ms). */
  readonly loadMs: number;
}

export function activate(context: vscode.ExtensionContext): UdpChatApi {
  const calledAt = performance.now();
  instance = new UdpChat(context);
  context.subscriptions.push({ dispose: () => void instance?.shutdown() });
  return { chat: instance, activationMs: loadMs + (performance.now() - calledAt), loadMs };
}

export async function deactivate(): Promise<void> {
  const running = instance;
  instance = undefined;
  await running?.shutdown();
}

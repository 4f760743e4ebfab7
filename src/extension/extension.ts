/** The extension's entry point: activate() builds everything, deactivate() leaves nothing behind. */
import type * as vscode from 'vscode';
import { UdpChat } from './controller';

let instance: UdpChat | undefined;

/** What activate() returns: the running parts, for integration tests and other extensions. */
export interface UdpChatApi {
  readonly chat: UdpChat;
}

export function activate(context: vscode.ExtensionContext): UdpChatApi {
  instance = new UdpChat(context);
  context.subscriptions.push({ dispose: () => void instance?.shutdown() });
  return { chat: instance };
}

export async function deactivate(): Promise<void> {
  const running = instance;
  instance = undefined;
  await running?.shutdown();
}

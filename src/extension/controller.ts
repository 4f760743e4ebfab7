/**
 * What the extension does when a command runs: joining, sending images, hosting the relay. Owns the chat
 * session, the hosted relay, the image compressor, the status bar and the panel, and disposes all of them.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { ChatClientError } from '../client/client';
import { ReplayMarkFiles } from '../files/replay-mark-files';
import { RELAY_HISTORY_FILE } from '../history/data-dir';
import { ImageCompressor, ImageError } from '../image';
import { formatHostPort, parseHostPort } from '../protocol/address';
import { checkName, checkRoom } from '../protocol/names';
import { Attachments } from './attachments';
import { ChatPanel } from './chat-panel';
import { defaultUserName, isPassphraseRefusal, passphraseSecretKey } from './join-helpers';
import { panelActions } from './panel-actions';
import { ChatSession, type JoinParameters, type SessionFailure } from './chat-session';
import { COMMANDS, IMAGE_EXTENSIONS } from './commands';
import { clearRoomHistory, historyConfig, type ClearHistoryArguments } from './history-commands';
import { Disposable } from './dispose';
import { FILE_NAME_MAX_CHARS, NAME_MAX_CHARS, plainText, quoted, REASON_MAX_CHARS } from './plain-text';
import { KnownRelays } from './known-relays';
import { isLocalHost, RelayHost, RelayHostError } from './relay-host';
import { migrateNotificationsSetting, readSettings } from './settings';
import { ChatNotifications } from './chat-notifications';
import { ChatSurfaces } from './chat-surfaces';
import { StatusBar } from './status-bar';
import { SNIPPET_SCHEME, SnippetDocuments } from './open-snippet';
import { shareSelection } from './share-selection';

/** Arguments that let scripts and tests run Join without prompts. */
export interface JoinArguments {
  name?: string;
  relay?: string;
  room?: string;
  /** The room passphrase; '' joins an open (unencrypted) room. Undefined: the stored one, else asked. */
  passphrase?: string;
  /**
   * Ask for the passphrase even when one is stored (the box starts with the stored one): after the relay said it
   * does not open the room. The stored one is replaced only by what the user enters, never deleted on a remote
   * party's word.
   */
  askPassphrase?: boolean;
}

const LAST_NAME_KEY = 'udpChat.lastName';
const LAST_RELAY_KEY = 'udpChat.lastRelay';
/** How long (ms) Join waits for a local relay before offering to host one here. */
const NO_ANSWER_MS = 1500;
/** How long (ms) after the chat connects the image worker starts: after the first paint and the join's own work. */
const IMAGE_WARM_DELAY_MS = 2_000;

export class UdpChat extends Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly session: ChatSession;
  readonly relayHost: RelayHost;
  readonly #context: vscode.ExtensionContext;
  #compressor: ImageCompressor | undefined;
  #warmTimer: NodeJS.Timeout | undefined;
  readonly #notifications: ChatNotifications;
  readonly surfaces: ChatSurfaces;
  readonly #knownRelays: KnownRelays;
  readonly #attachments: Attachments;
  readonly #snippetDocuments = new SnippetDocuments();

  constructor(context: vscode.ExtensionContext) {
    super();
    this.#context = context;
    this.log = this.register(vscode.window.createOutputChannel('UDP Chat', { log: true }));
    const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string): void => this.log[level](message);
    this.#knownRelays = new KnownRelays(context.globalState, (message) => log('info', message));
    this.session = new ChatSession({
      saveDir: () => readSettings().saveFolder || path.join(context.globalStorageUri.fsPath, 'images'),
      sentDir: () => path.join(context.globalStorageUri.fsPath, 'sent-images'),
      saveQuotaBytes: () => readSettings().saveQuotaBytes,
      imageSrc: (file) => this.surfaces?.imageSrc(file),
      compressor: () => this.#imageCompressor(),
      imageOptions: () => readSettings().image,
      log,
      history: historyConfig(context),
      // Replay marks per relay and room: a relay cannot replay what was opened before VS Code restarted.
      clientOptions: { relayIdentity: this.#knownRelays.clientOptions(), replayMarks: new ReplayMarkFiles(path.join(context.globalStorageUri.fsPath, 'replay')) },
    });
    const identityFile = path.join(context.globalStorageUri.fsPath, 'relay-identity.key');
    const historyFile = path.join(context.globalStorageUri.fsPath, RELAY_HISTORY_FILE);
    this.relayHost = new RelayHost((level, message) => log(level, `relay: ${message}`), { identityFile, historyFile });
    this.#attachments = new Attachments({
      folder: path.join(context.globalStorageUri.fsPath, 'attachments'),
      compressor: () => this.#imageCompressor(),
      imageOptions: () => readSettings().image,
      imageSrc: (file) => this.surfaces?.imageSrc(file),
      send: (image, original) => this.session.sendCompressedImage(image, original),
      log,
    });
    const statusBar = this.register(new StatusBar(this.relayHost, this.session, () => readSettings().hostPort));
    this.surfaces = this.register(
      new ChatSurfaces({
        extensionUri: context.extensionUri,
        globalState: context.globalState,
        session: this.session,
        log: this.log,
        actions: this.#panelActions(),
        attachments: this.#attachments,
        unreadChanged: (unread) => statusBar.setUnread(unread),
      }),
    );
    this.#notifications = new ChatNotifications({
      mode: () => readSettings().notifications,
      attention: () => ({ chatVisible: this.surfaces.visible, windowFocused: this.surfaces.windowFocused }),
      openChat: () => void this.openChat(),
      reply: (id) => void this.surfaces.reply(id),
    });
    void migrateNotificationsSetting();
    this.session.on('incoming', (notice) => this.#notifications.incoming(notice));
    this.session.on('failed', this.#sessionOnFailed);
    // Context keys for package.json `when` clauses (palette entries that only make sense in some states).
    this.relayHost.on('changed', (relay) => void vscode.commands.executeCommand('setContext', 'udpChat.relayHosted', relay !== undefined));
    this.session.on('connection', (state) => {
      void vscode.commands.executeCommand('setContext', 'udpChat.joined', state !== 'disconnected' && state !== 'closed');
      if (state === 'connected') this.#warmImagesSoon();
    });

    this.register(vscode.commands.registerCommand(COMMANDS.join, (args?: JoinArguments) => this.join(args)));
    this.register(vscode.commands.registerCommand(COMMANDS.leave, () => this.session.leave()));
    this.register(
      vscode.commands.registerCommand(COMMANDS.sendImage, (uri?: vscode.Uri, selected?: vscode.Uri[]) => this.sendImage(uri, selected)),
    );
    this.register(vscode.commands.registerCommand(COMMANDS.hostRelay, () => this.hostRelay()));
    this.register(vscode.commands.registerCommand(COMMANDS.stopRelay, () => this.relayHost.stop()));
    this.register(vscode.commands.registerCommand(COMMANDS.openChat, () => this.openChat()));
    this.register(vscode.commands.registerCommand(COMMANDS.openChatInEditor, () => this.openChatInEditor()));
    this.register(vscode.commands.registerCommand(COMMANDS.relayActions, () => this.relayActions()));
    this.register(vscode.commands.registerCommand(COMMANDS.copyRelayAddress, () => this.copyRelayAddress()));
    this.register(vscode.commands.registerCommand(COMMANDS.showLog, () => this.log.show()));
    this.register(vscode.commands.registerCommand(COMMANDS.clearRoomHistory, (args?: ClearHistoryArguments) => clearRoomHistory(this.session, this.log, args)));
    this.register(vscode.commands.registerCommand(COMMANDS.shareSelection, () => shareSelection({ session: this.session, join: () => this.join() })));
    this.register(vscode.workspace.registerTextDocumentContentProvider(SNIPPET_SCHEME, this.#snippetDocuments));
    this.register(
      vscode.window.registerWebviewPanelSerializer(ChatPanel.viewType, {
        deserializeWebviewPanel: async (panel) => {
          ChatPanel.revive(panel, this.surfaces.context);
        },
      }),
    );
  }

  #imageCompressor(): ImageCompressor {
    this.#compressor ??= new ImageCompressor({ workerPath: path.join(this.#context.extensionPath, 'dist', 'image-worker.js') });
    return this.#compressor;
  }

  /**
   * Once the chat is open and has painted, the image worker starts in the background, so that the first Send Image
   * is as fast as the rest (cold, a 12 MP photo took 1,160 ms; warm, ~200 ms). It stays up for the compressor's
   * idle time (2 minutes), then frees its memory.
   */
  #warmImagesSoon(): void {
    if (this.#warmTimer || this.#compressor?.workerStarted) return;
    this.#warmTimer = setTimeout(() => {
      this.#warmTimer = undefined;
      void this.#imageCompressor().warm();
    }, IMAGE_WARM_DELAY_MS);
  }

  /** Stops everything: leaves the room, stops the relay, ends the image worker. */
  async shutdown(): Promise<void> {
    if (this.#warmTimer) clearTimeout(this.#warmTimer);
    this.#warmTimer = undefined;
    ChatPanel.current?.dispose();
    await Promise.allSettled([this.#attachments.dispose(), this.session.dispose(), this.relayHost.stop(), this.#compressor?.dispose()]);
    this.dispose();
  }

  // ---- commands ----------------------------------------------------------------------------------------------

  /** Shows the chat view (its container opened wherever the user put it). */
  async openChat(): Promise<void> {
    await this.surfaces.openView();
  }

  /** Shows the chat in an editor tab: one panel, however often it is asked for. */
  openChatInEditor(): ChatPanel {
    return this.surfaces.openInEditor();
  }

  /** Asks for a name and a relay (unless given), opens the panel and joins. Resolves true once ready. */
  async join(args: JoinArguments = {}): Promise<boolean> {
    const settings = readSettings();
    const state = this.#context.globalState;
    const name =
      args.name ??
      (await vscode.window.showInputBox({
        title: 'UDP Chat: Join (1/2)',
        prompt: 'Your name in the room',
        value: settings.name || state.get<string>(LAST_NAME_KEY) || defaultUserName(),
        ignoreFocusOut: true,
        validateInput: (value) => {
          const check = checkName(value);
          return check.ok ? undefined : `A name ${check.reason.replace(/^a name /, '')}`;
        },
      }));
    if (name === undefined) return false;
    const relayText =
      args.relay ??
      (await vscode.window.showInputBox({
        title: 'UDP Chat: Join (2/2)',
        prompt: 'Relay address (HOST:PORT)',
        value: state.get<string>(LAST_RELAY_KEY) || settings.relay,
        ignoreFocusOut: true,
        validateInput: (value) => {
          const parsed = parseHostPort(value);
          return parsed.ok ? undefined : parsed.reason;
        },
      }));
    if (relayText === undefined) return false;
    const relay = parseHostPort(relayText);
    const checkedName = checkName(name);
    const room = checkRoom(args.room ?? settings.room);
    if (!relay.ok || !checkedName.ok || !room.ok) {
      const reason = !relay.ok ? relay.reason : !checkedName.ok ? checkedName.reason : !room.ok ? room.reason : '';
      void vscode.window.showErrorMessage(`UDP Chat: cannot join: ${plainText(reason, REASON_MAX_CHARS)}.`);
      return false;
    }
    const secretKey = passphraseSecretKey(relay.host, relay.port, room.value);
    const stored = await this.#context.secrets.get(secretKey);
    const asked = (): Thenable<string | undefined> =>
      vscode.window.showInputBox({
        title: `UDP Chat: Join ${room.value} (3/3)`,
        prompt: `Passphrase of room "${room.value}": the room is end-to-end encrypted with it. Leave empty for an open, unencrypted room.`,
        value: stored,
        password: true,
        ignoreFocusOut: true,
      });
    const passphrase = args.passphrase ?? (args.askPassphrase ? await asked() : (stored ?? (await asked())));
    if (passphrase === undefined) return false;
    await state.update(LAST_NAME_KEY, checkedName.value);
    await state.update(LAST_RELAY_KEY, formatHostPort(relay.host, relay.port));
    // Kept in the OS keychain through SecretStorage, never in settings; an empty one means an open room.
    if (passphrase) await this.#context.secrets.store(secretKey, passphrase);
    // The view open, or the panel if that is where the chat is shown.
    if (ChatPanel.current?.visible) ChatPanel.current.reveal();
    else void this.openChat();
    const params = { relayHost: relay.host, relayPort: relay.port, name: checkedName.value, room: room.value, passphrase };
    return this.#connect(params);
  }

  async #connect(params: JoinParameters): Promise<boolean> {
    const joining = this.session.join(params);
    let settled = false;
    joining.then(
      () => (settled = true),
      () => (settled = true),
    );
    if (isLocalHost(params.relayHost) && !this.relayHost.current) {
      await Promise.race([joining.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, NO_ANSWER_MS))]);
      if (!settled) void this.#offerToHost(params);
    }
    try {
      await joining;
      return true;
    } catch (error) {
      if (!(error instanceof ChatClientError)) throw error;
      // Left (Cancel, Leave) or replaced by another Join while joining: the user asked for it, nothing to say.
      if (error.code === 'closed') return false;
      if (error.code === RELAY_KEY_CHANGED) {
        void this.#offerNewRelayKey(params);
        return false;
      }
      if (isPassphraseRefusal(error.code)) {
        // Not tried again silently, and not deleted either: the user's secret is theirs to replace.
        void vscode.window.showErrorMessage(`UDP Chat: ${plainText(error.message, REASON_MAX_CHARS)}`, 'Join Again').then((choice) => {
          if (choice === 'Join Again') void this.join({ ...this.#joinAgainArgumentsFor(params), askPassphrase: true });
        });
        return false;
      }
      void vscode.window.showErrorMessage(
        `UDP Chat: could not join ${plainText(params.room, NAME_MAX_CHARS)}: ${plainText(error.message, REASON_MAX_CHARS)}`,
      );
      return false;
    }
  }

  async #offerToHost(params: JoinParameters): Promise<void> {
    const address = formatHostPort(params.relayHost, params.relayPort);
    const choice = await vscode.window.showWarningMessage(
      `No UDP Chat relay answers at ${address}. Host one here?`,
      'Host Relay Here',
      'Keep Trying',
      'Cancel',
    );
    if (choice === 'Host Relay Here') {
      await this.hostRelay(params.relayPort);
    } else if (choice === 'Cancel' && this.session.connection !== 'connected') {
      await this.session.leave();
    }
  }

  /** Sends one or more image files (from the Explorer, or asks for them). */
  async sendImage(uri?: vscode.Uri, selected?: vscode.Uri[]): Promise<string[]> {
    let files = (selected && selected.length > 0 ? selected : uri ? [uri] : []).filter((file) => file.scheme === 'file');
    if (files.length === 0) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: true,
        openLabel: 'Send',
        title: 'UDP Chat: Send Image',
        filters: { Images: [...IMAGE_EXTENSIONS] },
      });
      if (!picked) return [];
      files = picked;
    }
    if (!this.session.joined) {
      const choice = await vscode.window.showWarningMessage('Join a UDP Chat room before sending an image.', 'Join');
      if (choice !== 'Join' || !(await this.join())) return [];
    }
    const ids: string[] = [];
    for (const file of files) {
      const id = await this.#sendOneImage(file.fsPath);
      if (id) ids.push(id);
    }
    return ids;
  }

  async #sendOneImage(file: string): Promise<string | undefined> {
    const label = quoted(path.basename(file), FILE_NAME_MAX_CHARS);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `UDP Chat: ${label}`, cancellable: false },
      async (progress) => {
        try {
          const id = await this.session.sendImageFile(file, (stage) =>
            progress.report({ message: stage === 'compressing' ? 'compressing…' : 'sending…' }),
          );
          let reported = 0;
          const delivery = await this.session.waitForDelivery(id, (fraction) => {
            const percent = Math.round(fraction * 100);
            if (percent > reported) {
              progress.report({ message: `sending… ${percent} %`, increment: percent - reported });
              reported = percent;
            }
          });
          if (delivery.state === 'failed') {
            void vscode.window.showErrorMessage(
              `UDP Chat: ${label} was not delivered: ${plainText(delivery.reason ?? 'unknown reason', REASON_MAX_CHARS)}.`,
            );
          }
          return id;
        } catch (error) {
          const reason = error instanceof ImageError || error instanceof ChatClientError ? error.message : String(error);
          this.log.error(`sending ${file}: ${reason}`);
          void vscode.window.showErrorMessage(`UDP Chat: cannot send ${label}: ${plainText(reason, REASON_MAX_CHARS)}`);
          return undefined;
        }
      },
    );
  }

  /** Hosts the relay in this extension host. Resolves true when it is listening. */
  async hostRelay(port?: number): Promise<boolean> {
    const settings = readSettings();
    try {
      const relay = await this.relayHost.start({ host: settings.hostAddress, port: port ?? settings.hostPort, acceptLegacy: settings.acceptLegacy, history: settings.hostHistory });
      const address = this.relayHost.shareableAddress() ?? `port ${relay.port}`;
      void vscode.window.showInformationMessage(`UDP Chat relay running. Others join with ${address}.`, 'Copy Address').then((choice) => {
        if (choice === 'Copy Address') void this.copyRelayAddress();
      });
      return true;
    } catch (error) {
      const reason = error instanceof RelayHostError ? error.message : String(error);
      this.log.error(reason);
      void vscode.window.showErrorMessage(`UDP Chat: ${plainText(reason, REASON_MAX_CHARS)}`);
      return false;
    }
  }

  async relayActions(): Promise<void> {
    const relay = this.relayHost.current;
    if (!relay) {
      await this.hostRelay();
      return;
    }
    const address = this.relayHost.shareableAddress() ?? '';
    const items: Array<vscode.QuickPickItem & { run: () => unknown }> = [
      { label: '$(copy) Copy Address', description: address, run: () => this.copyRelayAddress() },
      { label: '$(debug-stop) Stop Relay', description: `${relay.members} member(s) will be told`, run: () => this.relayHost.stop() },
    ];
    if (!this.session.joined) {
      items.push({ label: '$(comment-discussion) Join This Relay', run: () => this.join({ relay: formatHostPort('127.0.0.1', relay.port) }) });
    }
    const picked = await vscode.window.showQuickPick(items, { title: `UDP Chat relay on port ${relay.port}` });
    await picked?.run();
  }

  async copyRelayAddress(): Promise<void> {
    const address = this.relayHost.shareableAddress();
    if (!address) {
      void vscode.window.showWarningMessage('UDP Chat: no relay is hosted here.');
      return;
    }
    await vscode.env.clipboard.writeText(address);
    void vscode.window.showInformationMessage(`Copied ${address}`);
  }

  // ---- panel and notifications -------------------------------------------------------------------------------

  #panelActions() {
    return panelActions({
      session: this.session,
      join: (args) => void this.join(args),
      joinAgain: () => void this.join(this.#joinAgainArguments()),
      pickImage: () => void this.sendImage(),
      snippetDocuments: this.#snippetDocuments,
    });
  }

  /** The same room, relay and name as last time (the passphrase from the keychain): Join asks for nothing else. */
  #joinAgainArguments(): JoinArguments {
    const params = this.session.parameters;
    return params ? this.#joinAgainArgumentsFor(params) : {};
  }

  /**
   * The relay proved another identity than the one pinned for its address: a modal warning, and only the user's
   * "Trust New Key" replaces the pin (then joins again). Nothing in it comes from the network but fingerprints we
   * computed; the address is the user's, made plain text anyway.
   */
  async #offerNewRelayKey(params: JoinParameters): Promise<void> {
    const relay = formatHostPort(params.relayHost, params.relayPort);
    const change = this.#knownRelays.change(relay);
    if (!change) return;
    const choice = await vscode.window.showWarningMessage(
      `The relay at ${plainText(relay, NAME_MAX_CHARS)} has a different identity than before ` +
        `(was ${plainText(change.expected, NAME_MAX_CHARS)}, now ${plainText(change.offered, NAME_MAX_CHARS)}). Someone may be impersonating it.`,
      { modal: true, detail: 'Trust the new key only if you know the relay was reinstalled or its key replaced.' },
      TRUST_NEW_KEY,
    );
    if (choice !== TRUST_NEW_KEY) return;
    await this.#knownRelays.trust(change);
    void this.join(this.#joinAgainArgumentsFor(params));
  }

  #joinAgainArgumentsFor(params: JoinParameters): JoinArguments {
    return { name: params.name, relay: formatHostPort(params.relayHost, params.relayPort), room: params.room };
  }

  /** A rejoin the relay refused (the panel and the status bar say so too): one notification with Join Again. */
  #sessionOnFailed = (failure: SessionFailure): void => {
    if (failure.code === RELAY_KEY_CHANGED) return void this.#offerNewRelayKey(failure.params);
    // After a passphrase refusal Join Again asks (starting from the stored one) rather than deleting it.
    const askPassphrase = isPassphraseRefusal(failure.code);
    const room = plainText(failure.params.room, NAME_MAX_CHARS);
    const why = plainText(failure.message, REASON_MAX_CHARS);
    void vscode.window.showErrorMessage(`UDP Chat: disconnected from ${room}: ${why}`, 'Join Again').then((choice) => {
      if (choice === 'Join Again') void this.join({ ...this.#joinAgainArgumentsFor(failure.params), askPassphrase });
    });
  };
}

/** The client's problem code for a relay whose identity is not the pinned one. */
const RELAY_KEY_CHANGED = 'relay-key-changed';
/** The modal's one button besides VS Code's own Cancel. */
const TRUST_NEW_KEY = 'Trust New Key';

/** Command ids. Every one is contributed in package.json and registered in activate(); a test checks both ways. */
export const COMMANDS = {
  join: 'udpChat.join',
  leave: 'udpChat.leave',
  sendImage: 'udpChat.sendImage',
  hostRelay: 'udpChat.hostRelay',
  stopRelay: 'udpChat.stopRelay',
  openChat: 'udpChat.openChat',
  openChatInEditor: 'udpChat.openChatInEditor',
  relayActions: 'udpChat.relayActions',
  copyRelayAddress: 'udpChat.copyRelayAddress',
  showLog: 'udpChat.showLog',
  clearRoomHistory: 'udpChat.clearRoomHistory',
  shareSelection: 'udpChat.shareSelection',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Image files the Explorer offers "Send Image" for: what jimp reads. */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'bmp', 'tif', 'tiff'] as const;

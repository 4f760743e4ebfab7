import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { COMMANDS } from '../../../src/extension/commands';
import { DEFAULT_RETENTION } from '../../../src/history/store';

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> };
  };
};
const source = (file: string): string => fs.readFileSync(path.join(root, 'src/extension', file), 'utf8');

describe('package.json contributions', () => {
  const contributed = manifest.contributes.commands.map((entry) => entry.command).sort();
  const known = Object.values(COMMANDS).sort();

  it('contributes exactly the commands the extension knows', () => {
    assert.deepEqual(contributed, known);
  });

  it('registers every known command in the controller', () => {
    const controller = source('controller.ts');
    for (const [key, id] of Object.entries(COMMANDS)) {
      assert.ok(controller.includes(`registerCommand(COMMANDS.${key},`), `${id} is not registered`);
    }
  });

  it('puts every command in the UDP Chat category with a title', () => {
    for (const entry of manifest.contributes.commands) {
      assert.equal(entry.category, 'UDP Chat');
      assert.ok(entry.title.length > 0);
    }
  });

  it('activates only on its commands, its chat view and a restored panel, never on startup', () => {
    assert.ok(!manifest.activationEvents.includes('*'));
    assert.ok(!manifest.activationEvents.some((event) => event.startsWith('onStartup')));
    const expected = [...known.map((id) => `onCommand:${id}`), 'onWebviewPanel:udpChat.chat', 'onView:udpChat.chatView'].sort();
    assert.deepEqual([...manifest.activationEvents].sort(), expected);
  });

  it('offers Send Image in the Explorer for the image types jimp reads only', () => {
    const entry = manifest.contributes.menus['explorer/context']?.find((item) => item.command === COMMANDS.sendImage);
    assert.ok(entry?.when);
    const pattern = /resourceExtname =~ \/(.+)\/i/.exec(entry.when)?.[1];
    assert.ok(pattern, entry.when);
    const matches = new RegExp(pattern.replace(/\\\\/g, '\\'), 'i');
    for (const extension of ['.png', '.jpg', '.jpeg', '.JPG', '.gif', '.bmp', '.tif', '.tiff']) assert.ok(matches.test(extension), extension);
    for (const extension of ['.heic', '.svg', '.webp', '.txt', '.pngx']) assert.ok(!matches.test(extension), extension);
  });

  it('describes every setting, and declares every setting the code reads', () => {
    const properties = manifest.contributes.configuration.properties;
    for (const [key, property] of Object.entries(properties)) {
      assert.ok(key.startsWith('udpChat.'), key);
      assert.ok((property.description ?? property.markdownDescription ?? '').length > 10, `${key} has no description`);
    }
    const read = [...source('settings.ts').matchAll(/config\.get(?:<[^>]+>)?\('([^']+)'/g)].map((match) => `udpChat.${match[1]}`);
    assert.ok(read.length >= 10);
    for (const key of read) assert.ok(key in properties, `${key} is read but not declared`);
    for (const key of Object.keys(properties)) assert.ok(read.includes(key), `${key} is declared but never read`);
  });

  it('declares no setting whose key is a prefix of another (VS Code ignores the longer one)', () => {
    const keys = Object.keys(manifest.contributes.configuration.properties);
    for (const key of keys) {
      const shadow = keys.find((other) => other !== key && key.startsWith(`${other}.`));
      assert.equal(shadow, undefined, `${key} would be ignored: ${shadow} is a value, not a section`);
    }
  });

  it('gives the hosted relay the retention defaults of udp-chat relay', () => {
    const properties = manifest.contributes.configuration.properties as Record<string, { default?: unknown }>;
    assert.equal(properties['udpChat.hostHistoryDays']?.default, DEFAULT_RETENTION.maxAgeMs / (24 * 60 * 60 * 1000));
    assert.equal(properties['udpChat.hostHistoryMegabytesPerRoom']?.default, DEFAULT_RETENTION.maxRoomBytes / (1024 * 1024));
    assert.equal(properties['udpChat.hostHistory']?.default, true);
  });

  it('contributes the chat view as a webview in its own view container, with its icon packaged', () => {
    const contributes = manifest.contributes as unknown as {
      viewsContainers: { activitybar: Array<{ id: string; icon: string }> };
      views: Record<string, Array<{ id: string; type: string }>>;
    };
    const container = contributes.viewsContainers.activitybar.find((entry) => entry.id === 'udpChat');
    assert.ok(container, 'no udpChat view container in the activity bar');
    assert.deepEqual(contributes.views.udpChat?.map((view) => [view.id, view.type]), [['udpChat.chatView', 'webview']]);
    assert.ok(fs.existsSync(path.join(root, container.icon)), container.icon);
    assert.ok(fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').includes(`!${container.icon}`), 'the icon is left out of the .vsix');
    assert.ok(source('chat-view.ts').includes("viewType = 'udpChat.chatView'"));
  });

  it('offers notifications for mentions (default), all or none', () => {
    const property = manifest.contributes.configuration.properties['udpChat.notifications'] as { enum?: string[]; default?: string };
    assert.deepEqual(property.enum, ['mentions', 'all', 'off']);
    assert.equal(property.default, 'mentions');
  });

  it('points main at the bundle esbuild writes', () => {
    assert.equal(manifest.main, './dist/extension.js');
  });
});

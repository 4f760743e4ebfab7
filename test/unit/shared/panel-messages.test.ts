import assert from 'node:assert/strict';
import { isEmoji, isHostMessage, isWebLink, isWebviewMessage } from '../../../src/shared/panel-messages';

describe('panel messages', () => {
  describe('isWebLink', () => {
    it('accepts plain http and https addresses', () => {
      assert.equal(isWebLink('https://example.com/a?b=c#d'), true);
      assert.equal(isWebLink('http://192.168.1.20:8080/'), true);
    });

    it('refuses other schemes', () => {
      for (const url of ['command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://x', 'javascript:alert(1)']) {
        assert.equal(isWebLink(url), false, url);
      }
    });

    it('refuses an address with a bidi override, a zero-width or another invisible character', () => {
      for (const hidden of ['\u202E', '\u200B', '\u2066', '\u00AD', '\u3000', '\u0007']) {
        assert.equal(isWebLink(`https://exa${hidden}mple.com/`), false, JSON.stringify(hidden));
      }
    });

    it('refuses an address without a host', () => {
      assert.equal(isWebLink('https://:80/'), false);
    });
  });

  it('drops an openLink message whose address is not a plain web link', () => {
    assert.equal(isWebviewMessage({ type: 'openLink', url: 'https://example.com/' }), true);
    assert.equal(isWebviewMessage({ type: 'openLink', url: 'https://gith\u202Ebuh.com/' }), false);
  });

  it('takes a reaction only with one emoji sequence, never text or markup', () => {
    for (const emoji of ['👍', '❤️', '👩‍💻', '👍🏽', '🇫🇷', '1️⃣']) assert.equal(isEmoji(emoji), true, emoji);
    for (const emoji of ['', 'ok', '<b>', '👍 ', '\u202E👍', '1', 'x'.repeat(40)]) assert.equal(isEmoji(emoji), false, JSON.stringify(emoji));
    assert.equal(isWebviewMessage({ type: 'react', id: '5f0c2a1e00000003', emoji: '👍', on: true }), true);
    assert.equal(isWebviewMessage({ type: 'react', id: '5f0c2a1e00000003', emoji: '<img>', on: true }), false);
    assert.equal(isWebviewMessage({ type: 'react', id: '../../x', emoji: '👍', on: true }), false);
  });

  it('takes a reply only to a message id', () => {
    assert.equal(isWebviewMessage({ type: 'send', text: 'hi', replyTo: '5f0c2a1e00000003' }), true);
    assert.equal(isWebviewMessage({ type: 'send', text: 'hi', replyTo: 'not an id!' }), false);
    assert.equal(isWebviewMessage({ type: 'viewed', atBottom: 'yes' }), false);
  });

  it('drops an entry whose reactions or quote are malformed', () => {
    const entry = { kind: 'text', id: 'a1', from: 'bob', own: false, text: 'hi', sentAt: 1, legacy: false, encrypted: false };
    assert.equal(isHostMessage({ type: 'entry', entry: { ...entry, reactions: [{ emoji: '👍', from: ['ann'] }], replyTo: { id: 'a0' } } }), true);
    assert.equal(isHostMessage({ type: 'entry', entry: { ...entry, reactions: [{ emoji: 'boo', from: ['ann'] }] } }), false);
    assert.equal(isHostMessage({ type: 'entry', entry: { ...entry, reactions: [{ emoji: '👍', from: [] }] } }), false);
    assert.equal(isHostMessage({ type: 'entry', entry: { ...entry, replyTo: { id: 'a0', excerpt: 'x'.repeat(201) } } }), false);
    assert.equal(isHostMessage({ type: 'typing', names: Array(257).fill('a') }), false);
    assert.equal(isHostMessage({ type: 'unread', unread: { since: undefined, count: -1, mentions: 0 } }), false);
  });
});

import assert from 'node:assert/strict';
import { isWebLink, isWebviewMessage } from '../../../src/shared/panel-messages';

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
});

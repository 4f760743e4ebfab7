import assert from 'node:assert/strict';
import { isHostMessage, isWebviewMessage } from '../../../src/shared/panel-messages';

describe('attachment messages', () => {
  const image = { type: 'attachImage', requestId: 1, mime: 'image/png', data: new Uint8Array([0x89, 0x50]) };

  it('takes a pasted image only as a Uint8Array of bytes', () => {
    assert.equal(isWebviewMessage(image), true);
    assert.equal(isWebviewMessage({ ...image, name: 'shot.png' }), true);
    for (const data of [[0x89, 0x50], 'iVBORw0KGgo=', { 0: 0x89 }, new Uint16Array(2), undefined]) {
      assert.equal(isWebviewMessage({ ...image, data }), false, JSON.stringify(data));
    }
    assert.equal(isWebviewMessage({ ...image, requestId: -1 }), false);
    assert.equal(isWebviewMessage({ ...image, name: 'a'.repeat(256) }), false);
  });

  it('takes between one and 32 dropped URIs of bounded length', () => {
    const drop = { type: 'attachUris', requestId: 2, uris: ['file:///tmp/a.png'] };
    assert.equal(isWebviewMessage(drop), true);
    assert.equal(isWebviewMessage({ ...drop, uris: [] }), false);
    assert.equal(isWebviewMessage({ ...drop, uris: Array(33).fill('file:///a.png') }), false);
    assert.equal(isWebviewMessage({ ...drop, uris: [`file:///${'a'.repeat(5000)}`] }), false);
    assert.equal(isWebviewMessage({ ...drop, uris: [42] }), false);
  });

  it('names a preview for Send and Cancel by an attachment id only', () => {
    assert.equal(isWebviewMessage({ type: 'sendAttachment', id: 'att-1' }), true);
    assert.equal(isWebviewMessage({ type: 'cancelAttachment', id: 'att-z9' }), true);
    assert.equal(isWebviewMessage({ type: 'sendAttachment', id: '5f0c2a1e00000003' }), false);
    assert.equal(isWebviewMessage({ type: 'cancelAttachment', id: 'att-1; rm' }), false);
  });

  it('shows a preview only from an http(s) URL, never data: or blob:', () => {
    const view = { id: 'att-1', label: 'shot.png', state: 'ready', src: 'https://file+.vscode-resource.vscode-cdn.net/tmp/a.jpg', width: 640, height: 400, bytes: 2300 };
    assert.equal(isHostMessage({ type: 'attachment', attachment: view }), true);
    for (const src of ['data:image/png;base64,AAAA', 'blob:https://x/1', 'javascript:alert(1)', '/tmp/a.jpg']) {
      assert.equal(isHostMessage({ type: 'attachment', attachment: { ...view, src } }), false, src);
    }
    assert.equal(isHostMessage({ type: 'attachment', attachment: { ...view, state: 'sent' } }), false);
    assert.equal(isHostMessage({ type: 'attachmentGone', id: 'att-1' }), true);
  });
});

import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { attachmentLabel, checkAttachmentBytes, droppedFile, pastedImageName } from '../../../src/extension/attachment-bytes';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('checkAttachmentBytes', () => {
  it('takes the format from the magic bytes of every format the compressor reads', () => {
    const cases: Array<[Uint8Array, string]> = [
      [bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'png'],
      [bytes(0xff, 0xd8, 0xff, 0xe0), 'jpeg'],
      [bytes(0x47, 0x49, 0x46, 0x38, 0x39, 0x61), 'gif'],
      [bytes(0x42, 0x4d, 0, 0), 'bmp'],
      [bytes(0x49, 0x49, 0x2a, 0x00), 'tiff'],
    ];
    for (const [data, format] of cases) assert.deepEqual(checkAttachmentBytes(data, 'x', 1000), { ok: true, format });
  });

  it('refuses bytes that are no image it reads, whatever the MIME type said', () => {
    const check = checkAttachmentBytes(new TextEncoder().encode('<svg onload=alert(1)>'), 'The pasted image', 1000);
    assert.deepEqual(check, { ok: false, message: 'The pasted image is not an image UDP Chat can send (supported: PNG, JPEG, GIF, BMP, TIFF)' });
  });

  it('refuses more bytes than the limit, naming the size and the limit', () => {
    const check = checkAttachmentBytes(new Uint8Array(3 * 1024 * 1024), 'shot.png', 2 * 1024 * 1024);
    assert.deepEqual(check, { ok: false, message: 'shot.png is too large to send: 3.0 MB, more than the limit of 2.0 MB' });
  });
});

describe('pastedImageName', () => {
  it('names a pasted image by the time (UTC) and its format, never by what the clipboard said', () => {
    assert.equal(pastedImageName('png', Date.UTC(2026, 11, 2, 3, 37, 12)), 'pasted-image-20261202-033712.png');
    assert.equal(pastedImageName('jpeg', Date.UTC(2026, 0, 5, 23, 0, 1)), 'pasted-image-20260105-230001.jpg');
    assert.equal(pastedImageName(undefined, Date.UTC(2026, 0, 5, 23, 0, 1)), 'pasted-image-20260105-230001');
  });
});

describe('attachmentLabel', () => {
  it('keeps only the last path segment, without invisible or control characters', () => {
    assert.equal(attachmentLabel('../../etc/passwd'), 'passwd');
    assert.equal(attachmentLabel('C:\\Users\\me\\shot.png'), 'shot.png');
    assert.equal(attachmentLabel('evil\u202egnp.exe'), 'evilgnp.exe');
    assert.equal(attachmentLabel('a\nb\u0000c.png'), 'abc.png');
  });

  it('gives nothing for an empty or dot name, and cuts long names', () => {
    assert.equal(attachmentLabel(''), undefined);
    assert.equal(attachmentLabel('..'), undefined);
    assert.equal(attachmentLabel(undefined), undefined);
    assert.equal(attachmentLabel(`${'a'.repeat(300)}.png`)?.length, 120);
  });
});

describe('droppedFile', () => {
  it('reads a file: URI as the local path it names', () => {
    const uri = pathToFileURL('/tmp/my shots/sunset.png').href;
    assert.deepEqual(droppedFile(uri), { ok: true, file: '/tmp/my shots/sunset.png', label: 'sunset.png' });
  });

  it('refuses other schemes and remote hosts', () => {
    for (const uri of ['https://example.com/a.png', 'vscode-remote://ssh-remote+box/home/a.png', 'file://server/share/a.png', 'not a uri']) {
      const dropped = droppedFile(uri);
      assert.equal(dropped.ok, false, uri);
      assert.match(dropped.ok ? '' : dropped.message, /not a (local )?file/, uri);
    }
  });
});

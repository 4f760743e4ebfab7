import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JimpMime } from 'jimp';
import { probeImage, probeImageDetails, sniffImageFormat } from '../../../src/protocol/image-header';
import { encode, photoLike, pngWithHeader, withExifOrientation } from '../image/fixtures/images';

/** Bytes from a mix of numbers, strings (latin1) and byte arrays. */
function bytes(...parts: (number | string | readonly number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}
const be16 = (n: number) => [n >> 8, n & 0xff];
const le16 = (n: number) => [n & 0xff, n >> 8];
const be32 = (n: number) => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

/** A JPEG header as cameras write it: JFIF, EXIF with orientation 6, a quantisation table, then SOF2 (progressive). */
const JPEG_HEADER = bytes(
  0xff, 0xd8,
  0xff, 0xe0, be16(16), 'JFIF', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
  withExifOrientation(bytes(0xff, 0xd8), 6).subarray(2),
  0xff, 0xdb, be16(67), 0, new Array<number>(64).fill(1),
  0xff, 0xff, 0xff, // fill bytes before a marker are allowed
  0xc2, be16(17), 8, be16(300), be16(500), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
);

/** GIF89a, 320x200 screen with a 2-colour global table, a graphic control extension, then a 320x200 frame. */
const GIF_HEADER = bytes(
  'GIF89a', le16(320), le16(200), 0x80, 0, 0,
  0, 0, 0, 255, 255, 255,
  0x21, 0xf9, 4, 0, 0, 0, 0, 0,
  0x2c, le16(0), le16(0), le16(320), le16(200), 0,
);

/** BMP with a BITMAPINFOHEADER and a negative height: rows stored top-down. */
const BMP_INFO_HEADER = bytes(
  'BM', le32(0), le32(0), le32(54),
  le32(40), le32(640), le32(-480 >>> 0), le16(1), le16(24), le32(0), le32(0), le32(2835), le32(2835), le32(0), le32(0),
);
/** BMP with the old 12-byte OS/2 core header: 16-bit dimensions. */
const BMP_CORE_HEADER = bytes('BM', le32(0), le32(0), le32(26), le32(12), le16(33), le16(44), le16(1), le16(24));

/** Little-endian TIFF, dimensions as SHORTs, orientation 8. */
const TIFF_LE = bytes(
  'II', le16(42), le32(8),
  le16(3),
  le16(256), le16(3), le32(1), le16(1024), le16(0),
  le16(257), le16(3), le32(1), le16(768), le16(0),
  le16(274), le16(3), le32(1), le16(8), le16(0),
  le32(0),
);
/** Big-endian TIFF, dimensions as LONGs. */
const TIFF_BE = bytes(
  'MM', be16(42), be32(8),
  be16(2),
  be16(256), be16(4), be32(1), be32(70000),
  be16(257), be16(4), be32(1), be32(3),
  be32(0),
);

function tiffPages(sizes: [number, number][], loopBack = false): Uint8Array {
  const parts: number[] = [...bytes('II', le16(42), le32(8))];
  sizes.forEach(([width, height], page) => {
    const at = parts.length;
    const next = page + 1 < sizes.length ? at + 30 : loopBack ? 8 : 0;
    parts.push(...le16(2));
    parts.push(...le16(256), ...le16(4), ...le32(1), ...le32(width));
    parts.push(...le16(257), ...le16(4), ...le32(1), ...le32(height));
    parts.push(...le32(next));
  });
  return Uint8Array.from(parts);
}

const HEADERS = [
  { name: 'PNG', header: pngWithHeader(37, 21).subarray(0, 29), expected: { format: 'png', width: 37, height: 21 } },
  { name: 'JPEG', header: JPEG_HEADER, expected: { format: 'jpeg', width: 500, height: 300 } },
  { name: 'GIF', header: GIF_HEADER, expected: { format: 'gif', width: 320, height: 200 } },
  { name: 'BMP (info header)', header: BMP_INFO_HEADER, expected: { format: 'bmp', width: 640, height: 480 } },
  { name: 'BMP (core header)', header: BMP_CORE_HEADER, expected: { format: 'bmp', width: 33, height: 44 } },
  { name: 'TIFF (little-endian)', header: TIFF_LE, expected: { format: 'tiff', width: 1024, height: 768 } },
  { name: 'TIFF (big-endian)', header: TIFF_BE, expected: { format: 'tiff', width: 70000, height: 3 } },
] as const;

describe('probeImage', () => {
  describe('reads dimensions from each format header', () => {
    for (const { name, header, expected } of HEADERS) {
      it(`reads a ${name} header`, () => {
        assert.deepEqual(probeImage(header), expected);
      });
    }
  });

  describe('reads the files jimp writes', () => {
    for (const [format, mime] of [
      ['png', JimpMime.png],
      ['jpeg', JimpMime.jpeg],
      ['gif', JimpMime.gif],
      ['bmp', JimpMime.bmp],
      ['tiff', JimpMime.tiff],
    ] as const) {
      it(`reads a ${format} written by jimp`, async () => {
        const file = await encode(photoLike(61, 23), mime);
        assert.deepEqual(probeImage(file), { format, width: 61, height: 23 });
      });
    }
  });

  describe('returns undefined for every truncated header', () => {
    for (const { name, header } of HEADERS) {
      it(`rejects every proper prefix of the ${name} header`, () => {
        for (let length = 0; length < header.length; length++) {
          const probe = probeImage(header.subarray(0, length));
          // GIF frames and TIFF page chains are optional extras: the screen/first page alone is a full header.
          if (probe && (name === 'GIF' || name.startsWith('TIFF'))) continue;
          assert.equal(probe, undefined, `prefix of ${length} bytes`);
        }
      });
    }

    it('needs a GIF logical screen descriptor and a TIFF first IFD in full', () => {
      assert.equal(probeImage(GIF_HEADER.subarray(0, 12)), undefined);
      assert.equal(probeImage(TIFF_LE.subarray(0, TIFF_LE.length - 1)), undefined);
    });
  });

  describe('rejects damaged headers', () => {
    it('rejects zero dimensions', () => {
      assert.equal(probeImage(pngWithHeader(0, 10)), undefined);
      assert.equal(probeImage(bytes('GIF89a', le16(0), le16(5), 0, 0, 0)), undefined);
    });

    it('rejects a PNG whose first chunk is not IHDR', () => {
      const png = pngWithHeader(10, 10);
      png[12] = 0x78; // "xHDR"
      assert.equal(probeImage(png), undefined);
    });

    it('rejects a JPEG segment whose length runs past the end', () => {
      assert.equal(probeImage(bytes(0xff, 0xd8, 0xff, 0xe0, 0xff, 0xf0, 0, 0, 0)), undefined);
    });

    it('rejects a JPEG segment length below 2, which would loop forever', () => {
      assert.equal(probeImage(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 1, 0xff, 0xc0, be16(11), 8, be16(1), be16(1), 1)), undefined);
    });

    it('rejects a JPEG whose scan starts before any frame header', () => {
      assert.equal(probeImage(bytes(0xff, 0xd8, 0xff, 0xda, be16(8), 1, 1, 0, 0, 63, 0)), undefined);
    });

    it('rejects a JPEG whose frame height is 0 (deferred to a DNL marker)', () => {
      assert.equal(probeImage(bytes(0xff, 0xd8, 0xff, 0xc0, be16(11), 8, be16(0), be16(10), 1, 1, 0x11, 0)), undefined);
    });

    it('rejects bytes between JPEG segments', () => {
      assert.equal(probeImage(bytes(0xff, 0xd8, 0x00, 0xff, 0xc0, be16(11), 8, be16(1), be16(1), 1, 1, 0x11, 0)), undefined);
    });

    it('rejects an unknown BMP header size', () => {
      const bmp = BMP_INFO_HEADER.slice();
      bmp[14] = 41;
      assert.equal(probeImage(bmp), undefined);
    });

    it('rejects a TIFF whose first IFD offset points past the end', () => {
      const tiff = TIFF_LE.slice();
      tiff.set(le32(10_000), 4);
      assert.equal(probeImage(tiff), undefined);
    });

    it('does not recognise formats we do not accept (WebP, HEIC, text)', () => {
      assert.equal(probeImage(bytes('RIFF', le32(100), 'WEBPVP8 ', new Array(20).fill(0))), undefined);
      assert.equal(probeImage(bytes(0, 0, 0, 24, 'ftypheic', new Array(20).fill(0))), undefined);
      assert.equal(probeImage(new TextEncoder().encode('just some text, not an image at all')), undefined);
      assert.equal(probeImage(new Uint8Array(0)), undefined);
    });
  });

  describe('never throws on garbage', () => {
    it('returns undefined or a sane result for 10,000 random byte arrays', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (garbage) => {
          assertSane(probeImage(garbage));
        }),
        { numRuns: 10_000 },
      );
    });

    it('survives 10,000 random bodies behind each format signature', () => {
      const signatures = [
        [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52],
        [0xff, 0xd8, 0xff],
        [...bytes('GIF89a')],
        [...bytes('BM')],
        [...bytes('II', le16(42))],
        [...bytes('MM', be16(42))],
      ];
      fc.assert(
        fc.property(fc.constantFrom(...signatures), fc.uint8Array({ maxLength: 256 }), (signature, body) => {
          assertSane(probeImageDetails(bytes(signature, body)));
        }),
        { numRuns: 10_000 },
      );
    });

    it('survives 10,000 random corruptions of valid headers', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...HEADERS.map((h) => h.header)),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
          fc.nat(),
          (header, flips, cut) => {
            const damaged = header.slice(0, header.length - (cut % 4));
            for (const [at, value] of flips) if (damaged.length > 0) damaged[at % damaged.length] = value;
            assertSane(probeImageDetails(damaged));
          },
        ),
        { numRuns: 10_000 },
      );
    });
  });
});

describe('probeImageDetails', () => {
  it('reads the EXIF orientation of a JPEG', () => {
    assert.equal(probeImageDetails(JPEG_HEADER)?.orientation, 6);
  });

  it('reads the orientation of a TIFF', () => {
    assert.equal(probeImageDetails(TIFF_LE)?.orientation, 8);
  });

  it('says orientation 1 when there is no EXIF', () => {
    assert.equal(probeImageDetails(pngWithHeader(5, 5))?.orientation, 1);
  });

  it('counts every TIFF page, since jimp decodes them all', () => {
    const probe = probeImageDetails(tiffPages([[10, 10], [20_000, 20_000], [5, 5]]));
    assert.deepEqual(
      { width: probe?.width, height: probe?.height, decodedPixels: probe?.decodedPixels },
      { width: 10, height: 10, decodedPixels: 100 + 400_000_000 + 25 },
    );
  });

  it('stops walking a TIFF page chain that loops back on itself', () => {
    assert.equal(probeImageDetails(tiffPages([[10, 10], [10, 10]], true))?.decodedPixels, 200);
  });

  it('counts a GIF first frame that is larger than its screen', () => {
    const gif = bytes('GIF89a', le16(10), le16(10), 0, 0, 0, 0x2c, le16(0), le16(0), le16(60_000), le16(60_000), 0);
    assert.equal(probeImageDetails(gif)?.decodedPixels, 100 + 60_000 * 60_000);
  });
});

describe('sniffImageFormat', () => {
  it('recognises a format by its signature even when the header behind it is broken', () => {
    assert.equal(sniffImageFormat(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3)), 'png');
    assert.equal(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0)), 'jpeg');
    assert.equal(sniffImageFormat(bytes('GIF87a')), 'gif');
    assert.equal(sniffImageFormat(bytes('BM')), 'bmp');
    assert.equal(sniffImageFormat(bytes('MM', 0, 42)), 'tiff');
    assert.equal(sniffImageFormat(bytes('hello')), undefined);
  });
});

function assertSane(probe: ReturnType<typeof probeImage> | ReturnType<typeof probeImageDetails>): void {
  if (probe === undefined) return;
  assert.ok(Number.isInteger(probe.width) && probe.width >= 1, `width ${probe.width}`);
  assert.ok(Number.isInteger(probe.height) && probe.height >= 1, `height ${probe.height}`);
  if (!('orientation' in probe)) return;
  assert.ok(probe.orientation >= 1 && probe.orientation <= 8, `orientation ${probe.orientation}`);
  assert.ok(probe.decodedPixels >= probe.width * probe.height, `decodedPixels ${probe.decodedPixels}`);
}

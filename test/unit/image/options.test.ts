import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  chooseJpegShrink,
  DEFAULT_COMPRESS_OPTIONS,
  fitWithin,
  resolveCompressOptions,
} from '../../../src/image/options';

describe('fitWithin', () => {
  it('scales a landscape image down to the width limit', () => {
    assert.deepEqual(fitWithin(4000, 3000, 640, 480), { width: 640, height: 480 });
    assert.deepEqual(fitWithin(1920, 1080, 640, 480), { width: 640, height: 360 });
  });

  it('scales a portrait image down to the height limit', () => {
    assert.deepEqual(fitWithin(3000, 4000, 640, 480), { width: 360, height: 480 });
  });

  it('never enlarges an image that already fits', () => {
    assert.deepEqual(fitWithin(100, 80, 640, 480), { width: 100, height: 80 });
  });

  it('keeps at least one pixel on each side of an extreme panorama', () => {
    assert.deepEqual(fitWithin(100_000, 10, 640, 480), { width: 640, height: 1 });
  });

  it('always fits the box, never grows, and keeps the aspect ratio to within a pixel', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 4000 }),
        (width, height, maxWidth, maxHeight) => {
          const out = fitWithin(width, height, maxWidth, maxHeight);
          assert.ok(out.width <= maxWidth && out.height <= maxHeight);
          assert.ok(out.width <= width && out.height <= height);
          assert.ok(out.width >= 1 && out.height >= 1);
          if (out.width > 1 && out.height > 1) {
            // Rounding each side by up to half a pixel bounds the aspect error.
            assert.ok(Math.abs(out.height - (out.width * height) / width) <= 0.5 + height / width / 2 + 1e-9);
          }
        },
      ),
    );
  });
});

describe('chooseJpegShrink', () => {
  it('decodes a 12 MP photo at 1/4 for 640x480 (1000x750, not 500x375)', () => {
    assert.equal(chooseJpegShrink(4000, 3000, { width: 640, height: 480 }), 4);
  });

  it('decodes a 48 MP photo at 1/8 for 640x480', () => {
    assert.equal(chooseJpegShrink(8000, 6000, { width: 640, height: 480 }), 8);
  });

  it('decodes at full size when the target needs every pixel', () => {
    assert.equal(chooseJpegShrink(700, 500, { width: 640, height: 457 }), 1);
  });

  it('counts the rounded-up size libjpeg produces', () => {
    // ceil(5113 / 8) = 640
    assert.equal(chooseJpegShrink(5113, 3835, { width: 640, height: 480 }), 8);
  });
});

describe('resolveCompressOptions', () => {
  it('fills in the defaults: 640x480, quality 50, 50 megapixels', () => {
    assert.deepEqual(resolveCompressOptions(), { maxWidth: 640, maxHeight: 480, quality: 50, maxInputPixels: 50_000_000 });
    assert.deepEqual(resolveCompressOptions({}), DEFAULT_COMPRESS_OPTIONS);
  });

  it('keeps given values and ignores undefined ones', () => {
    assert.deepEqual(resolveCompressOptions({ quality: 80, maxWidth: undefined }), { ...DEFAULT_COMPRESS_OPTIONS, quality: 80 });
  });

  it('refuses nonsense as a programming error', () => {
    assert.throws(() => resolveCompressOptions({ quality: 0 }), RangeError);
    assert.throws(() => resolveCompressOptions({ quality: 101 }), RangeError);
    assert.throws(() => resolveCompressOptions({ maxWidth: 0 }), RangeError);
    assert.throws(() => resolveCompressOptions({ maxHeight: 1.5 }), RangeError);
    assert.throws(() => resolveCompressOptions({ maxInputPixels: Number.NaN }), RangeError);
  });
});

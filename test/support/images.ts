/** Photo-like test images made on the fly with jimp (deterministic), cached per process in a temp folder. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Jimp } from 'jimp';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'udpchat-test-images-'));
process.once('exit', () => fs.rmSync(cacheDir, { recursive: true, force: true }));

/** RGBA pixels: smooth gradients plus deterministic noise, so JPEG sizes resemble a photo's. */
function paint(width: number, height: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = (state >>> 0) % 6;
      const offset = (y * width + x) * 4;
      data[offset] = ((x * 255) / width + noise) & 0xff;
      data[offset + 1] = ((y * 255) / height + noise) & 0xff;
      data[offset + 2] = (((x + y) * 127) / (width + height) + noise * 2) & 0xff;
      data[offset + 3] = 0xff;
    }
  }
  return data;
}

export async function makeImageBytes(width: number, height: number, mime: 'image/jpeg' | 'image/png', quality = 90, seed = 7): Promise<Buffer> {
  const image = Jimp.fromBitmap({ data: paint(width, height, seed), width, height });
  return mime === 'image/jpeg' ? image.getBuffer(mime, { quality }) : image.getBuffer(mime);
}

/** Writes (once per process) an image file and returns its path. */
export async function makeImageFile(name: string, width: number, height: number, mime: 'image/jpeg' | 'image/png', quality = 90): Promise<string> {
  const file = path.join(cacheDir, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, await makeImageBytes(width, height, mime, quality));
  return file;
}

/**
 * The smallest headers `probeImage` reads as each format, with chosen dimensions. Not decodable images: enough
 * for code that checks format and size before anything decodes the bytes.
 */
import { concat, fromHex } from './bytes';

function u16be(value: number): string {
  return value.toString(16).padStart(4, '0');
}
function u32be(value: number): string {
  return value.toString(16).padStart(8, '0');
}
function u16le(value: number): string {
  return Buffer.from([value & 0xff, (value >> 8) & 0xff]).toString('hex');
}
function u32le(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  return bytes.toString('hex');
}

export function pngHeader(width: number, height: number): Uint8Array {
  return fromHex(`
    89504e470d0a1a0a                               // signature
    0000000d 49484452                              // IHDR, 13 bytes
    ${u32be(width)} ${u32be(height)} 08 02 00 00 00 // width, height, 8-bit RGB
    00000000                                       // CRC (not checked by a probe)
    0000000049454e44ae426082                       // IEND
  `);
}

export function jpegHeader(width: number, height: number): Uint8Array {
  return fromHex(`
    ffd8                                           // SOI
    ffe0 0010 4a46494600 0101 00 0001 0001 0000    // APP0 JFIF
    ffc0 0011 08 ${u16be(height)} ${u16be(width)} 03 012200 021101 031101 // SOF0: height, width, 3 components
    ffd9                                           // EOI
  `);
}

export function gifHeader(width: number, height: number): Uint8Array {
  return fromHex(`
    474946383961 ${u16le(width)} ${u16le(height)} 00 00 00   // GIF89a, logical screen
    2c 0000 0000 ${u16le(width)} ${u16le(height)} 00         // image descriptor
    02 02 4c01 00 3b                                          // a tiny LZW block, trailer
  `);
}

export function bmpHeader(width: number, height: number): Uint8Array {
  return concat(
    fromHex(`424d ${u32le(54)} 00000000 36000000`), // "BM", file size, reserved, pixel offset
    fromHex(`28000000 ${u32le(width)} ${u32le(height)} 0100 1800 00000000 00000000 00000000 00000000 00000000 00000000`),
  );
}

export function tiffHeader(width: number, height: number): Uint8Array {
  return fromHex(`
    4949 2a00 08000000                             // little-endian TIFF, first IFD at 8
    0200                                           // 2 entries
    0001 0300 01000000 ${u16le(width)}0000         // ImageWidth, SHORT
    0101 0300 01000000 ${u16le(height)}0000        // ImageLength, SHORT
    00000000                                       // no next IFD
  `);
}

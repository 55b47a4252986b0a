import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countColour, decodePng, inkShare } from './png-check.ts';

function crcTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
const CRC = crcTable();
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let c = 0xffffffff;
  for (const b of body) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/** A 3×2 RGB PNG: row 0 with the Sub filter, row 1 with Paeth, so decoding has to undo both. */
function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(3, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  // pixels: row 0 = white, red(#d62728), white; row 1 = white, white, blue(#1f77b4)
  const row0 = [1, 255, 255, 255, (0xd6 - 255) & 0xff, (0x27 - 255) & 0xff, (0x28 - 255) & 0xff, (255 - 0xd6) & 0xff, (255 - 0x27) & 0xff, (255 - 0x28) & 0xff];
  // Paeth: first pixel predicts from above (white), so 0; second pixel a=white, b=red, c=white → predicts red; third a=white,b=white,c=red → predicts white
  const row1 = [4, 0, 0, 0, (255 - 0xd6) & 0xff, (255 - 0x27) & 0xff, (255 - 0x28) & 0xff, (0x1f - 255) & 0xff, (0x77 - 255) & 0xff, (0xb4 - 255) & 0xff];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([...row0, ...row1]))), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodePng', () => {
  it('undoes the Sub and Paeth filters of a hand-made image', () => {
    const img = decodePng(tinyPng());
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data.subarray(4, 8))).toEqual([0xd6, 0x27, 0x28, 255]);
    expect(Array.from(img.data.subarray(20, 24))).toEqual([0x1f, 0x77, 0xb4, 255]);
    expect(countColour(img, '#d62728')).toBe(1);
    expect(countColour(img, '#1f77b4')).toBe(1);
    expect(inkShare(img)).toBeCloseTo(2 / 6, 12);
  });

  it('rejects what is not a PNG, naming what it got', () => {
    expect(() => decodePng(Buffer.from('<html></html>................................'))).toThrow(/not a PNG/);
  });
});

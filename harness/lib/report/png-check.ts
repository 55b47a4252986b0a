import { inflateSync } from 'node:zlib';

/** An 8-bit RGB(A) PNG decoded to RGBA (enough for screenshots; no image library needed). */
export interface Rgba {
  width: number;
  height: number;
  /** width × height × 4 bytes, row by row. */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a non-interlaced 8-bit truecolour PNG (colour type 2 or 6), undoing the per-row filters. */
export function decodePng(png: Buffer): Rgba {
  if (png.length < 33 || !png.subarray(0, 8).equals(SIGNATURE)) throw new Error(`not a PNG: ${png.length} bytes starting ${png.subarray(0, 8).toString('hex')}`);
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new Error(`decodePng handles 8-bit RGB/RGBA without interlace, got depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      }
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG data is ${raw.length} bytes, expected ${height * (stride + 1)} for ${width}×${height}`);
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? rows[dst + i - channels] : 0;
      const b = y > 0 ? rows[dst - stride + i] : 0;
      const c = i >= channels && y > 0 ? rows[dst - stride + i - channels] : 0;
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      rows[dst + i] = (raw[src + i] + pred) & 0xff;
    }
  }
  if (channels === 4) return { width, height, data: rows };
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.set(rows.subarray(p * 3, p * 3 + 3), p * 4);
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** Pixels within `tolerance` (per channel) of a #rrggbb colour. */
export function countColour(img: Rgba, hex: string, tolerance = 12): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let p = 0; p < img.data.length; p += 4) {
    if (Math.abs(img.data[p] - r) <= tolerance && Math.abs(img.data[p + 1] - g) <= tolerance && Math.abs(img.data[p + 2] - b) <= tolerance) n++;
  }
  return n;
}

/** Share of pixels that are not (near) white: 0 for a blank page. */
export function inkShare(img: Rgba): number {
  let ink = 0;
  for (let p = 0; p < img.data.length; p += 4) if (img.data[p] < 240 || img.data[p + 1] < 240 || img.data[p + 2] < 240) ink++;
  return ink / (img.width * img.height);
}

// Image files built byte by byte, for the tests of how images are counted: a PNG that decoders
// read (signature, IHDR, IDAT, IEND, each chunk with its CRC), and the headers of JPEG, GIF and
// WebP files as their specifications lay them out, followed by filler where pixels would be.
import { deflateSync } from "node:zlib";

// A valid grey PNG; `fileBytes` pads it to that size with an ancillary chunk decoders skip (how
// a screenshot of that weight looks to anything that only reads its header).
export function makePng(width: number, height: number, fileBytes = 0): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter, no interlace
  const rows = new Uint8Array((width + 1) * height); // every row: filter byte 0, then black pixels
  const chunks = [chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", new Uint8Array(0))];
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const size = signature.length + chunks.reduce((sum, part) => sum + part.length, 0);
  if (fileBytes > size + 12) chunks.splice(1, 0, chunk("fiLl", filler(fileBytes - size - 12)));
  return concat(signature, ...chunks);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, Bun.hash.crc32(out.subarray(4, 8 + data.length)));
  return out;
}

// A baseline (SOF0, 0xC0) or progressive (SOF2, 0xC2) JPEG's segments up to its first scan, with an
// EXIF segment of `exifBytes` before the frame header, as cameras and phones write it.
export function makeJpeg(width: number, height: number, options: { sof?: 0xc0 | 0xc2; exifBytes?: number; withFrame?: boolean } = {}): Uint8Array {
  const app0 = segment(0xe0, new Uint8Array([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])); // JFIF 1.1
  const exif = segment(0xe1, concat(new TextEncoder().encode("Exif\0\0"), filler(options.exifBytes ?? 0)));
  const quantization = segment(0xdb, new Uint8Array(65));
  const frame = segment(options.sof ?? 0xc0, new Uint8Array([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]));
  const huffman = segment(0xc4, new Uint8Array(29));
  const scan = segment(0xda, new Uint8Array([1, 1, 0, 0, 63, 0]));
  const parts = [
    new Uint8Array([0xff, 0xd8]),
    app0,
    exif,
    quantization,
    ...(options.withFrame === false ? [] : [frame]),
    huffman,
    scan,
    filler(64),
    new Uint8Array([0xff, 0xd9]),
  ];
  return concat(...parts);
}

function segment(marker: number, data: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff]), data);
}

export function makeGif(width: number, height: number): Uint8Array {
  const screen = new Uint8Array([width & 0xff, width >> 8, height & 0xff, height >> 8, 0, 0, 0]);
  return concat(new TextEncoder().encode("GIF89a"), screen, new Uint8Array([0x3b]));
}

// WebP's three kinds of file: lossy (VP8), lossless (VP8L) and extended (VP8X, as animated or
// transparent images are written).
export function makeWebp(width: number, height: number, kind: "VP8 " | "VP8L" | "VP8X"): Uint8Array {
  let payload: Uint8Array;
  if (kind === "VP8 ") {
    payload = new Uint8Array(20);
    payload.set([0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a]); // frame tag (key frame), start code
    new DataView(payload.buffer).setUint16(6, width, true); // 14 bits of size, 2 of scale (0)
    new DataView(payload.buffer).setUint16(8, height, true);
  } else if (kind === "VP8L") {
    payload = new Uint8Array(10);
    payload[0] = 0x2f;
    new DataView(payload.buffer).setUint32(1, (width - 1) | ((height - 1) << 14), true); // 14 bits each, then alpha and version
  } else {
    payload = new Uint8Array(10);
    payload.set([
      0x10,
      0,
      0,
      0,
      (width - 1) & 0xff,
      ((width - 1) >> 8) & 0xff,
      (width - 1) >> 16,
      (height - 1) & 0xff,
      ((height - 1) >> 8) & 0xff,
      (height - 1) >> 16,
    ]);
  }
  const body = concat(new TextEncoder().encode("WEBP"), new TextEncoder().encode(kind), le32(payload.length), payload);
  return concat(new TextEncoder().encode("RIFF"), le32(body.length), body);
}

function le32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

// Bytes that look like compressed data: no 0xFF runs that a reader could take for a marker.
function filler(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = 0x12345678;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[index] = (state >>> 16) % 0xfe;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

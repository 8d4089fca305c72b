// An image's width and height, read from its header: PNG's IHDR, a JPEG's frame header (SOFn),
// GIF's logical screen, WebP's VP8/VP8L/VP8X chunk. The format is known by its magic bytes, not
// the media_type the client claims. Claude Code resends every image on every turn, so only the
// few bytes a header needs are decoded from the base64, never the image itself.

export type ImageDimensions = { width: number; height: number };

// `length` bytes at `offset` of the image, fewer at its end.
export type ReadBytes = (offset: number, length: number) => Uint8Array;

// A JPEG's frame header follows its APPn segments (EXIF with a thumbnail, ICC profiles, XMP), which
// are skipped by their lengths; past this many segments the file is not one we can read.
const MAX_JPEG_SEGMENTS = 512;

export function readImageDimensions(read: ReadBytes): ImageDimensions | undefined {
  const head = read(0, 30);
  if (startsWith(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return readPng(head);
  if (startsWith(head, 0, [0xff, 0xd8])) return readJpeg(read);
  if (startsWith(head, 0, ascii("GIF87a")) || startsWith(head, 0, ascii("GIF89a"))) return readGif(head);
  if (startsWith(head, 0, ascii("RIFF")) && startsWith(head, 8, ascii("WEBP"))) return readWebp(head);
  return undefined;
}

// Base64 is addressable: bytes [3k, 3k+3) are characters [4k, 4k+4), so a range of the image is
// decoded from a slice of the string, wherever it lies.
export function readBase64(data: string): ReadBytes {
  return (offset, length) => {
    const first = Math.floor(offset / 3);
    const bytes = Buffer.from(data.slice(first * 4, Math.ceil((offset + length) / 3) * 4), "base64");
    return bytes.subarray(offset - first * 3, offset - first * 3 + length);
  };
}

// Signature, then the IHDR chunk: length, "IHDR", width and height as big-endian 32-bit.
function readPng(head: Uint8Array): ImageDimensions | undefined {
  if (head.length < 24 || !startsWith(head, 12, ascii("IHDR"))) return undefined;
  return valid(uint32BE(head, 16), uint32BE(head, 20));
}

// Segments of 0xFF, marker, big-endian length (counting itself); the frame header's data is
// precision, height, width. SOF0 baseline, SOF2 progressive, and the rarer SOFn alike.
function readJpeg(read: ReadBytes): ImageDimensions | undefined {
  let offset = 2;
  for (let segments = 0; segments < MAX_JPEG_SEGMENTS; segments++) {
    const bytes = read(offset, 9);
    if (bytes.length < 4 || bytes[0] !== 0xff) return undefined;
    const marker = bytes[1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte before a marker
      continue;
    }
    if (isStandalone(marker)) {
      offset += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan data or the end, and no frame header before it
    if (isFrameHeader(marker)) return bytes.length < 9 ? undefined : valid((bytes[7]! << 8) | bytes[8]!, (bytes[5]! << 8) | bytes[6]!);
    offset += 2 + ((bytes[2]! << 8) | bytes[3]!);
  }
  return undefined;
}

// SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

// TEM and RST0-RST7 carry no length.
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

// "GIF89a", then the logical screen's width and height, little-endian 16-bit.
function readGif(head: Uint8Array): ImageDimensions | undefined {
  if (head.length < 10) return undefined;
  return valid(head[6]! | (head[7]! << 8), head[8]! | (head[9]! << 8));
}

// RIFF, size, "WEBP", then the first chunk's four-character code and size; its data at 20.
function readWebp(head: Uint8Array): ImageDimensions | undefined {
  if (head.length < 30) return undefined;
  const chunk = String.fromCharCode(...head.subarray(12, 16));
  switch (chunk) {
    case "VP8 ": // lossy: frame tag (3 bytes), start code 9D 01 2A, 14-bit width and height
      if (!startsWith(head, 23, [0x9d, 0x01, 0x2a])) return undefined;
      return valid((head[26]! | (head[27]! << 8)) & 0x3fff, (head[28]! | (head[29]! << 8)) & 0x3fff);
    case "VP8L": {
      // lossless: signature 0x2F, then width-1 and height-1 in 14 bits each, least significant first
      if (head[20] !== 0x2f) return undefined;
      const bits = (head[21]! | (head[22]! << 8) | (head[23]! << 16) | (head[24]! << 24)) >>> 0;
      return valid((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    }
    case "VP8X": // extended: flags (4 bytes), canvas width-1 and height-1 in 24 bits each
      return valid(uint24LE(head, 24) + 1, uint24LE(head, 27) + 1);
    default:
      return undefined;
  }
}

function valid(width: number, height: number): ImageDimensions | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function startsWith(bytes: Uint8Array, offset: number, expected: readonly number[]): boolean {
  return bytes.length >= offset + expected.length && expected.every((byte, index) => bytes[offset + index] === byte);
}

function ascii(text: string): number[] {
  return [...text].map((character) => character.charCodeAt(0));
}

function uint32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

function uint24LE(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
}

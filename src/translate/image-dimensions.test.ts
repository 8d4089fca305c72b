import { describe, expect, test } from "bun:test";
import { makeGif, makeJpeg, makePng, makeWebp, toBase64 } from "../../test/support/make-images";
import { readBase64, readImageDimensions, type ReadBytes } from "./image-dimensions";

const dimensionsOf = (bytes: Uint8Array) => readImageDimensions(readBase64(toBase64(bytes)));

// Reads through the base64, counting the bytes the reader asked for.
function countingReader(bytes: Uint8Array): { read: ReadBytes; bytesRead: () => number } {
  const base64 = readBase64(toBase64(bytes));
  let total = 0;
  return {
    read: (offset, length) => {
      const out = base64(offset, length);
      total += out.length;
      return out;
    },
    bytesRead: () => total,
  };
}

describe("readImageDimensions", () => {
  test("PNG: the IHDR chunk of a file decoders read", () => {
    expect(dimensionsOf(makePng(3, 2))).toEqual({ width: 3, height: 2 });
    expect(dimensionsOf(makePng(1920, 1080))).toEqual({ width: 1920, height: 1080 });
  });

  test("JPEG: the frame header, baseline (SOF0) or progressive (SOF2), after an EXIF segment of any size", () => {
    expect(dimensionsOf(makeJpeg(640, 480))).toEqual({ width: 640, height: 480 });
    expect(dimensionsOf(makeJpeg(4032, 3024, { sof: 0xc2, exifBytes: 60_000 }))).toEqual({ width: 4032, height: 3024 });
  });

  test("GIF: the logical screen", () => {
    expect(dimensionsOf(makeGif(320, 200))).toEqual({ width: 320, height: 200 });
  });

  test("WebP: lossy (VP8), lossless (VP8L) and extended (VP8X)", () => {
    expect(dimensionsOf(makeWebp(1024, 768, "VP8 "))).toEqual({ width: 1024, height: 768 });
    expect(dimensionsOf(makeWebp(1920, 1080, "VP8L"))).toEqual({ width: 1920, height: 1080 });
    expect(dimensionsOf(makeWebp(5000, 3000, "VP8X"))).toEqual({ width: 5000, height: 3000 });
  });

  test("the format is known by its bytes: what is not an image we read, or a header cut short, has no size", () => {
    expect(dimensionsOf(new TextEncoder().encode("just some text, not an image"))).toBeUndefined();
    expect(dimensionsOf(makePng(3, 2).subarray(0, 20))).toBeUndefined();
    expect(dimensionsOf(makeJpeg(640, 480, { withFrame: false }))).toBeUndefined();
    expect(dimensionsOf(makeJpeg(640, 480).subarray(0, 30))).toBeUndefined();
    expect(readImageDimensions(readBase64(""))).toBeUndefined();
  });

  test("only the header is decoded: a few dozen bytes of a 300 KB PNG, and of a JPEG behind 60 KB of EXIF", () => {
    const png = countingReader(makePng(1920, 1080, 300 * 1024));
    expect(readImageDimensions(png.read)).toEqual({ width: 1920, height: 1080 });
    expect(png.bytesRead()).toBeLessThanOrEqual(30);
    const jpeg = countingReader(makeJpeg(4032, 3024, { exifBytes: 60_000 }));
    expect(readImageDimensions(jpeg.read)).toEqual({ width: 4032, height: 3024 });
    expect(jpeg.bytesRead()).toBeLessThan(100);
  });
});

describe("readBase64", () => {
  test("any range of the bytes, from a slice of the string", () => {
    const bytes = Uint8Array.from({ length: 50 }, (_, index) => index * 5);
    const read = readBase64(toBase64(bytes));
    for (const [offset, length] of [
      [0, 4],
      [1, 7],
      [2, 3],
      [17, 10],
      [45, 10],
      [60, 4],
    ] as const)
      expect([...read(offset, length)]).toEqual([...bytes.subarray(offset, offset + length)]);
  });
});

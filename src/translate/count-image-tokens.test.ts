import { describe, expect, test } from "bun:test";
import { makeJpeg, makePng, toBase64 } from "../../test/support/make-images";
import { countImageTokens, resizeForVision, visionTokens } from "./count-image-tokens";

const base64 = (bytes: Uint8Array) => ({ type: "base64" as const, media_type: "image/png", data: toBase64(bytes) });

describe("resizeForVision (Qwen2.5-VL's smart_resize)", () => {
  test("each side to the nearest multiple of 28, halves to even as Python's round() does", () => {
    expect(resizeForVision({ width: 1920, height: 1080 })).toEqual({ width: 1932, height: 1092 });
    expect(resizeForVision({ width: 70, height: 98 })).toEqual({ width: 56, height: 112 }); // 2.5 -> 2, 3.5 -> 4
  });

  test("small images are scaled up to at least min_pixels (3,136), large ones down to max_pixels (12,845,056), aspect kept", () => {
    expect(resizeForVision({ width: 10, height: 10 })).toEqual({ width: 56, height: 56 });
    const large = resizeForVision({ width: 8000, height: 6000 });
    expect(large.width * large.height).toBeLessThanOrEqual(12_845_056);
    expect((large.width % 28) + (large.height % 28)).toBe(0);
    expect(large.width / large.height).toBeCloseTo(8000 / 6000, 1);
  });
});

describe("countImageTokens", () => {
  test("a 1920x1080 screenshot: 69 x 39 tiles plus the vision start and end tokens, whatever its file weighs", () => {
    expect(visionTokens({ width: 1920, height: 1080 })).toBe(2693);
    expect(countImageTokens(base64(makePng(1920, 1080)))).toBe(2693);
    expect(countImageTokens(base64(makePng(1920, 1080, 300 * 1024)))).toBe(2693);
  });

  test("a photo read from its JPEG frame header", () => {
    expect(countImageTokens({ type: "base64", media_type: "image/jpeg", data: toBase64(makeJpeg(800, 600, { exifBytes: 20_000 })) })).toBe(
      Math.round(800 / 28) * Math.round(600 / 28) + 2,
    );
  });

  test("an image of unknown size (by URL, or an unreadable header) counts as a 1024x1024 one", () => {
    expect(countImageTokens({ type: "url", url: "https://example.com/shot.png" })).toBe(1371);
    expect(countImageTokens({ type: "base64", media_type: "image/png", data: "bm90IGFuIGltYWdl" })).toBe(1371);
    expect(visionTokens({ width: 1024, height: 1024 })).toBe(1371);
  });
});

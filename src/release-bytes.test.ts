import { describe, expect, test } from "bun:test";
import { releaseBytes } from "./release-bytes";

describe("releaseBytes", () => {
  test("bytes that own their whole buffer are handed back: the buffer is detached", () => {
    const bytes = new TextEncoder().encode("x".repeat(400_000));
    releaseBytes(bytes);
    expect(bytes.buffer.detached).toBe(true);
    expect(bytes.length).toBe(0);
  });

  test("a view of part of a buffer leaves the buffer and its other views alone", () => {
    const whole = new Uint8Array(1_000).fill(7);
    const part = whole.subarray(10, 20);
    releaseBytes(part);
    expect(whole.buffer.detached).toBe(false);
    expect(whole[500]).toBe(7);
  });

  test("releasing twice, or a detached buffer's view, is harmless", () => {
    const bytes = new Uint8Array(64);
    releaseBytes(bytes);
    releaseBytes(bytes);
    expect(bytes.buffer.detached).toBe(true);
  });
});

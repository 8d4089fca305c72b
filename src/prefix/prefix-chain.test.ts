import { describe, expect, test } from "bun:test";
import { makePng, toBase64 } from "../../test/support/make-images";
import type { LocalRequest } from "../protocol/anthropic";
import { buildPrefixChain, chainTokens, chainFor } from "./prefix-chain";

const screenshot = (width: number, height: number, fileBytes: number) => ({
  type: "image" as const,
  source: { type: "base64" as const, media_type: "image/png", data: toBase64(makePng(width, height, fileBytes)) },
});
const chainOf = (messages: LocalRequest["messages"]) => buildPrefixChain({ messages });

describe("the prefix chain of a conversation with images", () => {
  test("an image counts by its pixels, at top level and inside a tool_result, not by its base64", () => {
    const image = screenshot(1920, 1080, 300 * 1024);
    const [plain] = chainOf([{ role: "user", content: [{ type: "text", text: "look" }] }]).messages;
    const [withImage] = chainOf([{ role: "user", content: [{ type: "text", text: "look" }, image] }]).messages;
    expect(withImage!.tokens - plain!.tokens).toBeGreaterThanOrEqual(2693);
    expect(withImage!.tokens - plain!.tokens).toBeLessThan(2693 + 20);
    const [result] = chainOf([{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [image] }] }]).messages;
    expect(result!.tokens).toBeGreaterThanOrEqual(2693);
    expect(result!.tokens).toBeLessThan(2693 + 30);
    expect(chainTokens(chainFor(chainOf([{ role: "user", content: [image, image] }]), false))).toBeLessThan(2 * 2693 + 40);
  });

  test("images are told apart by their bytes: the same image resent hashes alike, another of the same size and weight does not", () => {
    const first = screenshot(1920, 1080, 300 * 1024);
    const again = JSON.parse(JSON.stringify(first)); // a new request, a new string
    const other = screenshot(1920, 1080, 300 * 1024);
    other.source.data = `${other.source.data.slice(0, -8)}AAAAAA==`;
    const hash = (image: typeof first) => chainOf([{ role: "user", content: [image] }]).messages[0]!.hash;
    expect(hash(again)).toBe(hash(first));
    expect(hash(other)).not.toBe(hash(first));
  });
});

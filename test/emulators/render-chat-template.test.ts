// The real templates (test/fixtures/templates/) as the emulators render them: the behaviours
// their cache figures depend on.
import { describe, expect, test } from "bun:test";
import { renderChatTemplate, TemplateError } from "./render-chat-template";

const TOOL = {
  type: "function",
  function: { name: "Read", description: "Read a file.", parameters: { type: "object", properties: { path: { type: "string" } } } },
};

describe("real chat templates", () => {
  test("Qwen3-Coder: tools as XML in the first system turn; a late system message rendered in place", () => {
    const prompt = renderChatTemplate(
      "qwen3-coder",
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
        { role: "system", content: "late" },
      ],
      [TOOL],
      { addGenerationPrompt: true },
    );
    expect(prompt).toStartWith(
      "<|im_start|>system\nBe brief.\n\n# Tools\n\nYou have access to the following tools:\n\n<tools>\n<function>\n<name>Read</name>\n<description>Read a file.</description>",
    );
    expect(prompt).toEndWith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>system\nlate<|im_end|>\n<|im_start|>assistant\n");
  });

  test("Qwen3.5 refuses a system message anywhere but first", () => {
    expect(() =>
      renderChatTemplate(
        "qwen3.5",
        [
          { role: "user", content: "a" },
          { role: "system", content: "b" },
        ],
        undefined,
        { addGenerationPrompt: true },
      ),
    ).toThrow(new TemplateError("System message must be at the beginning."));
  });

  test("Qwen3: a string arguments is embedded verbatim, an object dumped with Python's spacing; tool results share one user turn", () => {
    const prompt = renderChatTemplate(
      "qwen3",
      [
        { role: "user", content: "read both" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "Read", arguments: '{"path":"a"}' } }, { function: { name: "Read", arguments: { path: "b" } } }],
        },
        { role: "tool", content: "A" },
        { role: "tool", content: [{ type: "text", text: "B" }] },
      ],
      undefined,
      { addGenerationPrompt: false },
    );
    expect(prompt).toContain(
      '<tool_call>\n{"name": "Read", "arguments": {"path":"a"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"path": "b"}}\n</tool_call><|im_end|>',
    );
    expect(prompt).toEndWith("<|im_start|>user\n<tool_response>\nA\n</tool_response>\n<tool_response>\nB\n</tool_response><|im_end|>\n");
  });

  test("Qwen3-Coder renders arguments value by value: the client's JSON spacing does not reach the prompt", () => {
    const render = (args: Record<string, unknown>) =>
      renderChatTemplate(
        "qwen3-coder",
        [
          { role: "user", content: "go" },
          { role: "assistant", content: "", tool_calls: [{ function: { name: "Read", arguments: args } }] },
        ],
        undefined,
        { addGenerationPrompt: false },
      );
    expect(render({ path: "a", limit: 200, lines: [1, 2] })).toContain(
      "<tool_call>\n<function=Read>\n<parameter=path>\na\n</parameter>\n<parameter=limit>\n200\n</parameter>\n<parameter=lines>\n[1, 2]\n</parameter>\n</function>\n</tool_call><|im_end|>",
    );
  });

  test("Qwen3 drops the reasoning of turns before the last user message, keeps it after (a tool loop) when sent", () => {
    const thought = { role: "assistant", content: "Let me look.", reasoning_content: "I should read it." };
    const asked = renderChatTemplate("qwen3", [{ role: "user", content: "a" }, thought, { role: "user", content: "b" }], undefined, {
      addGenerationPrompt: true,
    });
    expect(asked).toContain("<|im_start|>assistant\nLet me look.<|im_end|>");
    const looping = renderChatTemplate(
      "qwen3",
      [
        { role: "user", content: "a" },
        { ...thought, tool_calls: [{ function: { name: "Read", arguments: "{}" } }] },
        { role: "tool", content: "x" },
      ],
      undefined,
      { addGenerationPrompt: true },
    );
    expect(looping).toContain("<|im_start|>assistant\n<think>\nI should read it.\n</think>\n\nLet me look.\n<tool_call>");
  });
});

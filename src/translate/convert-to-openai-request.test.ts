import { describe, expect, test } from "bun:test";
import type { LocalRequest } from "../protocol/anthropic";
import { convertToOpenAIRequest, type TranslationTarget } from "./convert-to-openai-request";
import { stripBillingHeader } from "./strip-billing-header";

const target: TranslationTarget = { backend: "lmstudio", model: "qwen3-coder", images: true, includeTools: true, cleanToolSchemas: true };

function request(overrides: Partial<LocalRequest>): LocalRequest {
  return { model: "claude-opus-5-5", max_tokens: 32000, messages: [{ role: "user", content: "hi" }], ...overrides };
}

describe("convertToOpenAIRequest", () => {
  test("system blocks join into one leading system message; the upstream model replaces Claude's", () => {
    const { body } = convertToOpenAIRequest(
      request({
        system: [
          { type: "text", text: "You are Claude Code." },
          { type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } },
        ],
      }),
      target,
    );
    expect(body.model).toBe("qwen3-coder");
    expect(body.messages[0]).toEqual({ role: "system", content: "You are Claude Code.\n\nBe brief." });
  });

  test("role system messages mid-conversation stay in place as user text", () => {
    const { body } = convertToOpenAIRequest(
      request({
        system: "top",
        messages: [
          { role: "user", content: "first" },
          { role: "assistant", content: "ok" },
          { role: "system", content: [{ type: "text", text: "<system-reminder>tokens left</system-reminder>" }] },
          { role: "user", content: "second" },
        ],
      }),
      target,
    );
    expect(body.messages.map((message) => [message.role, message.content])).toEqual([
      ["system", "top"],
      ["user", "first"],
      ["assistant", "ok"],
      ["user", "<system-reminder>tokens left</system-reminder>"],
      ["user", "second"],
    ]);
  });

  test("tool_use and tool_result (string, blocks, is_error) become tool_calls and tool messages in order", () => {
    const { body } = convertToOpenAIRequest(
      request({
        messages: [
          { role: "user", content: "read both" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "plan", signature: "sig" },
              { type: "text", text: "Reading." },
              { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a" } },
              { type: "tool_use", id: "toolu_2", name: "Read", input: { file_path: "/b" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_1", content: "A" },
              { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "no such file" }], is_error: true },
              { type: "text", text: "now summarize" },
            ],
          },
        ],
      }),
      target,
    );
    expect(body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: "Reading.",
        reasoning_content: "plan", // templates render it where they keep reasoning, drop it elsewhere
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "Read", arguments: '{"file_path":"/a"}' } },
          { id: "toolu_2", type: "function", function: { name: "Read", arguments: '{"file_path":"/b"}' } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "A" },
      { role: "tool", tool_call_id: "toolu_2", content: "Error: no such file" },
      { role: "user", content: "now summarize" },
    ]);
  });

  test("replayed assistant turns use the bytes the backend generated", () => {
    const replay = { toolArguments: (id: string) => (id === "toolu_1" ? '{"file_path": "/a"}' : undefined), text: () => "Reading.\n" };
    const { body } = convertToOpenAIRequest(
      request({
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [
              { type: "text", text: "Reading." },
              { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a" } },
            ],
          },
        ],
      }),
      { ...target, replay },
    );
    expect(body.messages[1]).toEqual({
      role: "assistant",
      content: "Reading.\n",
      tool_calls: [{ id: "toolu_1", type: "function", function: { name: "Read", arguments: '{"file_path": "/a"}' } }],
    });
  });

  test("images become image_url parts where the backend takes them, a placeholder where it does not", () => {
    const image = { type: "image" as const, source: { type: "base64" as const, media_type: "image/png", data: "iVBOR" } };
    const withImage = request({ messages: [{ role: "user", content: [{ type: "text", text: "what is this" }, image] }] });
    const { body } = convertToOpenAIRequest(withImage, target);
    expect(body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "what is this" },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
      ],
    });
    // A text-only backend: the image becomes a placeholder where it stood, never a refusal.
    expect(convertToOpenAIRequest(withImage, { ...target, backend: "mlx-lm", images: false }).body.messages[0]).toEqual({
      role: "user",
      content: "what is this\n\n[image left out: this backend takes no images]",
    });
  });

  test("tools keep names and order; schemas lose keywords local grammars reject; tool_choice maps", () => {
    const { body } = convertToOpenAIRequest(
      request({
        tools: [
          {
            name: "WebFetch",
            description: "fetch",
            input_schema: {
              $schema: "http://json-schema.org/draft-07/schema#",
              type: "object",
              properties: { url: { type: "string", format: "uri" }, pattern: { type: "string", pattern: "^a" } },
              required: ["url"],
              additionalProperties: false,
            },
          },
          { name: "web_search", type: "web_search_20250305" },
          { name: "mcp__Server__Do_Thing", input_schema: { type: "object" } },
        ],
        tool_choice: { type: "any", disable_parallel_tool_use: true },
      }),
      target,
    );
    expect(body.tools?.map((tool) => tool.function.name)).toEqual(["WebFetch", "mcp__Server__Do_Thing"]);
    expect(body.tools?.[0]?.function.parameters).toEqual({
      type: "object",
      properties: { url: { type: "string" }, pattern: { type: "string" } },
      required: ["url"],
      additionalProperties: false,
    });
    expect(body.tool_choice).toBe("required");
    expect(body.parallel_tool_calls).toBe(false);
  });

  test("schemas go unchanged to a server that does not compile them to grammars (mlx-lm)", () => {
    const schema = { type: "object", properties: { url: { type: "string", format: "uri" } } };
    const { body } = convertToOpenAIRequest(request({ tools: [{ name: "WebFetch", input_schema: schema }] }), { ...target, cleanToolSchemas: false });
    expect(body.tools?.[0]?.function.parameters).toEqual(schema);
  });

  test("tool_choice tool and none", () => {
    const tools = [{ name: "Bash", input_schema: { type: "object" } }];
    expect(convertToOpenAIRequest(request({ tools, tool_choice: { type: "tool", name: "Bash" } }), target).body.tool_choice).toEqual({
      type: "function",
      function: { name: "Bash" },
    });
    expect(convertToOpenAIRequest(request({ tools, tool_choice: { type: "none" } }), target).body.tool_choice).toBe("none");
  });

  test("no tools go upstream when the target does not take them", () => {
    const { body } = convertToOpenAIRequest(request({ tools: [{ name: "Bash", input_schema: { type: "object" } }] }), { ...target, includeTools: false });
    expect(body.tools).toBeUndefined();
  });

  test("sampling fields pass through; max_tokens is always sent and clamped to the backend's limit", () => {
    const { body, warnings } = convertToOpenAIRequest(request({ stream: true, stop_sequences: ["\n\nHuman:"], temperature: 0.2, top_p: 0.9, top_k: 40 }), {
      ...target,
      maxTokens: 8192,
    });
    expect(body).toMatchObject({
      max_tokens: 8192,
      stream: true,
      stream_options: { include_usage: true },
      stop: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
    });
    expect(warnings[0]).toContain("clamped");
    expect(convertToOpenAIRequest(request({}), target).body.max_tokens).toBe(32000);
    // Within the backend's context, without a warning (vLLM refuses more than its max_model_len).
    const withinContext = convertToOpenAIRequest(request({ max_tokens: 128000 }), { ...target, contextLength: 40960 });
    expect(withinContext.body.max_tokens).toBe(40960);
    expect(withinContext.warnings).toEqual([]);
  });

  test("a user turn of tool_use is refused by field", () => {
    expect(() =>
      convertToOpenAIRequest(request({ messages: [{ role: "user", content: [{ type: "tool_use", id: "x", name: "Bash", input: {} }] }] }), target),
    ).toThrow("messages[0].content[0].type");
  });
});

describe("stripBillingHeader", () => {
  test("drops Claude Code's billing block and keeps the rest byte-for-byte", () => {
    const system = [
      { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=sdk-cli; cch=00000;" },
      { type: "text" as const, text: "You are Claude Code.", cache_control: { type: "ephemeral" } },
    ];
    expect(stripBillingHeader(system)).toEqual([system[1]!]);
    expect(stripBillingHeader("x-anthropic-billing-header: cc_version=1;\nYou are Claude Code.")).toBe("You are Claude Code.");
    expect(stripBillingHeader("You are Claude Code.")).toBe("You are Claude Code.");
  });

  test("llama-server is asked for its prefill progress on a stream (return_progress), others are not", () => {
    expect(convertToOpenAIRequest(request({ stream: true }), { ...target, askPrefillProgress: true }).body.return_progress).toBe(true);
    expect(convertToOpenAIRequest(request({ stream: false }), { ...target, askPrefillProgress: true }).body).not.toHaveProperty("return_progress");
    expect(convertToOpenAIRequest(request({ stream: true }), target).body).not.toHaveProperty("return_progress");
  });
});

// Seen on the real mlx_lm.server 0.32.2 (test/real/): a reply "<think>Hmm</think>\n\nDone." came
// back as reasoning "Hmm" and content "\n\nDone."; its TextStateMachine strips only the markers.
describe("replayed turns for mlx_lm.server, whose content keeps the model's separators", () => {
  const mlx: TranslationTarget = { ...target, backend: "mlx-lm", contentKeepsSeparators: true };
  const turn = (blocks: any[]) =>
    convertToOpenAIRequest(
      request({
        messages: [
          { role: "user", content: "go" },
          { role: "assistant", content: blocks },
        ],
      }),
      mlx,
    ).body.messages[1];

  test("the newlines after </think> go (the template writes them), the reasoning goes along", () => {
    expect(
      turn([
        { type: "thinking", thinking: "\nHmm\n", signature: "s" },
        { type: "text", text: "\n\nDone" },
      ]),
    ).toEqual({ role: "assistant", content: "Done", reasoning_content: "\nHmm\n" });
  });

  test("the newline before <tool_call> goes: Qwen3's template writes one after any non-empty content", () => {
    const call = { type: "tool_use", id: "toolu_9", name: "Read", input: { file_path: "/a" } };
    expect(turn([{ type: "text", text: "Reading.\n" }, call])).toMatchObject({ content: "Reading." });
    expect(turn([{ type: "thinking", thinking: "plan", signature: "s" }, { type: "text", text: "\n\n\n" }, call])).toMatchObject({ content: "" });
  });

  test("other backends get the content as generated", () => {
    const other = convertToOpenAIRequest(
      request({
        messages: [
          { role: "user", content: "go" },
          { role: "assistant", content: [{ type: "text", text: "\n\nDone\n" }] },
        ],
      }),
      target,
    ).body.messages[1];
    expect(other).toEqual({ role: "assistant", content: "\n\nDone\n" });
  });
});

describe("Claude Code's session context", () => {
  test("system messages right after the first question go ahead of it as user text; later ones stay in place as user text", () => {
    const { body } = convertToOpenAIRequest(
      request({
        system: "S",
        messages: [
          { role: "user", content: "question" },
          { role: "system", content: "Available agent types: ..." },
          { role: "assistant", content: "answer" },
          { role: "user", content: "next" },
          { role: "system", content: "reminder" },
        ] as any,
      }),
      target,
    );
    expect(body.messages).toEqual([
      { role: "system", content: "S" },
      { role: "user", content: "Available agent types: ..." },
      { role: "user", content: "question" },
      { role: "assistant", content: "answer" },
      { role: "user", content: "next" },
      { role: "user", content: "reminder" },
    ]);
  });

  test("a new session's prompt shares the system prompt and the agent list up to its own question", () => {
    const first = (question: string) =>
      convertToOpenAIRequest(
        request({
          system: "S",
          messages: [
            { role: "user", content: question },
            { role: "system", content: "agents" },
          ] as any,
        }),
        target,
      ).body.messages;
    expect(first("one").slice(0, 2)).toEqual(first("two").slice(0, 2));
    expect(first("one")[2]).not.toEqual(first("two")[2]);
  });

  // Recorded with Claude Code 2.1.337 on a 24k-token llama-server: before a compaction [user (the
  // attribution reminder and the question), system (# Environment ...)], after it [user (the
  // summary), system (Today's date is ...), assistant, user, system (the environment)], with the
  // same system blocks and tools. The system message upstream, before which every template renders
  // nothing and after which it renders the tools, must be the same bytes before and after.
  test("the system prompt is the same before and after a compaction: only what follows the tools differs", () => {
    const before = convertToOpenAIRequest(
      request({
        system: "S",
        messages: [
          { role: "user", content: "reminder\n\nquestion" },
          { role: "system", content: "# Environment\n..." },
        ] as any,
      }),
      target,
    ).body.messages;
    const after = convertToOpenAIRequest(
      request({
        system: "S",
        messages: [
          { role: "user", content: "This session is being continued from a previous conversation ..." },
          { role: "system", content: "Today's date is 2026-12-07." },
          { role: "assistant", content: "ok" },
          { role: "user", content: "go on" },
          { role: "system", content: "# Environment\n..." },
        ] as any,
      }),
      target,
    ).body.messages;
    expect(before[0]).toEqual({ role: "system", content: "S" });
    expect(after[0]).toEqual(before[0]!);
    expect(after.slice(1, 3)).toEqual([
      { role: "user", content: "Today's date is 2026-12-07." },
      { role: "user", content: "This session is being continued from a previous conversation ..." },
    ]);
  });

  test("an error names the field where the client sent it, whatever the layout moved", () => {
    const misplaced = () =>
      convertToOpenAIRequest(
        request({
          system: "S",
          messages: [
            { role: "user", content: "q" },
            { role: "system", content: "env" },
            { role: "assistant", content: "a" },
            { role: "user", content: [{ type: "thinking", thinking: "t", signature: "s" }] },
          ] as any,
        }),
        target,
      );
    expect(misplaced).toThrow("messages[3].content[0].type");
  });
});

test("a backend's chatTemplateKwargs go with every request (e.g. preserve_thinking)", () => {
  const { body } = convertToOpenAIRequest(request({}), { ...target, chatTemplateKwargs: { preserve_thinking: true } });
  expect(body.chat_template_kwargs).toEqual({ preserve_thinking: true });
  expect(convertToOpenAIRequest(request({}), target).body.chat_template_kwargs).toBeUndefined();
});

describe("structured output where the server ignores response_format (mlx_lm.server)", () => {
  test("not sent, and a warning says the format is not enforced", () => {
    const format = { type: "json_schema" as const, schema: { type: "object" } };
    const { body, warnings } = convertToOpenAIRequest(request({ output_config: { format } }), {
      ...target,
      backend: "mlx-lm",
      controls: { forcedTool: "unenforced", responseFormat: false, asksStoppingWord: false },
    });
    expect(body.response_format).toBeUndefined();
    expect(warnings).toEqual(['output format not enforced: backend "mlx-lm" does not read response_format']);
  });
});

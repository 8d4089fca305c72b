// Every content block the Messages API defines, in one conversation as Claude Code would resend
// it, is answered by every kind of backend: translated or degraded, never refused.
import { sentJson } from "../support/sent-body";
import { describe, expect, test } from "bun:test";
import type { BackendKind } from "../../src/config/config-schema";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";

const PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const conversation = [
  {
    role: "user",
    content: [
      { type: "text", text: "Read these." },
      { type: "document", title: "notes", source: { type: "text", media_type: "text/plain", data: "plain notes" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" } },
      { type: "document", source: { type: "url", url: "https://example.com/spec.pdf" } },
      { type: "document", source: { type: "file", file_id: "file_011" } },
      { type: "document", source: { type: "content", content: [{ type: "text", text: "inline" }] } },
      { type: "search_result", source: "https://docs.example", title: "Docs", content: [{ type: "text", text: "found" }] },
      { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
      { type: "image", source: { type: "file", file_id: "file_012" } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1x1 } },
      { type: "container_upload", file_id: "file_013" },
      { type: "hologram_2030", payload: { any: "thing" } },
    ],
  },
  {
    role: "assistant",
    content: [
      { type: "redacted_thinking", data: "opaque" },
      { type: "thinking", thinking: "hmm", signature: "sig" },
      { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "bun" } },
      {
        type: "web_search_tool_result",
        tool_use_id: "srvtoolu_1",
        content: [{ type: "web_search_result", title: "Bun", url: "https://bun.sh", encrypted_content: "x" }],
      },
      { type: "server_tool_use", id: "srvtoolu_2", name: "code_execution", input: { code: "print(1)" } },
      { type: "code_execution_tool_result", tool_use_id: "srvtoolu_2", content: { type: "code_execution_result", stdout: "1\n", stderr: "", return_code: 0 } },
      { type: "mcp_tool_use", id: "mcptoolu_1", name: "lookup", server_name: "notes", input: {} },
      { type: "mcp_tool_result", tool_use_id: "mcptoolu_1", is_error: false, content: [{ type: "text", text: "a note" }] },
      { type: "tool_use", id: "toolu_1", name: "ToolSearch", input: { query: "select:WebFetch" } },
    ],
  },
  {
    role: "user",
    content: [
      {
        type: "tool_result",
        tool_use_id: "toolu_1",
        content: [
          { type: "tool_reference", tool_name: "WebFetch" },
          { type: "search_result", source: "s", title: "t", content: [{ type: "text", text: "u" }] },
          { type: "future_part" },
        ],
      },
      { type: "text", text: "Go on." },
    ],
  },
];

const tools = [
  { name: "ToolSearch", description: "search tools", input_schema: { type: "object", properties: { query: { type: "string" } } } },
  { name: "WebFetch", description: "fetch", input_schema: { type: "object", properties: { url: { type: "string" } } }, defer_loading: true },
];

function appFor(kind: BackendKind) {
  const bodies: any[] = [];
  const fetcher = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    if (url.endsWith("/health") || url.endsWith("/props")) return Response.json({ status: "ok" });
    if (url.includes("/models")) return Response.json({ data: [{ id: "qwen", type: "llm", state: "loaded" }] });
    bodies.push(sentJson(init));
    if (url.endsWith("/messages"))
      return Response.json({
        type: "message",
        role: "assistant",
        content: [{ type: "text", text: "ok" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 10, output_tokens: 1 },
      });
    return Response.json({
      choices: [{ message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 1 },
    });
  }) as typeof fetch;
  const config = resolveConfig({ backends: [{ name: "local", kind, url: "http://127.0.0.1:9/v1", tools: true, images: true }] }, {});
  const { app } = createApp({ config, fetch: fetcher, version: "test" });
  return { app, bodies };
}

describe("every content block is answered, by every kind of backend", () => {
  for (const kind of ["lmstudio", "mlx-lm", "openai", "anthropic"] as const) {
    test(kind, async () => {
      const { app, bodies } = appFor(kind);
      const response = await app.handle(
        new Request("http://localhost/v1/messages", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 100, tools, messages: conversation }),
        }),
      );
      expect(response.status).toBe(200);
      const sent = JSON.stringify(bodies.at(-1));
      for (const gone of [
        "tool_reference",
        "search_result",
        "server_tool_use",
        "container_upload",
        "hologram_2030",
        "future_part",
        'application/pdf"',
        "defer_loading",
      ])
        expect(sent).not.toContain(gone);
      expect(sent).toContain("plain notes");
      expect(sent).toContain("<functions>");
      expect(sent).toContain("https://bun.sh");
    });
  }
});

// Issue 28: a screenshot pasted into a session whose only backend takes no images was a 400 on the
// openai kind (and, as Claude Code resends the history, every later turn of the session too) and a
// 502 on the anthropic kind, which clients retry. Now each image becomes the same placeholder
// text, a warning is logged, and the reply comes as usual; the next turn's prompt extends this one.
import { describe, expect, test } from "bun:test";
import type { BackendKind } from "../../src/config/config-schema";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { sentJson } from "../support/sent-body";
import { capturedWarnings } from "../support/captured-warnings";

// A text-only llama-server on either API: its /props says so (modalities.vision false), and like
// the real one it refuses image input without a projector (multimodal) model.
function textOnlyServer(kind: BackendKind) {
  const sent: any[] = [];
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith("/props"))
      return Response.json({ default_generation_settings: { n_ctx: 32768 }, total_slots: 1, modalities: { vision: false, audio: false } });
    if (url.endsWith("/v1/models")) return Response.json({ data: [{ id: "qwen3.gguf" }] });
    const body = sentJson(init);
    sent.push(body);
    if (JSON.stringify(body).includes("iVBOR"))
      return Response.json(
        {
          error: { code: 500, message: "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj", type: "server_error" },
        },
        { status: 500 },
      );
    if (url.endsWith("/chat/completions"))
      return Response.json({ choices: [{ message: { role: "assistant", content: "I cannot see it." }, finish_reason: "stop" }] });
    return Response.json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "qwen3.gguf",
      content: [{ type: "text", text: "I cannot see it." }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 30, output_tokens: 5 },
    });
  }) as typeof fetch;
  const config = resolveConfig({ backends: [{ name: "llama", kind, url: "http://127.0.0.1:9/v1", tools: true }] }, {});
  const { app } = createApp({ config, fetch: fetcher, version: "test" });
  const post = (body: object) =>
    app.handle(new Request("http://localhost/v1/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
  return { post, sent };
}

const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo" } };
const firstTurn = [
  { role: "user", content: [{ type: "text", text: "What is wrong here?" }, image] },
  { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/tmp/shot.png" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [image] }] },
];
const nextTurn = [...firstTurn, { role: "assistant", content: "I cannot see it." }, { role: "user", content: "Then read the log." }];
const ask = (messages: object[]) => ({ model: "claude-opus-5-5", max_tokens: 64, tools: [{ name: "Read", input_schema: { type: "object" } }], messages });

const warnings = capturedWarnings();

describe("an image for a backend that takes none", () => {
  for (const kind of ["openai", "anthropic"] as const) {
    test(`${kind} kind: answered, each image a placeholder, a warning; the next turn extends the prompt`, async () => {
      const { post, sent } = textOnlyServer(kind);
      const first = await post(ask(firstTurn));
      expect(first.status).toBe(200);
      expect(((await first.json()) as any).content[0].text).toBe("I cannot see it.");
      expect(JSON.stringify(sent[0]).split("[image left out: this backend takes no images]").length - 1).toBe(2);
      expect(warnings).toContain('images left out for backend "llama", which takes none (set "images": true in its config if its model does)');
      expect((await post(ask(nextTurn))).status).toBe(200);
      expect(sent[1].messages.slice(0, sent[0].messages.length)).toEqual(sent[0].messages);
    });
  }
});

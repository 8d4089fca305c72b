import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { probeBackend } from "./probe-backend";

// A llama-server as its /props and /v1/models answer (tools/server: server-context.cpp's props).
const llamaServer = (async (input: string | URL | Request) => {
  const url = String(input);
  if (url.endsWith("/props")) return Response.json({ model_path: "/models/qwen3.gguf", total_slots: 4, default_generation_settings: { n_ctx: 16384 }, chat_template_caps: { supports_tools: true } });
  if (url.endsWith("/v1/models")) return Response.json({ object: "list", data: [{ id: "qwen3", object: "model" }] });
  return new Response("not found", { status: 404 });
}) as typeof fetch;

// The daemon's probe is also what `doctor` reads: one reader per server.
describe("probing a backend", () => {
  test("llama-server (kind openai or anthropic, with or without /v1): its model, n_ctx, whether its template takes tools, and its slots", async () => {
    for (const [kind, url] of [["openai", "http://127.0.0.1:8080/v1"], ["anthropic", "http://127.0.0.1:8080"]] as const) {
      const [backend] = resolveConfig({ backends: [{ name: "llama", kind, url }] }, {}).backends;
      expect(await probeBackend(backend!, llamaServer)).toEqual({ healthy: true, model: "qwen3", models: ["qwen3"], contextLength: 16384, tools: true, slots: 4 });
    }
  });

  test("a server without /props (vLLM, Ollama) says only its model", async () => {
    const [backend] = resolveConfig({ backends: [{ name: "vllm", kind: "openai", url: "http://127.0.0.1:8000/v1" }] }, {}).backends;
    const vllm = (async (input: string | URL | Request) => (String(input).endsWith("/v1/models") ? Response.json({ data: [{ id: "Qwen/Qwen3-Coder" }] }) : new Response("{}", { status: 404 }))) as typeof fetch;
    expect(await probeBackend(backend!, vllm)).toEqual({ healthy: true, model: "Qwen/Qwen3-Coder", models: ["Qwen/Qwen3-Coder"] });
  });
});

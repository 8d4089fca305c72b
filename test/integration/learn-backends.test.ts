// What the daemon learns from each kind of backend: tool calling and the loaded context.
import { afterAll, describe, expect, test } from "bun:test";
import { BackendPool } from "../../src/backends/backend-pool";
import { resolveConfig } from "../../src/config/resolve-config";
import { startServer } from "../../src/server/start-server";
import type { ConfigFile } from "../../src/config/config-schema";
import { startLmStudioServer, startMlxLmServer } from "../emulators";
import { freePort } from "../support/compiled-binary";

const stops: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(stops.map((stop) => stop())));

async function learn(backends: NonNullable<ConfigFile["backends"]>, fetcher: typeof fetch = fetch) {
  const pool = new BackendPool(resolveConfig({ backends }, {}).backends, fetcher);
  await pool.probeAll();
  return pool.backends.map((backend) => backend.probe!);
}

// A llama-server's /props as it answers it (trimmed), and its model list.
function llamaServer(supportsTools: boolean, nCtx: number): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith("/props"))
      return Response.json({
        default_generation_settings: { n_ctx: nCtx, params: {} },
        total_slots: 4,
        chat_template_caps: { supports_tools: supportsTools, supports_tool_calls: supportsTools },
      });
    if (url.endsWith("/v1/models")) return Response.json({ object: "list", data: [{ id: "qwen3-coder.gguf", object: "model" }] });
    return new Response("not found", { status: 404 });
  }) as typeof fetch;
}

describe("learning what a backend can do", () => {
  test("LM Studio 0.4: the loaded model, its loaded context and trained_for_tool_use", async () => {
    const lmstudio = await startLmStudioServer({ contextLength: 16384 });
    stops.push(lmstudio.stop);
    const [probe] = await learn([{ name: "lmstudio", kind: "lmstudio", url: lmstudio.url }]);
    expect(probe).toMatchObject({ healthy: true, model: "qwen/qwen3-coder-30b", tools: true, contextLength: 16384 });
  });

  test("mlx_lm.server: takes tools (0.30+ parses them from its template); no context told", async () => {
    const mlx = await startMlxLmServer();
    stops.push(mlx.stop);
    const [probe] = await learn([{ name: "mlx-lm", kind: "mlx-lm", url: mlx.url }]);
    expect(probe).toMatchObject({ healthy: true, model: "default_model", tools: true });
    expect(probe!.contextLength).toBeUndefined();
  });

  test("llama-server: /props tells the template's tool support and n_ctx, for openai and anthropic kinds", async () => {
    const [openai, anthropic] = await learn(
      [
        { name: "llama", kind: "openai", url: "http://127.0.0.1:8080/v1" },
        { name: "llama-messages", kind: "anthropic", url: "http://127.0.0.1:8080" },
      ],
      llamaServer(false, 8192),
    );
    expect(openai).toMatchObject({ healthy: true, model: "qwen3-coder.gguf", tools: false, contextLength: 8192 });
    // An anthropic backend's URL without /v1 still finds /v1/models.
    expect(anthropic).toMatchObject({ healthy: true, model: "qwen3-coder.gguf", tools: false, contextLength: 8192 });
  });

  test("nothing listening: down, and the reason reads as one", async () => {
    const [probe] = await learn([{ name: "mlx-lm", kind: "mlx-lm", url: `http://127.0.0.1:${await freePort()}/v1` }]);
    expect(probe).toMatchObject({ healthy: false, error: "nothing is listening there (connection refused)" });
  });

  test("a prompt over the loaded context is 'prompt is too long' from the daemon; the backend is never asked", async () => {
    const lmstudio = await startLmStudioServer({ contextLength: 2048 });
    stops.push(lmstudio.stop);
    const server = await startServer({ config: resolveConfig({ port: 0, backends: [{ name: "lmstudio", kind: "lmstudio", url: lmstudio.url }] }, {}) });
    stops.push(server.stop);
    const ask = (content: string) =>
      fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 64, messages: [{ role: "user", content }] }),
      });
    expect((await ask("What is 2+2?")).status).toBe(200);
    const tooLong = await ask("word ".repeat(5_000));
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as any).error).toMatchObject({
      type: "invalid_request_error",
      message: expect.stringMatching(/^prompt is too long: \d+ tokens > 2048 maximum/),
    });
    expect(lmstudio.requests).toHaveLength(1);
    const status = (await (await fetch(`${server.url}/anyclaude/status`)).json()) as any;
    expect(status.backends[0]).toMatchObject({ contextLength: 2048, tools: true });
  });
});

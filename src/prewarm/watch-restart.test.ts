import { describe, expect, test } from "bun:test";
import type { BackendConfig } from "../config/config-schema";
import { resolveConfig } from "../config/resolve-config";
import { checkRestart } from "./watch-restart";

const backendAt = (kind: BackendConfig["kind"], url: string) => resolveConfig({ backends: [{ name: "b", kind, url }] }, {}).backends[0]!;

function serve(status: number) {
  const paths: string[] = [];
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => (paths.push(new URL(request.url).pathname), new Response("", { status })) });
  return { url: `http://127.0.0.1:${server.port}/v1`, paths, stop: () => server.stop(true) };
}

describe("checkRestart", () => {
  test("llama-server: its unlogged /v1/health, 503 while the model loads; refused when nothing listens", async () => {
    const loading = serve(503);
    expect(await checkRestart(backendAt("openai", loading.url), fetch, { port: false })).toEqual({ sign: "loading its model (HTTP 503)" });
    expect(loading.paths).toEqual(["/v1/health"]);
    await loading.stop();
    expect(await checkRestart(backendAt("openai", loading.url), fetch, { port: false })).toEqual({ sign: "connection refused" });
  });

  test("a server without that path (Ollama: 404) is asked by its port from then on", async () => {
    const ollama = serve(404);
    expect(await checkRestart(backendAt("openai", ollama.url), fetch, { port: false })).toEqual({ noHealthPath: true });
    expect(await checkRestart(backendAt("openai", ollama.url), fetch, { port: true })).toEqual({ sign: undefined });
    expect(ollama.paths).toEqual(["/v1/health"]); // the port check sends no request
    await ollama.stop();
  });

  test("mlx-lm and LM Studio: only their port, which sends them nothing to log", async () => {
    const up = serve(200);
    expect(await checkRestart(backendAt("mlx-lm", up.url), fetch, { port: false })).toEqual({ sign: undefined });
    expect(up.paths).toEqual([]);
    await up.stop();
    expect(await checkRestart(backendAt("lmstudio", up.url), fetch, { port: false })).toEqual({ sign: "connection refused" });
  });
});

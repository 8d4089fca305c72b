// Connections real servers close, and backends that come up after the daemon.
import { afterEach, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { startServer, type RunningServer } from "../../src/server/start-server";
import { startLoadingServer, startResettingServer } from "../support/flaky-backends";

const ask = { model: "claude-opus-5-5", max_tokens: 64, messages: [{ role: "user", content: "What is 2+2?" }] };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => void (await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))));

async function daemonFor(url: string): Promise<RunningServer> {
  const server = await startServer({ config: resolveConfig({ port: 0, backends: [{ name: "llama", kind: "openai", url }] }, {}) });
  cleanups.push(server.stop);
  return server;
}

// As Claude Code sends them (its User-Agent gets x-should-retry: false on a 503).
const post = (server: RunningServer, body: unknown = ask) =>
  fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "claude-cli/2.1.332 (external, cli)" },
    body: JSON.stringify(body),
  });
const status = async (server: RunningServer) => (await (await fetch(`${server.url}/anyclaude/status`)).json()) as any;

describe("a backend that resets reused connections", () => {
  test("every request is served (sent again on a fresh connection) and the backend stays up", async () => {
    const backend = await startResettingServer();
    cleanups.push(backend.stop);
    const server = await daemonFor(backend.url);
    for (let round = 0; round < 4; round++) {
      const response = await post(server);
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).content[0].text).toBe("4");
    }
    expect(backend.resets()).toBeGreaterThan(0);
    expect((await status(server)).backends[0]).toMatchObject({ healthy: true, errors: 0, requests: 4 });
  });
});

describe("a backend that is still loading its model when the daemon starts", () => {
  test("is down at first, and the first request after it is ready is served", async () => {
    const backend = startLoadingServer();
    cleanups.push(backend.stop);
    const server = await daemonFor(backend.url);
    const refused = await post(server);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("x-should-retry")).toBe("false");
    expect(((await refused.json()) as any).error.message).toContain("HTTP 503 (still loading its model?)");
    backend.ready();
    await Bun.sleep(1_100); // probes of a down backend are at most a second apart
    const served = await post(server);
    expect(served.status).toBe(200);
    expect((await status(server)).backends[0]).toMatchObject({ healthy: true, model: "qwen3-coder.gguf" });
  });
});

// The first five minutes, with the real Claude Code CLI and the default config: no backend at
// all (a clear message, at once), only mlx_lm.server, or only LM Studio (tools included).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/resolve-config";
import { startServer } from "../../src/server/start-server";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle } from "../emulators";
import { freePort } from "../support/compiled-binary";
import { makeClaudeHome, runClaude } from "../support/run-claude";

const stops: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(stops.map((stop) => stop())));

// The daemon with the default backends, at the URLs given (a free port: nothing there).
async function daemon(urls: { lmstudio?: string; mlx?: string }): Promise<string> {
  const dead = async () => `http://127.0.0.1:${await freePort()}/v1`;
  const env = { LMSTUDIO_URL: urls.lmstudio ?? (await dead()), MLX_LM_URL: urls.mlx ?? (await dead()) };
  const server = await startServer({ config: resolveConfig({ port: 0 }, env) });
  stops.push(server.stop);
  return server.url;
}

async function emulator(start: () => Promise<EmulatorHandle>): Promise<EmulatorHandle> {
  const handle = await start();
  stops.push(handle.stop);
  return handle;
}

describe("Claude Code with the default config", () => {
  test("no backend running: it ends within 10 s, naming each backend, its URL and how to start it", async () => {
    const baseUrl = await daemon({});
    const { home, workdir } = makeClaudeHome();
    const started = Date.now();
    const run = await runClaude(["-p", "What is 2+2?"], { baseUrl, home, workdir, timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("no backend can serve this request");
    expect(run.stdout).toMatch(
      /lmstudio \(lmstudio at http:\/\/127\.0\.0\.1:\d+\/v1\): nothing is listening there \(connection refused\); start LM Studio's server \(lms server start --port \d+\) and load a model/,
    );
    expect(run.stdout).toMatch(
      /mlx-lm \(mlx-lm at http:\/\/127\.0\.0\.1:\d+\/v1\): nothing is listening there \(connection refused\); start it: mlx_lm\.server --model <model> --port \d+/,
    );
  }, 30_000);

  for (const only of ["mlx-lm", "lmstudio"] as const) {
    test(`only ${only} running: a question and a Write tool call are answered`, async () => {
      const backend = await emulator(only === "mlx-lm" ? startMlxLmServer : startLmStudioServer);
      const baseUrl = await daemon(only === "mlx-lm" ? { mlx: backend.url } : { lmstudio: backend.url });
      const { home, workdir } = makeClaudeHome();
      const question = await runClaude(["-p", "What is 2+2?"], { baseUrl, home, workdir });
      expect(question.exitCode).toBe(0);
      expect(question.stdout.trim()).toBe("4");
      const write = await runClaude(["-p", "Create a new file called test.txt with 'Hello World'", "--allowedTools", "Write"], { baseUrl, home, workdir });
      expect(write.exitCode).toBe(0);
      expect(existsSync(join(workdir, "test.txt")) && readFileSync(join(workdir, "test.txt"), "utf8")).toBe("Hello World");
      // The tool list reached the backend, and the tool result came back to it.
      expect(backend.requests.some((request) => request.body.tools?.length > 0)).toBe(true);
      expect(backend.requests.some((request) => request.body.messages.some((message: { role: string }) => message.role === "tool"))).toBe(true);
    }, 120_000);
  }
});

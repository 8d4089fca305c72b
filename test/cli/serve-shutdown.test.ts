// `anyclaude serve` stopped by SIGTERM or SIGINT while a reply streams: the client hears why (an
// overloaded_error event), and the process exits 0. Run from source (bun src/cli/main.ts), which
// is what the compiled binary bundles.
import { afterEach, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { startFaultBackend, type FaultBackend } from "../support/fault-backend";
import { freePort, sandbox, useConfigFile } from "../support/compiled-binary";

const MAIN = resolve(import.meta.dir, "../../src/cli/main.ts");
const backends: FaultBackend[] = [];
afterEach(async () => void (await Promise.all(backends.splice(0).map((backend) => backend.stop()))));

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} while a reply streams: the stream ends with an overloaded_error event, and serve exits 0`, async () => {
    const backend = await startFaultBackend({ kind: "stream", intervalMs: 50 }); // words forever
    backends.push(backend);
    const box = sandbox();
    const port = await freePort();
    useConfigFile(box, { port, backends: [{ name: "llama", kind: "openai", url: backend.url }] });
    const child = Bun.spawn([process.execPath, MAIN, "serve", "--log-file", join(box.home, "anyclaude.log")], {
      env: box.env,
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await until(async () => (await fetch(`${url}/anyclaude/health`)).ok, 15_000);
      const response = await fetch(`${url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", max_tokens: 64000, stream: true, messages: [{ role: "user", content: "count" }] }),
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      while (!text.includes("content_block_delta")) text += decoder.decode((await reader.read()).value, { stream: true });
      child.kill(signal);
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      const last = text.trim().split("\n\n").at(-1)!;
      expect(last).toBe(
        `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "the anyclaude daemon is shutting down" } })}`,
      );
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
}

// `anyclaude bench` (the compiled binary, its own daemon) on a real llama-server: what it reports
// per query must be what the server reported, and the follow-ups must find the prompt cached.
import { afterAll, expect, test } from "bun:test";
import { daemonSandboxes, freePort, runBinary, useConfigFile } from "../support/compiled-binary";
import { saveFigures } from "./figures";
import { describeReal, startLlamaServer, type RealServer } from "./real-servers";

describeReal("anyclaude bench on llama-server", () => {
  const newSandbox = daemonSandboxes();
  let real: RealServer | undefined;
  afterAll(() => real?.stop());

  test("the cold query computes the prompt; the follow-ups find it cached, as the server says", async () => {
    real = await startLlamaServer("qwen3-coder");
    const box = newSandbox();
    useConfigFile(box, {
      port: await freePort(),
      backends: [{ name: "llama", kind: "openai", url: real.url }],
      routing: { toolsBackend: "llama", defaultBackend: "llama" },
    });
    const run = await runBinary(["bench", "--backend", "llama", "--json"], box.env);
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout);
    saveFigures("bench-llama-server", { queries: report.queries, speedup: report.speedup, systemPromptShare: report.systemPromptShare });

    const [cold, ...followUps] = report.queries;
    expect(Math.abs(cold.promptTokens - 18_490) / 18_490).toBeLessThan(0.03); // the seed's size, as the server counts

    expect(cold.cachedTokens).toBe(0);
    for (const query of followUps) expect(query.cachedTokens / query.promptTokens).toBeGreaterThan(0.95);
  }, 600_000);
});

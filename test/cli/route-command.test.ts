// `anyclaude route FILE.json` on the compiled binary, against the backend emulators.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle } from "../emulators";
import { compiledBinary, freePort, runBinary, sandbox } from "../support/compiled-binary";

beforeAll(() => void compiledBinary());

describe("anyclaude route", () => {
  let mlx: EmulatorHandle;
  let lmstudio: EmulatorHandle;
  beforeAll(async () => ([mlx, lmstudio] = await Promise.all([startMlxLmServer(), startLmStudioServer()])));
  afterAll(() => Promise.all([mlx.stop(), lmstudio.stop()]));

  test("prints the decision for a request body without sending it", async () => {
    const { env, home } = sandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    env.LMSTUDIO_URL = lmstudio.url;
    env.MLX_LM_URL = mlx.url;
    const body = join(home, "request.json");
    writeFileSync(
      body,
      JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 100,
        tools: [{ name: "Bash", input_schema: { type: "object" } }],
        messages: [{ role: "user", content: "ls" }],
      }),
    );
    const run = await runBinary(["route", body, "--json"], env);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      backend: "lmstudio",
      reason: "tools",
      needsTools: true,
      backends: [
        { name: "lmstudio", healthy: true, warmTokens: 0 },
        { name: "mlx-lm", healthy: true, warmTokens: 0 },
      ],
    });
    const human = await runBinary(["route", body], env);
    expect(human.stdout).toStartWith("backend: lmstudio\nreason: tools\nneeds tools: yes\n");
    expect(human.stdout).toContain("warm prefix per backend:\n  lmstudio: 0 tokens, tools\n  mlx-lm: 0 tokens, tools\n");
    expect(lmstudio.requests).toHaveLength(0);
    // With the backends down it still explains: what is wrong, and where it would go once up.
    const down = await runBinary(["route", body], sandbox().env);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toStartWith("backend: none can serve it now\nwhy: no backend can serve this request. lmstudio (lmstudio at http://127.0.0.1:");
    expect(down.stdout).toContain("once up: lmstudio (tools)\nneeds tools: yes\n");
    expect(down.stdout).toMatch(/lmstudio: 0 tokens \(down\), tools/);
    writeFileSync(body, JSON.stringify({ model: "x", messages: [{ role: "user", content: "hi" }] }));
    const bad = await runBinary(["route", body], env);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("max_tokens");
    const usage = await runBinary(["route"], env);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain("usage: anyclaude route FILE.json");
  });
});

// `anyclaude doctor` against emulated backends in each failing state: down, no model loaded,
// context too small, a model not trained for tools; and without claude installed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import packageJson from "../../package.json";
import { TESTED_CLAUDE_CODE } from "../../src/doctor/tested-claude-code";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle, type LmStudioOptions } from "../emulators";
import { compiledBinary, daemonSandboxes, freePort, runBinary, standIn, useConfigFile } from "../support/compiled-binary";

beforeAll(() => void compiledBinary());
const daemonSandbox = daemonSandboxes();

type Check = { name: string; ok: boolean; required: boolean; detail: string; fix: string | null };

let mlx: EmulatorHandle;
beforeAll(async () => {
  mlx = await startMlxLmServer();
});
afterAll(() => mlx.stop());

async function doctorWith(lmstudioUrl: string, options: { claude?: boolean | string; json?: boolean; tools?: boolean | "auto" } = {}) {
  const box = daemonSandbox();
  const { env, bin } = box;
  if (options.claude !== false) standIn(bin, "claude", `echo "${typeof options.claude === "string" ? options.claude : "2.1.197"} (Claude Code)"`);
  useConfigFile(box, {
    port: await freePort(),
    backends: [
      { name: "lmstudio", kind: "lmstudio", url: lmstudioUrl, tools: options.tools ?? "auto" },
      { name: "mlx-lm", kind: "mlx-lm", url: mlx.url, tools: false },
    ],
  });
  const run = await runBinary(["doctor", ...(options.json === false ? [] : ["--json"])], env);
  return { run, env, report: options.json === false ? undefined : (JSON.parse(run.stdout) as { ok: boolean; summary: string; checks: Check[] }) };
}

async function withLmStudio<T>(options: LmStudioOptions, body: (url: string) => Promise<T>): Promise<T> {
  const lmstudio = await startLmStudioServer(options);
  try {
    return await body(lmstudio.url);
  } finally {
    await lmstudio.stop();
  }
}

const check = (checks: Check[], name: string) => checks.find((entry) => entry.name === name);

describe("anyclaude doctor", () => {
  test("all well: exit 0; each backend's model, context and tools; what is only worth knowing is not a failure", async () => {
    await withLmStudio({}, async (url) => {
      const { run, report } = await doctorWith(url);
      expect(run.exitCode).toBe(0);
      expect(report!.ok).toBe(true);
      expect(report!.summary).toBe("Claude Code can work through anyclaude: lmstudio can serve its requests");
      expect(report!.checks.map((entry) => entry.name)).toEqual([
        "daemon",
        "lmstudio: answers",
        "lmstudio: model loaded",
        "lmstudio: context",
        "lmstudio: tools",
        "lmstudio: cached tokens",
        "mlx-lm: answers",
        "mlx-lm: model loaded",
        "mlx-lm: context",
        "mlx-lm: tools",
        "mlx-lm: cached tokens",
        "claude",
        "claude version",
        "service",
      ]);
      expect(check(report!.checks, "lmstudio: model loaded")).toMatchObject({ ok: true, detail: "qwen/qwen3-coder-30b" });
      expect(check(report!.checks, "lmstudio: context")).toMatchObject({ ok: true, detail: "loaded with 32,768 tokens of context" });
      expect(check(report!.checks, "lmstudio: tools")).toMatchObject({ ok: true, detail: "takes tools; the model was trained for tool use" });
      expect(check(report!.checks, "lmstudio: cached tokens")).toMatchObject({ ok: false, required: false });
      expect(check(report!.checks, "claude")).toMatchObject({ ok: true, detail: expect.stringMatching(/^2\.1\.197 \(Claude Code\) at \//) });
      expect(check(report!.checks, "daemon")).toMatchObject({ ok: false, required: false, fix: "anyclaude start (or just run anyclaude, which starts it)" });
      expect(check(report!.checks, "service")).toMatchObject({ ok: false, required: false });
    });
  });

  test("a backend that is down: its fix says how to start it; with no other backend for tools, exit 1", async () => {
    const port = await freePort();
    const { run, report } = await doctorWith(`http://127.0.0.1:${port}/v1`);
    expect(run.exitCode).toBe(1);
    expect(report!.summary).toBe("Claude Code cannot work through anyclaude: no backend that takes tools answers with a model loaded and enough context");
    expect(check(report!.checks, "lmstudio: answers")).toMatchObject({
      ok: false,
      required: true,
      fix: expect.stringContaining(`lms server start --port ${port}`),
    });
    expect(check(report!.checks, "lmstudio: model loaded")).toBeUndefined();
  });

  test("no model loaded", async () => {
    await withLmStudio({ modelLoaded: false }, async (url) => {
      const { run, report } = await doctorWith(url);
      expect(run.exitCode).toBe(1);
      expect(check(report!.checks, "lmstudio: model loaded")).toMatchObject({
        ok: false,
        detail: "no model is loaded",
        fix: expect.stringContaining("lms load"),
      });
    });
  });

  test("a context too small for Claude Code's prompt", async () => {
    await withLmStudio({ contextLength: 8192 }, async (url) => {
      const { run, report } = await doctorWith(url);
      expect(run.exitCode).toBe(1);
      expect(check(report!.checks, "lmstudio: context")).toMatchObject({
        ok: false,
        detail: "loaded with 8,192 tokens of context: Claude Code's prompt alone is about 20,000",
        fix: expect.stringContaining("32,768 or more"),
      });
    });
  });

  test("a model not trained for tool use on the tools backend", async () => {
    await withLmStudio({ trainedForToolUse: false }, async (url) => {
      const given = await doctorWith(url, { tools: true });
      expect(given.run.exitCode).toBe(1);
      expect(check(given.report!.checks, "lmstudio: tools")).toMatchObject({
        ok: false,
        required: true,
        detail: "given tools, but the loaded model was not trained for tool use",
      });
      // "tools": "auto" (the default) follows what LM Studio says: no tools for it, and none left.
      const auto = await doctorWith(url);
      expect(auto.run.exitCode).toBe(1);
      expect(check(auto.report!.checks, "lmstudio: tools")).toMatchObject({
        ok: false,
        required: false,
        detail: expect.stringMatching(/^not given tools \("tools": "auto"\)/),
      });
      expect(auto.report!.summary).toBe(
        "Claude Code cannot work through anyclaude: no backend that takes tools answers with a model loaded and enough context",
      );
    });
  });

  test("which Claude Code releases this build was tested with; a newer one installed is worth knowing (!), not a failure", async () => {
    const { newest, oldest } = TESTED_CLAUDE_CODE;
    const tested = await doctorWith(mlx.url, { claude: oldest });
    expect(check(tested.report!.checks, "claude version")).toMatchObject({
      ok: true,
      detail: `${oldest}: this build was tested with Claude Code ${oldest} to ${newest}`,
    });
    const newer = await doctorWith(mlx.url, { claude: "9.0.0", json: false });
    expect(newer.run.stdout).toContain(`! claude version: 9.0.0 is newer than ${newest}: this build was tested with Claude Code ${oldest} to ${newest}`);
    expect(newer.run.stdout).toContain(
      `fix: update anyclaude; if a request is refused (anyclaude logs), pin Claude Code meanwhile: npm install -g @anthropic-ai/claude-code@${newest}`,
    );
  });

  test("without claude: exit 1 and how to install it; as text, a mark per line and the fix below", async () => {
    await withLmStudio({ contextLength: 8192 }, async (url) => {
      const { run } = await doctorWith(url, { claude: false, json: false });
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain("✗ claude: claude is not on PATH\n    fix: npm install -g @anthropic-ai/claude-code\n");
      expect(run.stdout).toContain("✓ lmstudio: answers: lmstudio at ");
      expect(run.stdout).toContain("✗ lmstudio: context: loaded with 8,192 tokens of context");
      expect(run.stdout).toContain("! service: not installed");
      expect(run.stdout).toEndWith("\nClaude Code cannot work through anyclaude: claude is not installed\n");
    });
  });

  test("through the running daemon: its version, and whether it saw cached tokens reported", async () => {
    await withLmStudio({}, async (url) => {
      const { env } = await doctorWith(url);
      expect((await runBinary(["start"], env)).exitCode).toBe(0);
      const { port } = JSON.parse(await Bun.file(env.ANYCLAUDE_CONFIG!).text());
      await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: "POST",
        body: JSON.stringify({ model: "mlx-lm", max_tokens: 20, messages: [{ role: "user", content: "What is 2+2?" }] }),
      });
      const report = JSON.parse((await runBinary(["doctor", "--json"], env)).stdout) as { checks: Check[] };
      expect(check(report.checks, "daemon")).toMatchObject({
        ok: true,
        detail: expect.stringContaining(`anyclaude ${packageJson.version} at http://127.0.0.1:${port}`),
      });
      expect(check(report.checks, "mlx-lm: cached tokens")).toMatchObject({ ok: true, detail: "reports cached tokens" });
      expect(check(report.checks, "mlx-lm: prewarm")).toMatchObject({
        ok: true,
        required: false,
        detail: "no Claude Code session seen here yet: nothing to warm",
      });
      await runBinary(["stop"], env);
    });
  });
});

// `anyclaude` with no subcommand: the daemon started if needed, then claude run against it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle } from "../emulators";
import { compiledBinary, daemonSandboxes, freePort, runBinary, standIn, useConfigFile } from "../support/compiled-binary";

// An LM Studio with a 32768-token context loaded, for the daemons that claude is run against.
let lmstudio: EmulatorHandle;
beforeAll(async () => {
  compiledBinary();
  lmstudio = await startLmStudioServer({ contextLength: 32768 });
});
afterAll(() => lmstudio.stop());

const sandboxes = daemonSandboxes();
const daemonSandbox = () => {
  const box = sandboxes();
  box.env.LMSTUDIO_URL = lmstudio.url;
  return box;
};

// A stand-in claude that writes its environment and one argument a line, then exits 7.
const CLAUDE = (out: string) =>
  `{ echo "url=$ANTHROPIC_BASE_URL"; echo "quiet=$CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"; echo "token=$ANTHROPIC_AUTH_TOKEN"; for arg in "$@"; do echo "arg=$arg"; done; } > "${out}"; exit 7`;

describe("the launcher", () => {
  test("starts the daemon and runs claude against it, passing arguments and the exit code", async () => {
    const { env, home, bin } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    standIn(bin, "claude", CLAUDE(join(home, "claude.out")));
    const run = await runBinary(["--", "-p", "hello there", "--model", "x"], env);
    expect(run.exitCode).toBe(7);
    expect(readFileSync(join(home, "claude.out"), "utf8").trim().split("\n")).toEqual([
      `url=http://127.0.0.1:${env.ANYCLAUDE_PORT}`,
      "quiet=1",
      "token=anyclaude",
      "arg=--settings",
      `arg={"statusLine":{"type":"command","command":"${compiledBinary()} statusline --url http://127.0.0.1:${env.ANYCLAUDE_PORT}"}}`,
      "arg=-p",
      "arg=hello there",
      "arg=--model",
      "arg=x",
    ]);
    expect((await runBinary(["status"], env)).exitCode).toBe(0); // the daemon outlives claude
    await runBinary(["stop"], env);
  });

  test("keeps the user's own CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC and reuses a running daemon", async () => {
    const { env, home, bin } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "0";
    standIn(bin, "claude", CLAUDE(join(home, "claude.out")));
    expect((await runBinary(["start"], env)).exitCode).toBe(0);
    const { pid } = JSON.parse((await runBinary(["status", "--json"], env)).stdout);
    expect((await runBinary([], env)).exitCode).toBe(7);
    expect(readFileSync(join(home, "claude.out"), "utf8")).toContain("quiet=0\n");
    expect(JSON.parse((await runBinary(["status", "--json"], env)).stdout).pid).toBe(pid);
    await runBinary(["stop"], env);
  });

  // A wildcard host is reached on loopback too (daemonUrl, tested in src/cli); tests bind loopback only.
  test("a daemon with an authToken is given it by the launcher", async () => {
    const { env, home, bin } = daemonSandbox();
    const port = await freePort();
    const config = join(home, "config.json");
    writeFileSync(config, JSON.stringify({ host: "127.0.0.1", port, authToken: "s3cret" }));
    env.ANYCLAUDE_CONFIG = config;
    delete env.ANYCLAUDE_PORT; // the config's port
    standIn(bin, "claude", CLAUDE(join(home, "claude.out")));
    expect((await runBinary([], env)).exitCode).toBe(7);
    expect(readFileSync(join(home, "claude.out"), "utf8")).toStartWith(`url=http://127.0.0.1:${port}\nquiet=1\ntoken=s3cret\n`);
    await runBinary(["stop"], env);
  });

  // Claude Code sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer and ANTHROPIC_API_KEY as
  // x-api-key; the stand-in sends them as it does.
  test("with an authToken, claude gets it and not the user's own ANTHROPIC_API_KEY, and is let in", async () => {
    const box = daemonSandbox();
    const { env, home, bin } = box;
    const port = await freePort();
    useConfigFile(box, { port, authToken: "s3cret", backends: [{ name: "lmstudio", kind: "lmstudio", url: lmstudio.url, tools: true }] });
    env.ANTHROPIC_API_KEY = "sk-ant-users-own";
    env.ANTHROPIC_AUTH_TOKEN = "users-other-token";
    const out = join(home, "claude.out");
    const send = `curl -s -o /dev/null -w "status=%{http_code}\\n" -H "authorization: Bearer $ANTHROPIC_AUTH_TOKEN" -H "x-api-key: $ANTHROPIC_API_KEY" "$ANTHROPIC_BASE_URL/v1/models"`;
    standIn(bin, "claude", `{ echo "token=$ANTHROPIC_AUTH_TOKEN"; echo "key=\${ANTHROPIC_API_KEY-unset}"; ${send}; } > "${out}"`);
    expect((await runBinary(["--", "-p", "hi"], env)).exitCode).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("token=s3cret\nkey=unset\nstatus=200\n");
    await runBinary(["stop"], env);
  });

  test("survives Ctrl-C (claude handles it) and passes a SIGTERM on to claude", async () => {
    const { env, home, bin } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    const out = join(home, "claude.out");
    standIn(bin, "claude", `trap 'echo TERM >> "${out}"; exit 5' TERM; echo ready > "${out}"; for i in $(seq 200); do sleep 0.05; done`); // ends by itself if orphaned
    const child = Bun.spawn([compiledBinary()], { env, stdout: "pipe", stderr: "pipe" });
    for (let tries = 0; tries < 200 && !existsSync(out); tries++) await Bun.sleep(50);
    child.kill("SIGINT");
    await Bun.sleep(300);
    expect(child.exitCode).toBeNull();
    child.kill("SIGTERM");
    expect(await child.exited).toBe(5);
    expect(readFileSync(out, "utf8")).toBe("ready\nTERM\n");
  });

  test("without claude installed it says how to install it, and starts nothing", async () => {
    const { env } = sandboxes();
    const run = await runBinary([], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("claude is not installed or not on PATH; install it with: npm install -g @anthropic-ai/claude-code");
    expect((await runBinary(["status"], env)).exitCode).toBe(1);
  });

  test("the status line Claude Code is given prints the session's last request", async () => {
    const mlx = await startMlxLmServer();
    try {
      const box = daemonSandbox();
      const { env, home, bin } = box;
      const port = await freePort();
      useConfigFile(box, { port, backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx.url }] });
      standIn(bin, "claude", CLAUDE(join(home, "claude.out")));
      expect((await runBinary([], env)).exitCode).toBe(7);
      const settings = readFileSync(join(home, "claude.out"), "utf8")
        .split("\n")
        .find((line) => line.startsWith("arg={"))!
        .slice(4);
      const { command } = JSON.parse(settings).statusLine;
      // What Claude Code does after a message of the session whose stdin it recorded.
      const stdin = readFileSync(new URL("../fixtures/claude-code/statusline.stdin.json", import.meta.url), "utf8");
      await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: "POST",
        headers: { "x-claude-code-session-id": JSON.parse(stdin).session_id },
        body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 50, messages: [{ role: "user", content: "What is 2+2?" }] }),
      });
      const line = Bun.spawnSync(["sh", "-c", command], { stdin: new Blob([stdin]), env: { PATH: "/usr/bin:/bin" } });
      expect(line.stderr.toString()).toBe("");
      expect(line.stdout.toString()).toStartWith("mlx-lm · default_model · 0% cached");
      await runBinary(["stop"], env);
    } finally {
      await mlx.stop();
    }
  });

  test("no status line of ours over the user's own, or with --no-statusline, or when claude is given --settings", async () => {
    const { env, home, bin } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    const out = join(home, "claude.out");
    standIn(bin, "claude", CLAUDE(out));
    const args = () =>
      readFileSync(out, "utf8")
        .split("\n")
        .filter((line) => line.startsWith("arg="));

    expect((await runBinary(["--no-statusline", "--", "-p", "hi"], env)).exitCode).toBe(7);
    expect(args()).toEqual(["arg=-p", "arg=hi"]);
    expect((await runBinary(["--", "--settings", "{}"], env)).exitCode).toBe(7);
    expect(args()).toEqual(["arg=--settings", "arg={}"]);

    const project = join(home, "project");
    mkdirSync(join(project, ".claude"), { recursive: true });
    writeFileSync(join(project, ".claude", "settings.json"), JSON.stringify({ statusLine: { type: "command", command: "echo mine" } }));
    expect((await runBinary([], env, { cwd: project })).exitCode).toBe(7);
    expect(args()).toEqual([]);

    mkdirSync(join(home, ".claude"));
    writeFileSync(join(home, ".claude", "settings.json"), JSON.stringify({ statusLine: { type: "command", command: "echo mine" } }));
    expect((await runBinary([], env)).exitCode).toBe(7);
    expect(args()).toEqual([]);

    const misplaced = await runBinary(["--no-statusline", "-p", "hi"], env);
    expect(misplaced.exitCode).toBe(2);
    expect(misplaced.stderr).toContain("arguments for claude go after --, as in: anyclaude --no-statusline -- -p hi");
    await runBinary(["stop"], env);
  });

  test("tells claude about the loaded model: context, timeout and model names; the user's own settings win", async () => {
    const { env, home, bin } = daemonSandbox();
    const out = join(home, "claude.env");
    standIn(bin, "claude", `env > "${out}"`);
    env.ANTHROPIC_DEFAULT_HAIKU_MODEL_NAME = "my haiku";
    expect((await runBinary(["--", "-p", "hi"], env)).exitCode).toBe(0);
    const seen = Object.fromEntries(
      readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(seen).toMatchObject({
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: "32768",
      API_TIMEOUT_MS: "1200000",
      ANTHROPIC_DEFAULT_OPUS_MODEL_NAME: "qwen/qwen3-coder-30b (lmstudio)",
      ANTHROPIC_DEFAULT_SONNET_MODEL_NAME: "qwen/qwen3-coder-30b (lmstudio)",
      ANTHROPIC_DEFAULT_HAIKU_MODEL_NAME: "my haiku",
    });
    // Below Claude Code's 100k floor: the floor, and where in it to compact (~75% of 32k).
    expect(seen).toMatchObject({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: "100000", CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: "30" });
  });

  test("with no backend up it says what is wrong with each and how to start it, and runs no claude", async () => {
    const { env, home, bin } = sandboxes();
    standIn(bin, "claude", `touch "${join(home, "claude.ran")}"`);
    const started = Date.now();
    const run = await runBinary(["--", "-p", "What is 2+2?"], env);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("no backend can serve Claude Code.");
    expect(run.stderr).toContain(
      `lmstudio (lmstudio at ${env.LMSTUDIO_URL}): nothing is listening there (connection refused); start LM Studio's server (lms server start --port`,
    );
    expect(run.stderr).toContain(
      `mlx-lm (mlx-lm at ${env.MLX_LM_URL}): nothing is listening there (connection refused); start it: mlx_lm.server --model <model> --port`,
    );
    expect(existsSync(join(home, "claude.ran"))).toBe(false);
    // claude --version needs no model: it runs anyway.
    expect((await runBinary(["--", "--version"], env)).exitCode).toBe(0);
    expect(existsSync(join(home, "claude.ran"))).toBe(true);
  });
});

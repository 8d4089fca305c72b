// `anyclaude` with no subcommand: the daemon started if needed, then claude run against it.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startMlxLmServer } from "../emulators";
import { compiledBinary, daemonSandboxes, freePort, runBinary, sandbox, standIn } from "../support/compiled-binary";

beforeAll(() => void compiledBinary());

const daemonSandbox = daemonSandboxes();

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

  test("a daemon listening on every address is reached on loopback, with its authToken", async () => {
    const { env, home, bin } = daemonSandbox();
    const port = await freePort();
    const config = join(home, "config.json");
    writeFileSync(config, JSON.stringify({ host: "0.0.0.0", port, authToken: "s3cret" }));
    env.ANYCLAUDE_CONFIG = config;
    standIn(bin, "claude", CLAUDE(join(home, "claude.out")));
    expect((await runBinary([], env)).exitCode).toBe(7);
    expect(readFileSync(join(home, "claude.out"), "utf8")).toStartWith(`url=http://127.0.0.1:${port}\nquiet=1\ntoken=s3cret\n`);
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
    const { env } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    const run = await runBinary([], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("claude is not installed or not on PATH; install it with: npm install -g @anthropic-ai/claude-code");
    expect((await runBinary(["status"], env)).exitCode).toBe(1);
  });

  test("the status line Claude Code is given prints the session's last request", async () => {
    const mlx = await startMlxLmServer();
    try {
      const { env, home, bin } = daemonSandbox();
      const port = await freePort();
      env.ANYCLAUDE_CONFIG = join(home, "config.json");
      writeFileSync(env.ANYCLAUDE_CONFIG, JSON.stringify({ port, backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx.url }] }));
      standIn(bin, "claude", CLAUDE(join(home, "claude.out")));
      expect((await runBinary([], env)).exitCode).toBe(7);
      const settings = readFileSync(join(home, "claude.out"), "utf8").split("\n").find((line) => line.startsWith("arg={"))!.slice(4);
      const { command } = JSON.parse(settings).statusLine;
      // What Claude Code does after a message of the session whose stdin it recorded.
      const stdin = readFileSync(new URL("../fixtures/claude-code/statusline.stdin.json", import.meta.url), "utf8");
      await fetch(`http://127.0.0.1:${port}/v1/messages`, { method: "POST", headers: { "x-claude-code-session-id": JSON.parse(stdin).session_id }, body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 50, messages: [{ role: "user", content: "What is 2+2?" }] }) });
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
    const args = () => readFileSync(out, "utf8").split("\n").filter((line) => line.startsWith("arg="));

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
});

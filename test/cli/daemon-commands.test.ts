// start, stop, restart, status, logs and serve: a real detached daemon on a free loopback port,
// in a throwaway HOME, without launchd or systemd.
import { beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import packageJson from "../../package.json";
import { compiledBinary, daemonSandboxes, freePort, runBinary, sandbox, standIn } from "../support/compiled-binary";

beforeAll(() => void compiledBinary());

const daemonSandbox = daemonSandboxes();

async function isUp(port: string | number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/anyclaude/health`).then(
    (response) => response.ok,
    () => false,
  );
}

// An anyclaude of another build: answers health and status, reports a healthy backend, stops on SIGTERM.
const OLD_DAEMON = `
const status = { version: "0.0.1", build: "000000000000", pid: process.pid, listen: "", uptimeSeconds: 1, routes: {}, sessions: 0,
  backends: [{ name: "lmstudio", kind: "lmstudio", url: "http://127.0.0.1:1/v1", healthy: true, model: "m", tools: true, contextLength: null, requests: 0, promptTokens: 0, cachedTokens: 0 }] };
const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), fetch(request) {
  const path = new URL(request.url).pathname;
  if (path === "/anyclaude/health") return Response.json({ status: "ok" });
  if (path === "/anyclaude/status") return Response.json(status);
  return new Response("", { status: 404 });
} });
process.on("SIGTERM", () => { server.stop(true); process.exit(0); });
`;

describe("daemon control", () => {
  test("start, status, restart, stop round-trip a detached daemon; status exits 1 with one line when it is down", async () => {
    const { env } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    const started = await runBinary(["start"], env);
    expect(started.exitCode).toBe(0);
    expect(started.stderr).toContain(`anyclaude started at http://127.0.0.1:${env.ANYCLAUDE_PORT}`);

    const status = await runBinary(["status", "--json"], env);
    expect(status.exitCode).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report).toMatchObject({ running: true, version: packageJson.version, listen: `http://127.0.0.1:${env.ANYCLAUDE_PORT}`, routes: {}, sessions: 0 });
    expect(report.backends.map((backend: { name: string; requests: number }) => [backend.name, backend.requests])).toEqual([
      ["lmstudio", 0],
      ["mlx-lm", 0],
    ]);

    const human = await runBinary(["status"], env);
    expect(human.stdout).toStartWith(`anyclaude ${packageJson.version} running at http://127.0.0.1:${env.ANYCLAUDE_PORT} (pid ${report.pid}, up `);
    expect(human.stdout).toMatch(/^backend +kind +health +model +tools +context +requests +errors +cached +ttft p50 +decode$/m);
    expect(human.stdout).toMatch(/^lmstudio +lmstudio +down +- +yes +- +0 +0 +- +- +-$/m);
    expect(human.stdout).toContain(`lmstudio (lmstudio at ${env.LMSTUDIO_URL}): nothing is listening there (connection refused); start LM Studio's server`);
    expect(human.stdout).toContain("routes: none yet");
    const viaUrl = await runBinary(["status", "--json", "--url", `http://127.0.0.1:${env.ANYCLAUDE_PORT}/`], { ...env, ANYCLAUDE_PORT: "1" });
    expect(JSON.parse(viaUrl.stdout).pid).toBe(report.pid);

    expect((await runBinary(["start"], env)).stderr).toContain("anyclaude is running at"); // already running: fine
    expect((await runBinary(["restart"], env)).exitCode).toBe(0);
    const restarted = JSON.parse((await runBinary(["status", "--json"], env)).stdout);
    expect(restarted.pid).not.toBe(report.pid);

    const stopped = await runBinary(["stop"], env);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stderr).toContain(`anyclaude stopped (pid ${restarted.pid})`);
    expect(await isUp(env.ANYCLAUDE_PORT)).toBe(false);
    const down = await runBinary(["status"], env);
    expect(down.exitCode).toBe(1);
    expect(down.stdout).toBe("");
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
    expect(down.stderr).toContain(`anyclaude is not running at http://127.0.0.1:${env.ANYCLAUDE_PORT} (start it with: anyclaude start)`);
    const downJson = await runBinary(["status", "--json"], env);
    expect(downJson.exitCode).toBe(1);
    expect(JSON.parse(downJson.stdout)).toEqual({
      running: false,
      url: `http://127.0.0.1:${env.ANYCLAUDE_PORT}`,
      error: expect.stringContaining("anyclaude is not running"),
    });
    expect((await runBinary(["stop"], env)).exitCode).toBe(0); // already stopped: fine

    const logs = await runBinary(["logs"], env);
    expect(logs.stdout.match(/listening on/g)).toHaveLength(2);
    expect(logs.stdout).toContain("SIGTERM: stopping");
    expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[info\] \[anyclaude\] listening on /m); // timestamped lines
  });

  test("start restarts a daemon of another build with this one; the launcher only says so", async () => {
    const { env, bin, home } = daemonSandbox();
    const startOld = async () => {
      const old = Bun.spawn([process.execPath, "-e", OLD_DAEMON], { env: { ...env, PORT: env.ANYCLAUDE_PORT! }, stdout: "ignore", stderr: "ignore" });
      for (let tries = 0; tries < 100 && !(await isUp(env.ANYCLAUDE_PORT!)); tries++) await Bun.sleep(50);
      return old;
    };
    const old = await startOld();
    standIn(bin, "claude", `touch "${join(home, "claude.ran")}"`);
    const launched = await runBinary([], env);
    expect(launched.stderr).toContain("runs 0.0.1 (build 000000000000), not this");
    expect(launched.stderr).toContain("to use this one: anyclaude restart");
    expect(existsSync(join(home, "claude.ran"))).toBe(true);
    const started = await runBinary(["start"], env);
    expect(started.exitCode).toBe(0);
    expect(started.stderr).toContain("runs 0.0.1 (build 000000000000); restarting it with");
    await old.exited;
    const report = JSON.parse((await runBinary(["status", "--json"], env)).stdout);
    expect(report).toMatchObject({ running: true, version: packageJson.version, build: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(report.pid).not.toBe(old.pid);
  });

  test("started in the background, the daemon rotates its log past 10 MB: the full one becomes anyclaude.log.1", async () => {
    const { env, home } = daemonSandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    const logDir = join(home, ".local/state/anyclaude");
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, "anyclaude.log"), `old\n${"x".repeat(10 * 1024 * 1024)}\n`);
    expect((await runBinary(["start"], env)).exitCode).toBe(0);
    await runBinary(["stop"], env);
    expect(readFileSync(join(logDir, "anyclaude.log.1"), "utf8")).toStartWith("old\n");
    expect(readFileSync(join(logDir, "anyclaude.log"), "utf8")).toContain("listening on");
  });

  test("start reports a daemon that exits at once, with its reason, without waiting for the timeout", async () => {
    const { env } = sandbox();
    const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("not anyclaude", { status: 404 }) });
    const port = taken.port!;
    env.ANYCLAUDE_PORT = String(port);
    const startedAt = Date.now();
    const run = await runBinary(["start"], env);
    taken.stop(true);
    expect(run.exitCode).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`before answering at http://127.0.0.1:${port}: 127.0.0.1:${port} is already in use`);
    expect(run.stderr).toContain(".local/state/anyclaude/anyclaude.log");
  });

  test("logs -f prints what is appended, and starts over after a rotation", async () => {
    const { env, home } = sandbox();
    const log = join(home, ".local/state/anyclaude/anyclaude.log");
    mkdirSync(join(log, ".."), { recursive: true });
    writeFileSync(log, "first\n");
    const child = Bun.spawn([compiledBinary(), "logs", "-f"], { env, stdout: "pipe" });
    const reader = child.stdout.getReader();
    let seen = "";
    const waitFor = async (text: string) => {
      while (!seen.includes(text)) seen += new TextDecoder().decode((await reader.read()).value);
    };
    try {
      await waitFor("first\n");
      appendFileSync(log, "second\n");
      await waitFor("second\n");
      renameSync(log, `${log}.1`);
      writeFileSync(log, "new\n");
      await waitFor("new\n");
      expect(seen).toBe("first\nsecond\nnew\n");
    } finally {
      child.kill();
    }
  });

  test("logs before any daemon ran says where it looked", async () => {
    const { env, home } = sandbox();
    const run = await runBinary(["logs"], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(join(home, ".local/state/anyclaude/anyclaude.log"));
  });
});

describe("anyclaude serve", () => {
  test("runs in the foreground until SIGINT, then stops gracefully; --port beats ANYCLAUDE_PORT", async () => {
    const { env } = sandbox();
    const port = await freePort();
    const child = Bun.spawn([compiledBinary(), "serve", "--port", String(port)], { env: { ...env, ANYCLAUDE_PORT: "1" }, stdout: "pipe", stderr: "pipe" });
    for (let tries = 0; tries < 100 && !(await isUp(port)); tries++) await Bun.sleep(50);
    expect(await isUp(port)).toBe(true);
    child.kill("SIGINT");
    expect(await child.exited).toBe(0);
    expect(await isUp(port)).toBe(false);
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain(`listening on http://127.0.0.1:${port}`);
    expect(stderr).toContain("SIGINT: stopping");
    expect(await new Response(child.stdout).text()).toBe("");
  });

  // Issue 18: what launchd and systemd run. They never rotate a log; the daemon rotates its own,
  // while it runs, and writes nothing to stderr meanwhile.
  test("--log-file: the daemon writes its log there and rotates it at 10 MB (the full one becomes anyclaude.log.1), 0600", async () => {
    const { env, home } = sandbox();
    const port = await freePort();
    const log = join(home, "logs/anyclaude.log");
    mkdirSync(join(log, ".."), { recursive: true });
    writeFileSync(log, `old\n${"x".repeat(10 * 1024 * 1024 - 10)}\n`); // the next line does not fit
    const child = Bun.spawn([compiledBinary(), "serve", "--port", String(port), "--log-file", log], { env, stdout: "pipe", stderr: "pipe" });
    for (let tries = 0; tries < 100 && !(await isUp(port)); tries++) await Bun.sleep(50);
    expect(await isUp(port)).toBe(true);
    child.kill("SIGINT");
    expect(await child.exited).toBe(0);
    expect(readFileSync(`${log}.1`, "utf8")).toStartWith("old\n");
    expect(readFileSync(log, "utf8")).toContain(`listening on http://127.0.0.1:${port}`);
    expect(readFileSync(log, "utf8")).toContain("SIGINT: stopping");
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(await new Response(child.stderr).text()).toBe("");
  });

  test("a taken port is one line and exit 1", async () => {
    const { env } = sandbox();
    const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = taken.port!;
    const run = await runBinary(["serve", "--port", String(port)], env);
    taken.stop(true);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`127.0.0.1:${port} is already in use`);
  });

  test("a bad config stops serve before it binds, naming the file, line and key", async () => {
    const { env, home } = sandbox();
    const config = join(home, "bad.json");
    writeFileSync(config, '{\n  "port": "18082"\n}\n'); // a string: refused before anything binds
    const run = await runBinary(["serve", "--config", config], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`${config}:2:3: port: Invalid type: Expected number`);
    expect(existsSync(join(home, ".local"))).toBe(false);
  });
});

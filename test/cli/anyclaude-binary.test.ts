// The compiled binary, as users run it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import packageJson from "../../package.json";
import { startLmStudioServer, startMlxLmServer, type EmulatorHandle } from "../emulators";
import { compiledBinary, freePort, runBinary, sandbox, standIn } from "../support/compiled-binary";

beforeAll(() => void compiledBinary());

// The keys of a flat launchd plist <dict>, read the way plutil would.
function readPlist(xml: string): Record<string, unknown> {
  const dict = /<plist[^>]*>\s*<dict>([\s\S]*)<\/dict>\s*<\/plist>/.exec(xml)?.[1] ?? "";
  const out: Record<string, unknown> = {};
  for (const entry of dict.matchAll(/<key>([^<]+)<\/key>\s*(<true\/>|<false\/>|<string>([^<]*)<\/string>|<array>([\s\S]*?)<\/array>|<dict>([\s\S]*?)<\/dict>)/g)) {
    const [, key, whole, text, array] = entry;
    out[key!] = whole === "<true/>" ? true : whole === "<false/>" ? false : text !== undefined ? text : array !== undefined ? [...array.matchAll(/<string>([^<]*)<\/string>/g)].map((item) => item[1]) : whole;
  }
  return out;
}

describe("anyclaude binary", () => {
  test("--version prints the package version; --help lists the commands", async () => {
    const { env } = sandbox();
    expect((await runBinary(["--version"], env)).stdout).toBe(`anyclaude ${packageJson.version}\n`);
    const help = await runBinary(["--help"], env);
    for (const command of ["serve", "start", "status", "service install", "config path", "route FILE.json", "logs"]) expect(help.stdout).toContain(command);
  });

  test("service print --platform darwin: a launchd agent that runs `serve` at load and keeps it alive", async () => {
    const { env, home } = sandbox();
    const run = await runBinary(["service", "print", "--platform", "darwin"], env);
    expect(run.exitCode).toBe(0);
    const plist = readPlist(run.stdout);
    expect(plist).toMatchObject({ Label: "dev.anyclaude.daemon", ProgramArguments: [compiledBinary(), "serve"], RunAtLoad: true, KeepAlive: true });
    expect(plist.StandardOutPath).toBe(join(home, "Library/Logs/anyclaude/anyclaude.log"));
    expect(plist.StandardErrorPath).toBe(join(home, "Library/Logs/anyclaude/anyclaude.log"));
    expect(existsSync(join(home, "Library"))).toBe(false); // print changes nothing
  });

  test("service print --platform linux: a systemd user unit", async () => {
    const run = await runBinary(["service", "print", "--platform", "linux"], sandbox().env);
    expect(run.stdout).toContain(`ExecStart=${compiledBinary()} serve\n`);
    expect(run.stdout).toContain("Restart=on-failure");
    expect(run.stdout).toContain("[Install]\nWantedBy=default.target");
  });

  test("service install/uninstall on linux drive systemctl --user; reinstall replaces; uninstall leaves nothing", async () => {
    const { env, home, bin } = sandbox();
    standIn(bin, "systemctl", `echo "$@" >> "${home}/systemctl.calls"`);
    const unit = join(home, ".config/systemd/user/anyclaude.service");
    expect((await runBinary(["service", "install", "--platform", "linux"], env)).exitCode).toBe(0);
    expect(readFileSync(unit, "utf8")).toContain(`ExecStart=${compiledBinary()} serve`);
    expect((await runBinary(["service", "install", "--platform", "linux"], env)).exitCode).toBe(0);
    expect((await runBinary(["service", "uninstall", "--platform", "linux"], env)).exitCode).toBe(0);
    expect(existsSync(unit)).toBe(false);
    expect(readFileSync(join(home, "systemctl.calls"), "utf8").trim().split("\n")).toEqual([
      "--user daemon-reload",
      "--user enable --now anyclaude.service",
      "--user disable --now anyclaude.service",
      "--user daemon-reload",
      "--user enable --now anyclaude.service",
      "--user disable --now anyclaude.service",
      "--user daemon-reload",
    ]);
  });

  test("service install/uninstall on darwin bootstrap and boot out the agent", async () => {
    const { env, home, bin } = sandbox();
    standIn(bin, "launchctl", `echo "$@" >> "${home}/launchctl.calls"`);
    const plist = join(home, "Library/LaunchAgents/dev.anyclaude.daemon.plist");
    expect((await runBinary(["service", "install", "--platform", "darwin"], env)).exitCode).toBe(0);
    expect(readPlist(readFileSync(plist, "utf8")).Label).toBe("dev.anyclaude.daemon");
    expect((await runBinary(["service", "uninstall", "--platform", "darwin"], env)).exitCode).toBe(0);
    expect(existsSync(plist)).toBe(false);
    const uid = process.getuid!();
    expect(readFileSync(join(home, "launchctl.calls"), "utf8").trim().split("\n")).toEqual([`bootstrap gui/${uid} ${plist}`, `bootout gui/${uid}/dev.anyclaude.daemon`]);
  });

  test("a failing systemctl is one clear line and exit 1", async () => {
    const { env, bin } = sandbox();
    standIn(bin, "systemctl", 'echo "Failed to connect to bus: No medium found" >&2; exit 1');
    const run = await runBinary(["service", "install", "--platform", "linux"], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("`systemctl --user daemon-reload` failed (exit 1): Failed to connect to bus");
  });

  test("config init writes a commented default that checks clean; errors name the key and the line", async () => {
    const { env, home } = sandbox();
    const path = join(home, ".config/anyclaude/config.json");
    expect((await runBinary(["config", "path"], env)).stdout.trim()).toBe(path);
    expect((await runBinary(["config", "init"], env)).exitCode).toBe(0);
    expect(readFileSync(path, "utf8")).toStartWith("// anyclaude configuration");
    expect((await runBinary(["config", "check"], env)).exitCode).toBe(0);
    expect((await runBinary(["config", "init"], env)).exitCode).toBe(1);
    writeFileSync(path, '{\n  "backends": [\n    { "name": "lm", "kind": "lmstudio", "url": "http://127.0.0.1:1234/v1", "apiKey": "sk-secret" }\n  ],\n  "routing": { "toolsBackend": "lm", "defaultBackend": "lm", "afinity": true }\n}\n');
    const check = await runBinary(["config", "check"], env);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toContain(`${path}:5:62: routing.afinity: unknown key`);
    writeFileSync(path, '{ "backends": [{ "name": "lm", "kind": "lmstudio", "url": "http://127.0.0.1:1234/v1", "apiKey": "sk-secret" }] }');
    const show = await runBinary(["config", "show"], env);
    expect(JSON.parse(show.stdout).backends[0].apiKey).toBe("********");
  });

  test("start, status, stop round-trip a detached daemon; status exits 1 with one line when it is down", async () => {
    const { env } = sandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    expect((await runBinary(["start"], env)).exitCode).toBe(0);
    const status = await runBinary(["status", "--json"], env);
    expect(status.exitCode).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report).toMatchObject({ version: packageJson.version, listen: `http://127.0.0.1:${env.ANYCLAUDE_PORT}` });
    expect(report.backends.map((backend: { name: string }) => backend.name)).toEqual(["lmstudio", "mlx-lm"]);
    expect((await runBinary(["status"], env)).stdout).toContain("lmstudio  lmstudio  down");
    expect((await runBinary(["start"], env)).exitCode).toBe(0); // already running: fine
    expect((await runBinary(["stop"], env)).exitCode).toBe(0);
    const down = await runBinary(["status"], env);
    expect(down.exitCode).toBe(1);
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
    expect(down.stderr).toContain("anyclaude start");
    expect((await runBinary(["logs"], env)).stdout).toContain("listening on");
  });

  test("serve on a taken port is one line and exit 1", async () => {
    const { env } = sandbox();
    const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = taken.port!;
    const run = await runBinary(["serve", "--port", String(port)], env);
    taken.stop(true);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`127.0.0.1:${port} is already in use`);
  });

  test("the launcher starts the daemon and runs claude against it, passing arguments and the exit code", async () => {
    const { env, home, bin } = sandbox();
    env.ANYCLAUDE_PORT = String(await freePort());
    standIn(bin, "claude", `echo "url=$ANTHROPIC_BASE_URL quiet=$CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC args=$*" > "${home}/claude.out"; exit 7`);
    const run = await runBinary(["--", "-p", "hello there"], env);
    expect(run.exitCode).toBe(7);
    expect(readFileSync(join(home, "claude.out"), "utf8").trim()).toBe(`url=http://127.0.0.1:${env.ANYCLAUDE_PORT} quiet=1 args=-p hello there`);
    expect((await runBinary(["status"], env)).exitCode).toBe(0);
    await runBinary(["stop"], env);
  });

  test("the launcher without claude installed says how to install it", async () => {
    const run = await runBinary([], sandbox().env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("npm install -g @anthropic-ai/claude-code");
  });
});

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
    writeFileSync(body, JSON.stringify({ model: "claude-opus-5-5", max_tokens: 100, tools: [{ name: "Bash", input_schema: { type: "object" } }], messages: [{ role: "user", content: "ls" }] }));
    const run = await runBinary(["route", body, "--json"], env);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ backend: "lmstudio", reason: "tools", needsTools: true, backends: [{ name: "lmstudio", healthy: true, warmTokens: 0 }, { name: "mlx-lm", healthy: true, warmTokens: 0 }] });
    expect(lmstudio.requests).toHaveLength(0);
    writeFileSync(body, JSON.stringify({ model: "x", messages: [] }));
    const bad = await runBinary(["route", body], env);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("max_tokens");
  });
});

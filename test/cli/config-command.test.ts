// `anyclaude config`, `--version` and `--help` on the compiled binary.
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import packageJson from "../../package.json";
import { compiledBinary, runBinary, sandbox } from "../support/compiled-binary";

beforeAll(() => void compiledBinary());

describe("anyclaude config", () => {
  test("init writes a commented default that checks clean and shows as the defaults", async () => {
    const { env, home } = sandbox();
    const path = join(home, ".config/anyclaude/config.json");
    expect((await runBinary(["config", "path"], env)).stdout).toBe(`${path}\n`);
    const before = JSON.parse((await runBinary(["config", "show"], env)).stdout);
    const check = await runBinary(["config", "check"], env);
    expect(check.exitCode).toBe(0);
    expect(check.stderr).toContain("does not exist: the defaults apply");
    expect((await runBinary(["config", "init"], env)).exitCode).toBe(0);
    expect(readFileSync(path, "utf8")).toStartWith("// anyclaude configuration");
    expect(statSync(path).mode & 0o777).toBe(0o600); // where the authToken and apiKeys go
    const checked = await runBinary(["config", "check"], env);
    expect(checked.exitCode).toBe(0);
    expect(checked.stderr).toContain(`${path} is valid`);
    expect(JSON.parse((await runBinary(["config", "show"], env)).stdout)).toEqual(before);
    const again = await runBinary(["config", "init"], env);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("already exists (use --force to overwrite)");
    chmodSync(path, 0o644);
    expect((await runBinary(["config", "init", "--force"], env)).exitCode).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("errors name the file, the line and the key", async () => {
    const { env, home } = sandbox();
    const path = join(home, ".config/anyclaude/config.json");
    await runBinary(["config", "init"], env);
    writeFileSync(
      path,
      '{\n  "backends": [\n    { "name": "lm", "kind": "lmstudio", "url": "http://127.0.0.1:1234/v1" }\n  ],\n  "routing": { "toolsBackend": "lm", "defaultBackend": "lm", "afinity": true }\n}\n',
    );
    const unknown = await runBinary(["config", "check"], env);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toContain(`invalid config: ${path}:5:62: routing.afinity: unknown key`);
    writeFileSync(path, '{\n  "backends": [\n    { "name": "lm", "kind": "lmstudio", "url": "not a url" }\n  ]\n}\n');
    expect((await runBinary(["config", "check"], env)).stderr).toContain(`${path}:3:41: backends[0].url: must be a URL such as http://127.0.0.1:1234/v1`);
    writeFileSync(path, '{\n  "routing": { "defaultBackend": "ollama" }\n}\n');
    expect((await runBinary(["config", "check"], env)).stderr).toContain(`${path}:2:16: routing.defaultBackend: no backend named "ollama"`);
    writeFileSync(path, '{\n  "port": 18082,\n  "host": 127.0.0.1\n}\n');
    expect((await runBinary(["config", "check"], env)).stderr).toContain(`${path}:3:16: expected "," or "}", found "."`);
  });

  test("show masks secrets; --config and ANYCLAUDE_CONFIG choose the file", async () => {
    const { env, home } = sandbox();
    const path = join(home, "elsewhere.json");
    writeFileSync(path, '{ "backends": [{ "name": "lm", "kind": "lmstudio", "url": "http://127.0.0.1:1234/v1", "apiKey": "sk-secret" }] }');
    const show = await runBinary(["config", "show", "--config", path], env);
    expect(show.stdout).not.toContain("sk-secret");
    expect(JSON.parse(show.stdout).backends[0].apiKey).toBe("********");
    expect((await runBinary(["config", "path"], { ...env, ANYCLAUDE_CONFIG: path })).stdout).toBe(`${path}\n`);
  });
});

describe("anyclaude --version and --help", () => {
  test("--version prints the package version embedded at build", async () => {
    const run = await runBinary(["--version"], sandbox().env);
    expect(run).toMatchObject({ exitCode: 0, stderr: "" });
    expect(run.stdout).toMatch(new RegExp(`^anyclaude ${packageJson.version.replaceAll(".", "\\.")} \\(build [0-9a-f]{12}\\)\\n$`));
  });

  test("--help lists every command, also after a command; an unknown command exits 2", async () => {
    const { env } = sandbox();
    const help = await runBinary(["--help"], env);
    for (const command of ["serve", "start | stop | restart", "status [--json] [--url URL]", "service install", "config path", "route FILE.json", "logs [-f]"])
      expect(help.stdout).toContain(command);
    expect((await runBinary(["serve", "--help"], env)).stdout).toBe(help.stdout);
    const unknown = await runBinary(["frobnicate"], env);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"; see: anyclaude --help');
    const option = await runBinary(["-p", "hi"], env);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toContain('unknown option "-p"; arguments for claude go after --, as in: anyclaude -- -p hi');
  });
});

// The CLI tests run the real compiled binary, built once per test run.
import { afterAll } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const BINARY = join(ROOT, ".tmp", "test-bin", "anyclaude");
let built: string | undefined;

export function compiledBinary(): string {
  if (built) return built;
  mkdirSync(join(ROOT, ".tmp", "test-bin"), { recursive: true });
  // bun build inlines process.env.NODE_ENV; `bun test` sets it to "test", `make build` does not.
  const { NODE_ENV: _, ...env } = process.env;
  const result = Bun.spawnSync([process.execPath, "build", "--compile", join(ROOT, "src/cli/main.ts"), "--outfile", BINARY], {
    cwd: ROOT,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (result.exitCode !== 0) throw new Error(`bun build --compile failed: ${result.stderr.toString()}`);
  return (built = BINARY);
}

export type Run = { exitCode: number; stdout: string; stderr: string };

export async function runBinary(args: string[], env: Record<string, string>, options: { stdin?: string; cwd?: string } = {}): Promise<Run> {
  const stdin = options.stdin === undefined ? "ignore" : new Blob([options.stdin]);
  const child = Bun.spawn([compiledBinary(), ...args], { env, cwd: options.cwd, stdin, stdout: "pipe", stderr: "pipe" });
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { exitCode, stdout, stderr };
}

// A throwaway HOME with a bin/ directory first on PATH, for stand-in commands. Nothing in it can
// reach the user's own anyclaude: its own free port (never 8082), backends on ports where nothing
// listens (never the user's LM Studio or mlx_lm.server), and systemctl, launchctl and brew
// stand-ins that fail unless a test puts its own there (never the user's service).
export function sandbox(): { home: string; bin: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), "anyclaude-cli-"));
  const bin = join(home, "bin");
  mkdirSync(bin);
  for (const command of ["systemctl", "launchctl", "brew"]) standIn(bin, command, `echo "${command} was not expected in this test" >&2; exit 97`);
  return {
    home,
    bin,
    env: {
      HOME: home,
      PATH: `${bin}:/usr/bin:/bin`,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_STATE_HOME: join(home, ".local/state"),
      ANYCLAUDE_PORT: String(freePortNow()),
      LMSTUDIO_URL: `http://127.0.0.1:${freePortNow()}/v1`,
      MLX_LM_URL: `http://127.0.0.1:${freePortNow()}/v1`,
    },
  };
}

// Gives a sandbox a config file of its own (in its HOME), and drops the sandbox's port and
// backend URLs from its environment, which would otherwise override the file's.
export function useConfigFile(box: { home: string; env: Record<string, string> }, config: unknown): string {
  const file = join(box.home, "config.json");
  writeFileSync(file, JSON.stringify(config));
  box.env.ANYCLAUDE_CONFIG = file;
  for (const name of ["ANYCLAUDE_PORT", "LMSTUDIO_URL", "MLX_LM_URL"]) delete box.env[name];
  return file;
}

// Sandboxes whose daemons are stopped after the file's tests, even when a test failed halfway.
export function daemonSandboxes(): () => ReturnType<typeof sandbox> {
  const made: Record<string, string>[] = [];
  afterAll(() => Promise.all(made.map((env) => runBinary(["stop"], env))));
  return () => {
    const box = sandbox();
    made.push(box.env);
    return box;
  };
}

// A stand-in for a system command: records its arguments and exits as told.
export function standIn(bin: string, name: string, script: string): void {
  const path = join(bin, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
}

export async function freePort(): Promise<number> {
  return freePortNow();
}

// A port the system just handed out and that nothing listens on any more.
function freePortNow(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

// `make run` as a user runs it from a checkout: build, install into PREFIX/bin, start.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { daemonSandboxes } from "../support/compiled-binary";

const ROOT = resolve(import.meta.dir, "../..");
const sandbox = daemonSandboxes();

// -o: never reinstall node_modules from here (no network in a test).
async function makeRun(env: Record<string, string>, prefix: string) {
  const child = Bun.spawn(["make", "-s", "-o", "node_modules/.installed", "run", `PREFIX=${prefix}`], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { exitCode, stdout, stderr };
}

describe("make run", () => {
  test("installs anyclaude (and a claude) into PREFIX/bin, says so, and starts the daemon once", async () => {
    const { env, home } = sandbox();
    const prefix = join(home, ".local");
    const first = await makeRun(env, prefix);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain(`installed ${prefix}/bin/anyclaude (anyclaude `);
    expect(first.stdout).toContain(`note: ${prefix}/bin is not on your PATH; add it`);
    expect(first.stdout).toContain(`linked ${prefix}/bin/claude to this checkout's Claude Code`);
    expect(first.stderr).toContain(`anyclaude started at http://127.0.0.1:${env.ANYCLAUDE_PORT}`);
    expect(existsSync(join(prefix, "bin/claude"))).toBe(true);
    const status = Bun.spawnSync([join(prefix, "bin/anyclaude"), "status", "--json"], { env });
    expect(JSON.parse(status.stdout.toString())).toMatchObject({ running: true });
    const again = await makeRun(env, prefix);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(`anyclaude is running at http://127.0.0.1:${env.ANYCLAUDE_PORT}`);
  }, 180_000);
});

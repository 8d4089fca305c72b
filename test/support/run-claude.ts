// Runs the real Claude Code CLI headless (`claude -p`) against a base URL, in a throwaway HOME
// (it writes ~/.claude.json) and working directory.
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLAUDE_BIN = resolve(import.meta.dir, "../../node_modules/.bin/claude");

export type ClaudeRun = { exitCode: number; stdout: string; stderr: string };

export function makeClaudeHome(): { home: string; workdir: string } {
  const home = mkdtempSync(join(tmpdir(), "anyclaude-e2e-"));
  const workdir = join(home, "project");
  mkdirSync(workdir);
  return { home, workdir };
}

export async function runClaude(args: string[], options: { baseUrl: string; home: string; workdir: string; timeoutMs?: number }): Promise<ClaudeRun> {
  const child = Bun.spawn([CLAUDE_BIN, ...args], {
    cwd: options.workdir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: options.home,
      ANTHROPIC_BASE_URL: options.baseUrl,
      ANTHROPIC_API_KEY: "anyclaude-e2e",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill(), options.timeoutMs ?? 120_000);
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

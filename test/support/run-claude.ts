// Runs the real Claude Code CLI headless (`claude -p`) against a base URL, in a throwaway HOME
// (it writes ~/.claude.json) and working directory. Which releases: .tmp/claude-code.json, written
// by scripts/claude-code.ts (`make test`: the releases this build is tested with, newest first;
// `make test-claude-latest`: npm's latest).
import { existsSync, mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export type ClaudeCode = { version: string; path: string };
export type ClaudeRun = { exitCode: number; stdout: string; stderr: string };

const MANIFEST = resolve(import.meta.dir, "../../.tmp/claude-code.json");

// Every release to test; a missing list is an error, never a silent skip.
export function claudeCodes(): ClaudeCode[] {
  if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} is missing: run \`bun scripts/claude-code.ts tested\` (make test does)`);
  return JSON.parse(readFileSync(MANIFEST, "utf8"));
}

// The newest of them: what users run.
export function newestClaudeCode(): ClaudeCode {
  return claudeCodes()[0]!;
}

export function makeClaudeHome(): { home: string; workdir: string } {
  const home = mkdtempSync(join(tmpdir(), "anyclaude-e2e-"));
  const workdir = join(home, "project");
  mkdirSync(workdir);
  return { home, workdir };
}

export type RunOptions = { baseUrl: string; home: string; workdir: string; timeoutMs?: number; claude?: ClaudeCode; env?: Record<string, string> };

export async function runClaude(args: string[], options: RunOptions): Promise<ClaudeRun> {
  const child = Bun.spawn([(options.claude ?? newestClaudeCode()).path, ...args], {
    cwd: options.workdir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: options.home,
      ANTHROPIC_BASE_URL: options.baseUrl,
      ANTHROPIC_API_KEY: "anyclaude-e2e",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      ...options.env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill(), options.timeoutMs ?? 120_000);
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

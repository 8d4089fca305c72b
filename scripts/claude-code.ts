// Installs the Claude Code releases the suites run, from npm, into a cache outside the clone
// (one directory per version, reused), and writes .tmp/claude-code.json, the list the tests read
// (newest first):
//   bun scripts/claude-code.ts tested    the releases this build is tested with (TESTED_CLAUDE_CODE)
//   bun scripts/claude-code.ts latest    whatever npm calls latest today
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TESTED_CLAUDE_CODE } from "../src/doctor/tested-claude-code";

export type InstalledClaudeCode = { version: string; path: string };

const cache = process.env.ANYCLAUDE_CLAUDE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "anyclaude-claude-code");

async function run(command: string[]): Promise<string> {
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "inherit" });
  const [code, out] = await Promise.all([child.exited, new Response(child.stdout).text()]);
  if (code !== 0) throw new Error(`${command.join(" ")} failed (exit ${code})`);
  return out.trim();
}

async function install(version: string): Promise<InstalledClaudeCode> {
  const dir = join(cache, version);
  const path = join(dir, "node_modules", ".bin", "claude");
  if (!existsSync(join(dir, ".complete"))) {
    process.stderr.write(`[claude code] installing @anthropic-ai/claude-code@${version} into ${dir}\n`);
    mkdirSync(dir, { recursive: true });
    await run(["npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", `@anthropic-ai/claude-code@${version}`]);
    const reported = await run([path, "--version"]);
    if (!reported.startsWith(version)) throw new Error(`${path} --version says "${reported}", not ${version}`);
    writeFileSync(join(dir, ".complete"), `${reported}\n`);
  }
  return { version, path };
}

async function main(which: string | undefined) {
  const versions =
    which === "latest"
      ? [await run(["npm", "view", "@anthropic-ai/claude-code", "version"])]
      : which === "tested"
        ? [TESTED_CLAUDE_CODE.newest, TESTED_CLAUDE_CODE.oldest]
        : undefined;
  if (!versions) throw new Error("usage: bun scripts/claude-code.ts tested|latest");
  const installed = [];
  for (const version of versions) installed.push(await install(version));
  mkdirSync(".tmp", { recursive: true });
  writeFileSync(".tmp/claude-code.json", `${JSON.stringify(installed, null, 1)}\n`);
  process.stderr.write(`[claude code] ready: ${installed.map((entry) => entry.version).join(", ")} (.tmp/claude-code.json)\n`);
}

if (import.meta.main) {
  try {
    await main(Bun.argv[2]);
  } catch (error) {
    process.stderr.write(`[claude code] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

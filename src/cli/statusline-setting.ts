// The launcher turns anyclaude's status line on for the Claude Code session it starts, with
// `claude --settings '<json>'` (settings for that run only), unless the user has a status line of
// their own (in their or the project's Claude Code settings), passes --settings to claude
// themselves, or runs `anyclaude --no-statusline`.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { selfCommand } from "../service/self-command";

export type StatusLineOptions = { claudeArgs: string[]; env: Record<string, string | undefined>; cwd: string; daemonUrl: string };

export function statusLineArgs(options: StatusLineOptions): string[] {
  if (options.claudeArgs.includes("--settings") || options.claudeArgs.some((arg) => arg.startsWith("--settings="))) return [];
  if (settingsFiles(options.env, options.cwd).some(hasStatusLine)) return [];
  const command = [...selfCommand(), "statusline", "--url", options.daemonUrl].map(shellQuote).join(" ");
  return ["--settings", JSON.stringify({ statusLine: { type: "command", command } })];
}

// Where Claude Code reads settings: the user's (~/.claude, or $CLAUDE_CONFIG_DIR), the project's
// shared and local files.
function settingsFiles(env: Record<string, string | undefined>, cwd: string): string[] {
  const userDir = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude");
  return [join(userDir, "settings.json"), join(cwd, ".claude", "settings.json"), join(cwd, ".claude", "settings.local.json")];
}

function hasStatusLine(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const settings: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof settings === "object" && settings !== null && "statusLine" in settings && Boolean(settings.statusLine);
  } catch {
    return false; // Claude Code reports a broken settings file itself
  }
}

// Claude Code runs the command through a shell.
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

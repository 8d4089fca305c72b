// Starting and stopping the daemon without a service, and knowing whether it runs. The HTTP
// probe of /anyclaude/health is the truth; a PID alone never is.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ensurePrivateDir, PRIVATE_FILE_MODE } from "../private-files";
import { LOG_ROTATE_BYTES } from "../rotating-log-file";
import type { StatusReport } from "../server/status-report";

export async function isHealthy(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(`${url}/anyclaude/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && ((await response.json()) as { status?: string }).status === "ok";
  } catch {
    return false;
  }
}

// Polls until the daemon is (or is no longer) healthy. `gaveUp` ends the wait early, e.g. when
// the process we started has already exited.
export async function waitFor(url: string, wantHealthy: boolean, timeoutMs: number, gaveUp: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await isHealthy(url, 500)) === wantHealthy) return true;
    if (gaveUp()) return false;
    await Bun.sleep(100);
  }
  return false;
}

// The daemon's own endpoints need its authToken when it has one (all but /anyclaude/health).
export function daemonHeaders(authToken: string | undefined): Record<string, string> {
  return authToken ? { "x-api-key": authToken } : {};
}

// `refresh` asks the daemon to probe its down backends first (each probe takes up to 3 s).
export async function fetchStatus(url: string, options: { refresh?: boolean; authToken?: string } = {}): Promise<StatusReport | undefined> {
  try {
    const response = await fetch(`${url}/anyclaude/status${options.refresh ? "?refresh=1" : ""}`, {
      headers: daemonHeaders(options.authToken),
      signal: AbortSignal.timeout(options.refresh ? 6_000 : 2_000),
    });
    return response.ok ? ((await response.json()) as StatusReport) : undefined;
  } catch {
    return undefined;
  }
}

export type DetachedDaemon = { pid: number | undefined; exitCode(): number | undefined };

// The daemon in the background, detached from this terminal, writing (and rotating) its log
// itself; its stderr is appended there too, for what it could not log (a crash of the runtime).
// It runs from `cwd` (the home directory) so it holds no project directory open.
export function startDetached(command: string[], options: { logFile: string; env: Record<string, string | undefined>; cwd: string }): DetachedDaemon {
  ensurePrivateDir(dirname(options.logFile));
  const log = openSync(options.logFile, "a", PRIVATE_FILE_MODE);
  const child = spawn(command[0]!, [...command.slice(1), "--log-file", options.logFile], {
    detached: true,
    cwd: options.cwd,
    stdio: ["ignore", "ignore", log],
    env: options.env as NodeJS.ProcessEnv,
  });
  closeSync(log);
  let exitCode: number | undefined;
  child.on("exit", (code, signal) => (exitCode = code ?? (signal ? 128 : 1)));
  child.on("error", () => (exitCode = 127));
  child.unref();
  return { pid: child.pid, exitCode: () => exitCode };
}

// A service an older version installed has launchd or systemd append the daemon's output to the
// log, which the daemon cannot rotate: it is rotated (to anyclaude.log.1) when started, as then.
export function rotateLog(logFile: string): void {
  if (existsSync(logFile) && statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
}

// The daemon's last words, for an error message: the last non-empty line of its log.
export function lastLogLine(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  const size = statSync(logFile).size;
  const text = readFileSync(logFile, "utf8").slice(size > 65_536 ? -65_536 : 0);
  // The log's prefixes ("2026-11-30T03:40:13.123Z [error] [anyclaude] ", or "[anyclaude]  ERROR  "
  // from a terminal) are noise inside another message.
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1)
    ?.replace(/^(?:\d{4}-\d\d-\d\dT[\d:.]+Z\s+)?(?:\[[^\]]+\]\s+)+(?:ERROR\s+)?/, "");
}

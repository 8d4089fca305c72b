// Starting and stopping the daemon without a service, and knowing whether it runs. The HTTP
// probe of /anyclaude/health is the truth; a PID alone never is.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { StatusReport } from "../server/status-report";

const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

export async function isHealthy(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(`${url}/anyclaude/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && ((await response.json()) as { status?: string }).status === "ok";
  } catch {
    return false;
  }
}

export async function waitFor(url: string, wantHealthy: boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await isHealthy(url, 500)) === wantHealthy) return true;
    await Bun.sleep(100);
  }
  return false;
}

export async function fetchStatus(url: string): Promise<StatusReport | undefined> {
  try {
    const response = await fetch(`${url}/anyclaude/status`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? ((await response.json()) as StatusReport) : undefined;
  } catch {
    return undefined;
  }
}

// The daemon in the background, detached from this terminal, its output appended to the log.
export function startDetached(command: string[], logFile: string, env: Record<string, string | undefined>): number | undefined {
  rotateLog(logFile);
  const log = openSync(logFile, "a");
  const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ["ignore", log, log], env: env as NodeJS.ProcessEnv });
  child.unref();
  return child.pid;
}

// One old generation is kept: anyclaude.log.1.
export function rotateLog(logFile: string): void {
  mkdirSync(dirname(logFile), { recursive: true });
  if (existsSync(logFile) && statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
}

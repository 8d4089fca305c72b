// The daemon as its own process, for the benchmarks: started from source (or a binary), its
// resident memory read from /proc (Linux) or ps (macOS).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/support/compiled-binary";

export type DaemonProcess = { url: string; pid: number; rssMb(): number; stop(): void };

// settings: more of the config file (bench-load turns coalescing off).
export async function startDaemonProcess(
  backends: unknown[],
  options: { command?: string[]; settings?: Record<string, unknown> } = {},
): Promise<DaemonProcess> {
  const home = mkdtempSync(join(tmpdir(), "anyclaude-bench-"));
  const port = await freePort();
  const config = join(home, "config.json");
  writeFileSync(config, JSON.stringify({ ...options.settings, port, backends }));
  const command = options.command ?? [process.execPath, join(import.meta.dir, "../../src/cli/main.ts")];
  // DAEMON_LOG_GC=1: JavaScriptCore logs each of the daemon's collections, its kind and length,
  // on stderr (`grep -c "=> FullCollection"` counts the full ones).
  const logGc = Boolean(process.env.DAEMON_LOG_GC);
  const child = Bun.spawn([...command, "serve", "--config", config], {
    env: { PATH: process.env.PATH ?? "", HOME: home, XDG_STATE_HOME: join(home, "state"), ...(logGc ? { BUN_JSC_logGC: "1" } : {}) },
    stdout: "ignore",
    stderr: process.env.DAEMON_STDERR || logGc ? "inherit" : "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url);
  return { url, pid: child.pid, rssMb: () => rssMb(child.pid), stop: () => child.kill() };
}

// A helper process that prints the URL it serves on its first line (bench backends, the bare proxy).
export async function startUrlProcess(command: string[], what: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${what} did not start`);
    line += new TextDecoder().decode(value);
  }
  return { url: line.trim(), pid: child.pid, stop: () => child.kill() };
}

export async function waitForHealth(url: string, path = "/anyclaude/health"): Promise<number> {
  const started = performance.now();
  for (let attempt = 0; attempt < 2_000; attempt++) {
    if (
      await fetch(`${url}${path}`).then(
        (response) => response.ok,
        () => false,
      )
    )
      return performance.now() - started;
    await Bun.sleep(5);
  }
  throw new Error(`nothing answered at ${url}${path}`);
}

export function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
  } catch {
    const result = Bun.spawnSync(["ps", "-o", "rss=", "-p", String(pid)]);
    return Number(result.stdout.toString().trim()) / 1024;
  }
}

// The daemon's resident memory after each of these many seconds idle (counted from the first call).
export async function idleRss(daemon: DaemonProcess, seconds: number[]): Promise<number[]> {
  const rss: number[] = [];
  for (const [index, at] of seconds.entries()) {
    await Bun.sleep((at - (seconds[index - 1] ?? 0)) * 1000);
    rss.push(daemon.rssMb());
  }
  return rss;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// The compiled daemon as a process of its own (what users run), in a throwaway HOME on a free
// loopback port, with its memory read from /proc/PID/status: VmHWM is the process's peak resident
// set, VmRSS what it holds now. A guard samples VmRSS and kills a daemon that passes `killAboveMb`,
// so that a daemon without limits fails its case instead of taking a shared machine's memory.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compiledBinary, freePort, sandbox } from "./compiled-binary";

export type Memory = { peakMb: number; rssMb: number };

export type DaemonProcess = {
  url: string;
  pid: number;
  memory(): Memory;
  // Whether the guard killed it, and the most it saw.
  guard: { killed: boolean; maxRssMb: number };
  alive(): boolean;
  stop(): Promise<string>; // the daemon's log
};

const GUARD_INTERVAL_MS = 50;

export async function startDaemon(config: Record<string, unknown>, options: { killAboveMb: number; token?: string }): Promise<DaemonProcess> {
  const box = sandbox();
  const port = await freePort();
  const configFile = join(box.home, "config.json");
  writeFileSync(configFile, JSON.stringify({ host: "127.0.0.1", port, prewarm: false, ...config }));
  const child = Bun.spawn([compiledBinary(), "serve", "--config", configFile], {
    env: { HOME: box.home, PATH: box.env.PATH!, XDG_STATE_HOME: box.env.XDG_STATE_HOME! },
    stdout: "pipe",
    stderr: "pipe",
  });
  const log = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]).then((parts) => parts.join(""));
  const url = `http://127.0.0.1:${port}`;
  const headers = options.token ? { "x-api-key": options.token } : undefined;
  for (
    let attempt = 0;
    attempt < 200 &&
    !(await fetch(`${url}/anyclaude/health`, { headers }).then(
      (response) => response.ok,
      () => false,
    ));
    attempt++
  )
    await Bun.sleep(25);

  const guard = { killed: false, maxRssMb: 0 };
  const memory = () => readMemory(child.pid);
  const sampler = setInterval(() => {
    if (child.exitCode !== null || child.signalCode !== null) return clearInterval(sampler);
    const { rssMb } = memory();
    guard.maxRssMb = Math.max(guard.maxRssMb, rssMb);
    if (rssMb > options.killAboveMb) {
      guard.killed = true;
      child.kill("SIGKILL");
    }
  }, GUARD_INTERVAL_MS);

  return {
    url,
    pid: child.pid,
    guard,
    alive: () => child.exitCode === null && child.signalCode === null,
    memory: () => (guard.killed ? { peakMb: guard.maxRssMb, rssMb: guard.maxRssMb } : memory()),
    async stop() {
      clearInterval(sampler);
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
      if (!exited) child.kill("SIGKILL");
      return log;
    },
  };
}

function readMemory(pid: number): Memory {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return { peakMb: 0, rssMb: 0 }; // already gone
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { peakMb: Math.round(kb("VmHWM") / 1024), rssMb: Math.round(kb("VmRSS") / 1024) };
}

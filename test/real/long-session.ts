// A long Claude Code session on a small context (long-session.test.ts): Claude Code run as users
// run it, through the `anyclaude` launcher (its daemon, its environment) or straight to a server,
// and each request the server answered, as the server reported it, in the order sent.
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { ConfigFile } from "../../src/config/config-schema";
import { freePort, runBinary, sandbox, useConfigFile } from "../support/compiled-binary";
import { makeClaudeHome, newestClaudeCode, runClaude, type ClaudeRun } from "../support/run-claude";
import { passThrough, type PassThrough } from "./pass-through";
import { recordingFetch, type UpstreamRecord } from "./real-stack";

export const COMPACTION = /Your task is to create a detailed summary/;
const CONTINUED = /This session is being continued from a previous conversation/;

// One request a server answered (computed: the prompt tokens it evaluated anew, from llama-server's
// timings or prompt minus cached_tokens) or one the daemon refused before sending it.
export type RequestFigure = {
  run: number;
  kind: "turn" | "compaction" | "first after compaction" | "after compaction" | "refused" | "failed";
  prompt: number;
  cached: number;
  computed: number;
  status?: number;
  error?: string;
};

// Every request to `root` goes through a recorder: the body sent and the server's last report.
export function recordedServer(root: string): PassThrough & { records: (UpstreamRecord & { status: number; text: Promise<string> })[] } {
  const records: (UpstreamRecord & { status: number; text: Promise<string> })[] = [];
  const raw: UpstreamRecord[] = [];
  const recording = recordingFetch(raw);
  const proxy = passThrough(root, async (request, target) => {
    const body = request.method === "POST" ? await request.text() : undefined;
    const headers = new Headers(request.headers);
    headers.delete("host");
    const before = raw.length;
    const response = await recording(target, { method: request.method, headers, body, signal: request.signal });
    if (raw.length > before)
      records.push(Object.assign(raw.at(-1)!, { status: response.status, text: response.status === 200 ? Promise.resolve("") : response.clone().text() }));
    return response;
  });
  return { ...proxy, records };
}

// The figures of the records from `from` on, for run `run`; `state` says whether a compaction
// came before (the next turn is then the first after it).
export async function figuresOf(
  records: ReturnType<typeof recordedServer>["records"],
  from: number,
  run: number,
  state: { afterCompaction: boolean },
): Promise<RequestFigure[]> {
  const figures: RequestFigure[] = [];
  for (const record of records.slice(from)) {
    await record.read;
    if (!(record.body?.max_tokens > 1)) continue; // Claude Code's quota probes and warm-ups: no turn
    const text = JSON.stringify(record.body.messages);
    const usage = record.usage ?? {};
    const prompt = usage.prompt_tokens ?? 0;
    const cached = record.timings?.cache_n ?? usage.prompt_tokens_details?.cached_tokens ?? 0;
    const computed = record.timings?.prompt_n ?? prompt - cached;
    if (record.status !== 200) {
      figures.push({ run, kind: "failed", prompt, cached, computed, status: record.status, error: (await record.text).slice(0, 300) });
      continue;
    }
    let kind: RequestFigure["kind"] = "turn";
    if (COMPACTION.test(text)) {
      kind = "compaction";
      state.afterCompaction = true;
    } else if (CONTINUED.test(text)) {
      kind = state.afterCompaction ? "first after compaction" : "after compaction";
      state.afterCompaction = false;
    }
    figures.push({ run, kind, prompt, cached, computed });
  }
  return figures;
}

// Claude Code through the anyclaude launcher, in a throwaway HOME whose daemon serves `backend`.
export type Session = { run(args: string[]): Promise<ClaudeRun>; refusals(): string[]; stop(): Promise<unknown> };

export async function launcherSession(
  backend: NonNullable<ConfigFile["backends"]>[number],
  settings: Omit<ConfigFile, "backends" | "port"> = {},
): Promise<Session> {
  const box = sandbox();
  const port = await freePort();
  useConfigFile(box, { ...settings, port, backends: [backend] });
  symlinkSync(newestClaudeCode().path, join(box.bin, "claude"));
  const workdir = join(box.home, "project");
  Bun.spawnSync(["mkdir", "-p", workdir]);
  const logFile = join(box.env.XDG_STATE_HOME!, "anyclaude", "anyclaude.log");
  let logMark = 0;
  return {
    run: (args: string[]): Promise<ClaudeRun> => runBinary(["--", ...args], box.env, { cwd: workdir }),
    // The daemon's refusals since the last call (each leaves one log line: create-app.ts).
    refusals(): string[] {
      const lines = readFileSync(logFile, "utf8").split("\n");
      const fresh = lines.slice(logMark).filter((line) => line.includes(" refused: "));
      logMark = lines.length;
      return fresh.map((line) => line.slice(line.indexOf(" refused: ") + 10));
    },
    stop: () => runBinary(["stop"], box.env),
  };
}

// Claude Code sent straight to a server's own /v1/messages, as a user could instead.
export function directSession(baseUrl: string): Session {
  const { home, workdir } = makeClaudeHome();
  return { run: (args: string[]) => runClaude(args, { baseUrl, home, workdir, timeoutMs: 600_000 }), refusals: (): string[] => [], stop: async () => {} };
}

// What the launcher prints itself when it starts the daemon; anything else on stderr is Claude Code's.
export function claudeWarnings(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() && !/ \[(info|success)\] \[anyclaude\] anyclaude (is running|started) at /.test(line));
}

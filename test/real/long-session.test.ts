// A working day on a small context: the newest Claude Code, run through the `anyclaude` launcher
// as users run it (`anyclaude -- -p ...`, then `--continue`), turn after turn of ~2.7k pasted
// tokens, past two compactions, on a real llama-server started as users start it (its default
// slots) and on a real mlx_lm.server; side by side, the same session sent straight to
// llama-server's own /v1/messages. Per request, the tokens the server computed and found cached,
// from its own reports, and which request was a compaction or the first after one.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { ConfigFile } from "../../src/config/config-schema";
import { newestClaudeCode } from "../support/run-claude";
import { pastedText } from "../support/pasted-text";
import { saveFigures } from "./figures";
import { claudeWarnings, directSession, figuresOf, launcherSession, recordedServer, type RequestFigure, type Session } from "./long-session";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";

// llama-server as users start it (no --parallel: real-servers.ts): 4 slots over one unified KV
// cache of -c tokens, each slot free to use all of it, so -c 24576 is the context a request gets
// and what /props reports (with --parallel N, -c would be the total, divided among the slots).
// mlx_lm.server computes whatever the model allows (the test models: 40,960) and tells no
// context, so its backend says it in the config (contextLength): without it the daemon has no
// limit to answer "prompt is too long" with, and Claude Code, which takes no compact window
// below 100k, would never compact.
const CONTEXT = 24_576;
const TURN_TOKENS = 2_700;
// Claude Code's head (~11.8k tokens) plus a turn a run: the daemon refuses about the fourth turn
// after a start or a compaction, so two compactions take ~8 runs; a few spare.
const MAX_RUNS = 11;
const COMPACTIONS = 2;

type Path = { id: string; server: () => Promise<RealServer>; backend?: (url: string) => NonNullable<ConfigFile["backends"]>[number] };
const PATHS: Path[] = [
  { id: "llama-server direct /v1/messages", server: () => startLlamaServer("qwen3-coder", { ctx: CONTEXT }) },
  {
    id: "anyclaude -> llama-server",
    server: () => startLlamaServer("qwen3-coder", { ctx: CONTEXT }),
    backend: (url) => ({ name: "llama", kind: "openai", url: `${url}/v1`, tools: true }),
  },
  {
    id: "anyclaude -> mlx-lm-0.32.2",
    server: () => startMlxLmServer("qwen3-coder", "0.32.2"),
    backend: (url) => ({ name: "mlx-lm", kind: "mlx-lm", url: `${url}/v1`, tools: true, contextLength: CONTEXT }),
  },
];

for (const path of PATHS) {
  describeReal(`Claude Code ${newestClaudeCode().version}, a long session on a ${CONTEXT}-token context: ${path.id}`, () => {
    let real: RealServer;
    let recorded: ReturnType<typeof recordedServer>;
    let session: Session;
    beforeAll(async () => {
      real = await path.server();
      recorded = recordedServer(real.root);
      session = path.backend ? await launcherSession(path.backend(recorded.url)) : directSession(recorded.url);
    }, 180_000);
    afterAll(async () => {
      await session?.stop();
      recorded?.stop();
      await real?.stop();
    });

    test(`turns of ${TURN_TOKENS} pasted tokens past ${COMPACTIONS} compactions: tokens computed and cached per request`, async () => {
      const requests: RequestFigure[] = [];
      const runs: { run: number; exitCode: number; stdout: string; warnings: string[] }[] = [];
      const state = { afterCompaction: false };
      for (let run = 1; run <= MAX_RUNS && requests.filter((request) => request.kind === "first after compaction").length < COMPACTIONS; run++) {
        const mark = recorded.records.length;
        const result = await session.run(["-p", ...(run > 1 ? ["--continue"] : []), `${pastedText(run, TURN_TOKENS)}\n\nWhat is this about? One sentence.`]);
        const figures = await figuresOf(recorded.records, mark, run, state);
        await Bun.sleep(200); // the daemon logs a refusal as it answers: let the line land
        // The daemon refuses before sending: its refusal came before the compaction it caused.
        const refused: RequestFigure[] = session.refusals().map((error) => ({ run, kind: "refused", prompt: 0, cached: 0, computed: 0, status: 400, error }));
        requests.push(...refused, ...figures);
        runs.push({ run, exitCode: result.exitCode, stdout: result.stdout.trim().slice(0, 200), warnings: claudeWarnings(result.stderr) });
        if (result.exitCode !== 0 && !path.backend) break; // the direct path: recorded as far as it goes
      }
      const after = requests.filter((request) => request.kind === "first after compaction");
      saveFigures(`long-session-${path.id.replace(/[^a-z0-9.]+/gi, "-")}`, {
        path: path.id,
        claudeCode: newestClaudeCode().version,
        context: CONTEXT,
        turnTokens: TURN_TOKENS,
        runs,
        requests,
        firstAfterCompaction: after.map((request) => ({
          run: request.run,
          computed: request.computed,
          prompt: request.prompt,
          share: Number((request.computed / request.prompt).toFixed(3)),
        })),
      });
      if (!path.backend) return; // what llama-server does on its own is recorded, not held to anyclaude's promises

      // Every run answers, with nothing on stderr but the launcher's own line (no warning from
      // Claude Code about the environment the launcher gave it).
      for (const run of runs) {
        expect(run.warnings).toEqual([]);
        expect(run.exitCode).toBe(0);
        expect(run.stdout.length).toBeGreaterThan(0);
      }
      // No request fails but the daemon's "prompt is too long", each followed by a compaction
      // that goes on.
      expect(requests.filter((request) => request.kind === "failed")).toEqual([]);
      for (const refusal of requests.filter((request) => request.kind === "refused"))
        expect(refusal.error).toStartWith("400 invalid_request_error: prompt is too long:");
      expect(requests.filter((request) => request.kind === "compaction").length).toBeGreaterThanOrEqual(COMPACTIONS);
      expect(after.length).toBe(COMPACTIONS);
      // The head (Claude Code's system prompt and tools, ~9.5k tokens) survives compaction: the
      // first request after one computes at most its summary and what follows. Recorded with
      // 2.1.337: after the head, [user (the date), user (the summary), assistant, user (the last
      // turn, kept whole: 2.7k pasted tokens), assistant, user (the new turn: 2.7k), user (the
      // deferred tools and agents, ~2.4k)]; all of it after the summary, so ~45% of the prompt is
      // computed, the head (~54%) cached. Before (the context joined to the system prompt), 0%.
      for (const request of after) expect(request.cached / request.prompt).toBeGreaterThan(0.5);
    }, 900_000);
  });
}

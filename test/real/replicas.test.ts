// Three llama-servers serving one model as replicas of one backend pool, twelve Claude-Code-shaped
// sessions (three projects' system prompts, plain questions and tool loops) taking turns at once,
// and one replica killed midway: no request fails, all three replicas serve, and the prompt
// tokens the servers computed (their own counts) stay within 1.2x of the bound the issue sets:
// each distinct prefix once per replica, for the placement anyclaude chose. Beside it, the
// figures give the placement-free floor (each distinct prefix once in all), which shows what the
// placement itself cost.
import { sentJson } from "../support/sent-body";
import { expect, test } from "bun:test";
import { formatStatus } from "../../src/cli/status";
import { resolveConfig } from "../../src/config/resolve-config";
import type { StatusReport } from "../../src/server/status-report";
import { startServer } from "../../src/server/start-server";
import { encodeTokens, renderChatTemplate } from "../emulators";
import { claudeCodePrompt } from "../support/claude-code-fixture";
import { saveFigures } from "./figures";
import { llamaEvaluatedTokens, describeReal, startLlamaServer, type RealServer } from "./real-servers";

const REPLICAS = 3;
const SESSIONS = 12;
const ROUNDS = 6; // each session's requests, one per round, all sessions at once
const KILL_AFTER_ROUND = 3; // replica #3 is stopped between rounds 3 and 4
const PROJECTS = 3; // distinct system prompts: several prefixes
const HEAD_TOKENS = 3_000;

type Upstream = { replica: string; body: any; usage?: { prompt_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } }; read: Promise<unknown> };
type Session = { index: number; project: number; messages: any[]; backends: string[] };

// llama-server saves the prompt of the slot a request takes to its prompt cache (--cache-ram) only
// when the request keeps less than half of it (tools/server/server-context.cpp,
// get_available_slot: f_keep < 0.5), and restores the best cached prompt only then. Sessions of
// one project share a system prompt far longer than their own parts: on a one-slot server each
// overwrites its sibling's part unsaved. `--slot-prompt-similarity 0` skips that test: every
// request saves the slot's prompt and restores its own best match, a cache that forgets nothing
// within its 8 GiB. Both are run: the README recommends the second for replicas.
const SETTINGS = { "--slot-prompt-similarity 0": 0, "llama-server's default similarity": undefined } as const;

describeReal("replicas: three llama-servers of one model, twelve sessions, one replica killed midway", () => {
  const heads = Array.from({ length: PROJECTS }, (_, project) => {
    const { system, tools } = claudeCodePrompt(HEAD_TOKENS, `replicas-${project}`);
    // The project's path opens its system prompt, as Claude Code's environment section names it.
    const [billing, first, ...rest] = system;
    return { system: [billing!, { type: "text" as const, text: `Working directory: /home/dev/project-${project}\n${first!.text}` }, ...rest], tools };
  });
  const ratios: Record<string, number> = {};

  for (const [setting, promptSimilarity] of Object.entries(SETTINGS)) {
    test(`${setting}: no request fails; every replica serves${promptSimilarity === 0 ? "; prefill within 1.2x of the bound" : "; siblings evict each other (the quirk)"}`, async () => {
      const figures = await runRounds(promptSimilarity);
      saveFigures(`replicas-llama-server${promptSimilarity === 0 ? "" : "-default-similarity"}`, { setting, ...figures });
      ratios[setting] = figures.ratio;
      expect(figures.failures).toEqual([]);
      for (const name of ["qwen#1", "qwen#2", "qwen#3"]) expect(figures.perReplica[name]!.requests).toBeGreaterThan(0);
      if (promptSimilarity === 0) expect(figures.ratio).toBeLessThanOrEqual(1.2);
      // The quirk, as this llama-server shows it: if a release saves siblings' prompts, this fails
      // and the README's advice is due for a look.
      else expect(figures.ratio).toBeGreaterThan(1.2 * ratios["--slot-prompt-similarity 0"]!);
    }, 1_500_000);
  }

  async function runRounds(promptSimilarity: number | undefined) {
    const servers: RealServer[] = [];
    const upstream: Upstream[] = [];
    let daemon: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      for (let index = 0; index < REPLICAS; index++) servers.push(await startLlamaServer("qwen3-coder", { slots: 1, ctx: 16_384, promptSimilarity }));
      const config = resolveConfig(
        { port: 0, prewarm: true, backends: [{ name: "qwen", kind: "openai", replicas: servers.map((server) => server.url), tools: true }] },
        {},
      );
      daemon = await startServer({ config, fetch: recording(upstream, servers) });
      const sessions: Session[] = Array.from({ length: SESSIONS }, (_, index) => ({ index, project: index % PROJECTS, messages: [], backends: [] }));
      const started = performance.now();
      const failures: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (round === KILL_AFTER_ROUND) await servers[2]!.stop();
        await Promise.all(
          sessions.map((session) =>
            turn(daemon!.url, session, round).catch((error) => void failures.push(`session ${session.index} round ${round}: ${error}`)),
          ),
        );
      }
      const seconds = (performance.now() - started) / 1000;
      await Promise.all(upstream.map((record) => record.read));
      await Bun.sleep(300); // llama-server's timing lines

      // Measured: what each llama-server says it evaluated (prewarms included).
      const evaluated = servers.map((server) => llamaEvaluatedTokens(server).reduce((sum, tokens) => sum + tokens, 0));
      const measured = evaluated.reduce((sum, tokens) => sum + tokens, 0);
      // The bound: per replica, the requests it was sent, in order, against a cache that forgets
      // nothing: each request computes only what no earlier prompt on that replica shares with it
      // from the start (its prompt tokens, by the server, less the longest common token prefix
      // with any earlier prompt there, by the same template and tokenizer). So each distinct
      // prefix counts once per replica it lands on, each turn only its new tokens, and a session
      // moved off the killed replica its whole prompt once on its new one.
      const bound = lowerBound(upstream);
      const floor = lowerBound(upstream.map((record) => ({ ...record, replica: "any" })));
      const perReplica = Object.fromEntries(
        ["qwen#1", "qwen#2", "qwen#3"].map((name, index) => [
          name,
          {
            requests: upstream.filter((record) => record.replica === name).length,
            evaluatedTokens: evaluated[index],
            sessions: sessions.filter((session) => session.backends.includes(name)).length,
          },
        ]),
      );
      const moved = sessions
        .filter((session) => new Set(session.backends).size > 1)
        .map((session) => ({ session: session.index, backends: session.backends.join(" ") }));
      const status = (await (await fetch(`${daemon.url}/anyclaude/status`)).json()) as StatusReport;
      expectStatusShowsReplicas(status, sessions);
      return {
        sessions: SESSIONS,
        rounds: ROUNDS,
        requests: upstream.length,
        headTokens: HEAD_TOKENS,
        projects: PROJECTS,
        killed: "qwen#3",
        measuredPrefillTokens: measured,
        lowerBoundTokens: bound,
        ratio: Number((measured / bound).toFixed(3)),
        placementFreeFloorTokens: floor,
        perReplica,
        moved,
        routes: status.routes,
        seconds: Number(seconds.toFixed(1)),
        failures,
      };
    } finally {
      await daemon?.stop();
      await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    }
  }

  // One request of a session: a question, or the next step of a tool loop; the assistant turn
  // appended is scripted (a random-weight model's reply is noise), the same one every run.
  async function turn(daemonUrl: string, session: Session, round: number): Promise<void> {
    const head = heads[session.project]!;
    const last = session.messages.at(-1);
    if (last?.role === "assistant" && last.content[0]?.type === "tool_use") {
      session.messages.push({
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: last.content[0].id,
            content: `export function handler${session.index}_${round}(request) {\n${"  // validate, route, translate\n".repeat(20)}}\n`,
          },
        ],
      });
    } else {
      session.messages.push({ role: "user", content: `Question ${round} of session ${session.index}: how does the router treat a request like this one?` });
    }
    const response = await fetch(`${daemonUrl}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-claude-code-session-id": `replica-session-${session.index}` },
      body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 8, stream: true, system: head.system, tools: head.tools, messages: session.messages }),
    });
    const text = await response.text();
    if (!response.ok || text.includes("event: error")) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    session.backends.push(response.headers.get("x-anyclaude-backend") ?? "?");
    const toolStep = (session.index + round) % 3 === 0;
    session.messages.push({
      role: "assistant",
      content: toolStep
        ? [{ type: "tool_use", id: `toolu_r${session.index}_${round}`, name: "Read", input: { file_path: `/repo/src/module_${session.index}_${round}.ts` } }]
        : [{ type: "text", text: `It routes it by where its prefix is warm (${session.index}.${round}).` }],
    });
  }
});

// `status`: each replica of the pool, up or down, its load, and the conversations it holds: the
// sessions that last went there, the stopped replica's all moved.
function expectStatusShowsReplicas(status: StatusReport, sessions: Session[]): void {
  const replicas = status.backends.filter((backend) => backend.replicaOf === "qwen");
  expect(replicas.map((backend) => [backend.name, backend.healthy])).toEqual([
    ["qwen#1", true],
    ["qwen#2", true],
    ["qwen#3", false],
  ]);
  for (const backend of replicas) {
    expect(backend.load).toEqual({ requests: 0, queuedTokens: 0 });
    expect(backend.conversations.count).toBe(sessions.filter((session) => session.backends.at(-1) === backend.name).length);
  }
  expect(replicas[2]!.conversations.count).toBe(0);
  expect(formatStatus(status)).toContain("qwen#1 (replica of qwen): 0 in flight, 0 tokens to prefill;");
}

// The daemon's fetch, remembering each chat-completions body, which replica it went to, and the
// usage the server reported.
function recording(into: Upstream[], servers: RealServer[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    if (!String(input).endsWith("/chat/completions") || !response.body) return response;
    const replica = `qwen#${servers.findIndex((server) => String(input).startsWith(server.url)) + 1}`;
    const [mine, theirs] = response.body.tee();
    const record: Upstream = { replica, body: sentJson(init), read: Promise.resolve() };
    record.read = new Response(mine).text().then(
      (text) => {
        for (const line of text.split("\n"))
          if (line.startsWith("data: {") && line.includes('"usage"')) record.usage = JSON.parse(line.slice(6)).usage ?? record.usage;
      },
      () => undefined,
    );
    into.push(record);
    return new Response(theirs, { status: response.status, statusText: response.statusText, headers: response.headers });
  }) as typeof fetch;
}

function lowerBound(records: Upstream[]): number {
  const seen = new Map<string, number[][]>();
  let tokens = 0;
  for (const record of records) {
    const prompt = encodeTokens(
      renderChatTemplate("qwen3-coder", record.body.messages.map(withParsedArguments), record.body.tools, { addGenerationPrompt: true }),
    );
    const earlier = seen.get(record.replica) ?? [];
    const shared = Math.max(0, ...earlier.map((other) => commonPrefix(other, prompt)));
    const promptTokens = record.usage?.prompt_tokens ?? prompt.length;
    tokens += Math.max(0, promptTokens - shared);
    seen.set(record.replica, [...earlier, prompt]);
  }
  return tokens;
}

// Templates iterate a tool call's arguments as a mapping, as llama-server parses them.
function withParsedArguments(message: any) {
  if (!message.tool_calls) return message;
  return {
    ...message,
    tool_calls: message.tool_calls.map((call: any) => ({ ...call, function: { ...call.function, arguments: JSON.parse(call.function.arguments) } })),
  };
}

function commonPrefix(a: number[], b: number[]): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

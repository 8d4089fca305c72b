// `make bench-cache`: how much prompt the backends must compute (prefill) under each routing
// policy, replaying interleaved Claude-Code-shaped sessions against the emulated servers and
// their prompt-cache models. Token counts are what the emulators count (Qwen3-Coder's template,
// Qwen3's tokenizer; LM Studio's from its record, since it reports none); seconds are those
// counts at each server's prefill rate on an Apple Silicon Mac.
import type { ConfigFile } from "../src/config/config-schema";
import { resolveConfig } from "../src/config/resolve-config";
import { startServer } from "../src/server/start-server";
import { encodeTokens, PromptCache, startLmStudioServer, startMlxLmServer, type EmulatorHandle, type Respond } from "../test/emulators";
import { claudeCodePrompt } from "../test/support/claude-code-fixture";

const SESSIONS = 24;
const TURNS = 10;
// Sessions open at once (terminals, subagents), taking turns: within mlx-lm's 10 cache slots, then beyond.
const WORKLOADS = [6, 12];
const HEAD_TOKENS = 10_000; // the shared system prompt and tool list
// Prefill rates for a 30B-A3B 4-bit model on an M-series Max: mlx-lm is the faster engine.
const PREFILL_TOKENS_PER_SECOND: Record<string, number> = { "mlx-lm": 600, lmstudio: 400 };

type Policy = { name: string; routing: ConfigFile["routing"]; mlxTools: boolean };

const POLICIES: Policy[] = [
  { name: "all to one backend: LM Studio", routing: { mode: "lmstudio" }, mlxTools: true },
  { name: "all to one backend: mlx-lm", routing: { mode: "mlx-lm" }, mlxTools: true },
  { name: "tools rule, no affinity", routing: { toolsWhen: "used", affinity: false }, mlxTools: true },
  { name: "tools rule with affinity", routing: { toolsWhen: "used", affinity: true }, mlxTools: true },
];

// The model: a tool call when the question asks for one, a summary after a tool result, else text.
const respond: Respond = (body) => {
  const last = body.messages.at(-1)!;
  if (last.role === "tool")
    return {
      text: `The file shows the handler validating input first, then routing the request; nothing looks wrong there. (${String(last.content).length} characters read)`,
    };
  const question = [...body.messages].reverse().find((message) => message.role === "user");
  const text = typeof question?.content === "string" ? question.content : "";
  const file = /\[read ([^\]]+)\]/.exec(text);
  if (file) return { toolCalls: [{ name: "Read", arguments: `{"file_path": "/repo/${file[1]}", "limit": 200}` }] };
  return { text: `Here is how that works: the request is normalized, routed, translated and sent on. ${"Each step is small and tested. ".repeat(4)}` };
};

type Turn = { question: string };

function sessionScript(session: number): Turn[] {
  let state = session * 7919 + 1;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: TURNS }, (_, turn) => ({
    question:
      turn > 0 && next() < 0.5
        ? `Look at this file [read src/module_${session}_${turn}.ts] and tell me what it does.`
        : `Question ${turn} of session ${session}: how does the routing handle this case?`,
  }));
}

async function runPolicy(policy: Policy, activeSessions: number) {
  const mlx = await startMlxLmServer({ respond, cacheSlots: 10 });
  const lmstudio = await startLmStudioServer({ respond, cacheSlots: 4, contextLength: 1_000_000 });
  const config = resolveConfig(
    {
      port: 0,
      backends: [
        { name: "lmstudio", kind: "lmstudio", url: lmstudio.url },
        { name: "mlx-lm", kind: "mlx-lm", url: mlx.url, tools: policy.mlxTools },
      ],
      routing: policy.routing,
    },
    {},
  );
  const server = await startServer({ config });
  const sessions = Array.from({ length: SESSIONS }, (_, index) => ({
    index,
    script: sessionScript(index),
    turn: 0,
    messages: [] as unknown[],
    nonce: `s${index}`,
  }));
  const waiting = [...sessions];
  const active = waiting.splice(0, activeSessions);
  while (active.length > 0) {
    for (const session of [...active]) {
      await runTurn(server.url, session);
      if (session.turn === TURNS) {
        active.splice(active.indexOf(session), 1);
        const next = waiting.shift();
        if (next) active.push(next);
      }
    }
  }
  await server.stop();
  await Promise.all([mlx.stop(), lmstudio.stop()]);
  return { mlx, lmstudio };
}

const { system, tools } = claudeCodePrompt(HEAD_TOKENS, "bench");

// One user turn: the question, and if the model calls a tool, the tool result and its answer.
async function runTurn(url: string, session: { index: number; script: Turn[]; turn: number; messages: unknown[] }) {
  session.messages.push({ role: "user", content: session.script[session.turn]!.question });
  session.turn++;
  for (let step = 0; step < 4; step++) {
    const response = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-claude-code-session-id": `bench-${session.index}` },
      body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 4096, system, tools, messages: session.messages }),
    });
    const message = (await response.json()) as { content: { type: string; id?: string }[]; stop_reason: string };
    if (!response.ok) throw new Error(`request failed: ${JSON.stringify(message)}`);
    session.messages.push({ role: "assistant", content: message.content });
    if (message.stop_reason !== "tool_use") return;
    const call = message.content.find((block) => block.type === "tool_use")!;
    session.messages.push({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: call.id, content: `export function handler(request) {\n${"  // validate, route, translate\n".repeat(30)}}\n` },
      ],
    });
  }
}

function prefill(emulator: EmulatorHandle): { tokens: number; prompt: number } {
  return emulator.requests.reduce(
    (sum, request) => ({ tokens: sum.tokens + request.promptTokens! - request.cachedTokens!, prompt: sum.prompt + request.promptTokens! }),
    { tokens: 0, prompt: 0 },
  );
}

// Every distinct prefix computed once per backend: the same requests, in the same order, against
// a cache that forgets nothing.
function lowerBound(emulator: EmulatorHandle): number {
  const cache = new PromptCache(Number.POSITIVE_INFINITY);
  let tokens = 0;
  for (const request of emulator.requests) {
    const prompt = encodeTokens(request.promptText!);
    tokens += prompt.length - cache.lookup(prompt);
    cache.store([...prompt, ...encodeTokens(request.generatedText!)]);
  }
  return tokens;
}

let report = `${SESSIONS} sessions x ${TURNS} turns, ${HEAD_TOKENS}-token system prompt and tools (Claude Code's own), tool loops and plain questions; LM Studio: 4 llama.cpp slots, ${PREFILL_TOKENS_PER_SECOND.lmstudio} tok/s prefill; mlx-lm: LRU of 10, ${PREFILL_TOKENS_PER_SECOND["mlx-lm"]} tok/s. "tools rule": toolsWhen "used", mlx-lm with tools.\n`;
for (const activeSessions of WORKLOADS) {
  const rows: string[][] = [];
  let affinityRun: Awaited<ReturnType<typeof runPolicy>> | undefined;
  let affinityTokens = 0;
  for (const policy of POLICIES) {
    const run = await runPolicy(policy, activeSessions);
    const mlx = prefill(run.mlx);
    const lmstudio = prefill(run.lmstudio);
    if (policy.routing?.affinity) [affinityRun, affinityTokens] = [run, mlx.tokens + lmstudio.tokens];
    const seconds = mlx.tokens / PREFILL_TOKENS_PER_SECOND["mlx-lm"]! + lmstudio.tokens / PREFILL_TOKENS_PER_SECOND.lmstudio!;
    const share = 1 - (mlx.tokens + lmstudio.tokens) / (mlx.prompt + lmstudio.prompt);
    rows.push([
      policy.name,
      String(mlx.tokens + lmstudio.tokens),
      `${(100 * share).toFixed(1)}%`,
      seconds.toFixed(0),
      `${run.mlx.requests.length} / ${run.lmstudio.requests.length}`,
    ]);
  }
  const bound = { mlx: lowerBound(affinityRun!.mlx), lmstudio: lowerBound(affinityRun!.lmstudio) };
  const boundTokens = bound.mlx + bound.lmstudio;
  rows.push([
    "lower bound: each distinct prefix once per backend",
    String(boundTokens),
    "",
    (bound.mlx / PREFILL_TOKENS_PER_SECOND["mlx-lm"]! + bound.lmstudio / PREFILL_TOKENS_PER_SECOND.lmstudio!).toFixed(0),
    "",
  ]);
  const header = ["policy", "prefill tokens", "cache hits", "prefill s (simulated)", "requests mlx-lm / LM Studio"];
  const table = [header, header.map(() => "---"), ...rows].map((row) => `| ${row.join(" | ")} |`).join("\n");
  report += `\n${activeSessions} sessions at a time (${rows.length - 1} policies, ${affinityRun!.mlx.requests.length + affinityRun!.lmstudio.requests.length} requests each):\n\n${table}\n\naffinity / lower bound: ${(affinityTokens / boundTokens).toFixed(2)}x\n`;
}
process.stdout.write(report);

// The daemon, in process on a free port, in front of one real server; and a client that times
// each streamed reply the way a user feels it (time to the first generated token).
import { sentJson } from "../support/sent-body";
import Anthropic from "@anthropic-ai/sdk";
import type { BackendKind, ConfigFile } from "../../src/config/config-schema";
import { resolveConfig } from "../../src/config/resolve-config";
import { startServer } from "../../src/server/start-server";
import { llamaEvaluatedTokens, type RealServer } from "./real-servers";

export type RealStack = {
  url: string;
  client: Anthropic;
  backend: string;
  upstream: UpstreamRecord[];
  lastUpstream(): Promise<UpstreamRecord>;
  stop(): Promise<void>;
};

// One chat-completions (or, for the "anthropic" kind, /v1/messages) call the daemon made, with the
// body it sent and the usage the server reported at the end of its answer, in chat-completions terms.
export type UpstreamRecord = {
  body: any;
  read: Promise<unknown>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
  timings?: { cache_n?: number; prompt_n?: number };
};

// limits: the backend's silence limits; heartbeatMs: how often the daemon pings a client while
// the backend is silent; settings: more of the config file, e.g. { coalescePrefills: false }.
export async function daemonFor(
  server: RealServer,
  kind: BackendKind,
  name = "real",
  options: { limits?: { timeoutMs?: number; idleTimeoutMs?: number }; heartbeatMs?: number; settings?: Omit<ConfigFile, "backends" | "port"> } = {},
): Promise<RealStack> {
  const config = resolveConfig({ ...options.settings, port: 0, backends: [{ name, kind, url: server.url, tools: true, ...options.limits }] }, {});
  const upstream: UpstreamRecord[] = [];
  const daemon = await startServer({ config, fetch: recordingFetch(upstream), heartbeatMs: options.heartbeatMs });
  await slotsLearned(daemon.url);
  return {
    url: daemon.url,
    backend: name,
    upstream,
    async lastUpstream() {
      const record = upstream.at(-1);
      if (!record) throw new Error("the daemon sent nothing upstream");
      await record.read;
      return record;
    },
    client: new Anthropic({ baseURL: daemon.url, apiKey: "real-suite", maxRetries: 0, timeout: 600_000 }),
    stop: () => daemon.stop(),
  };
}

// The daemon tries a llama-server's slots once it is up (src/backends/slot-pinning.ts): a few
// one-token tasks the tests that read the server's log must not count as theirs.
async function slotsLearned(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = (await (await fetch(`${url}/anyclaude/status`)).json()) as { backends: { model: string | null; slotPinning: string | null }[] };
    // Probed (it named its model), and its slots known or none to know.
    if (status.backends.every((backend) => backend.model !== null && backend.slotPinning !== "learning" && backend.slotPinning !== "unknown")) return;
    await Bun.sleep(100);
  }
}

export type Timed = { message: Anthropic.Message; ttftMs: number; totalMs: number; promptTokens: number; cachedTokens: number };

export async function timedStream(client: Anthropic, params: Anthropic.MessageCreateParamsNonStreaming): Promise<Timed> {
  const started = performance.now();
  let firstToken: number | undefined;
  const stream = client.messages.stream(params);
  stream.on("streamEvent", (event) => {
    if (firstToken === undefined && event.type === "content_block_delta") firstToken = performance.now();
  });
  const message = await stream.finalMessage();
  const totalMs = performance.now() - started;
  const cachedTokens = message.usage.cache_read_input_tokens ?? 0;
  return { message, ttftMs: (firstToken ?? performance.now()) - started, totalMs, promptTokens: message.usage.input_tokens + cachedTokens, cachedTokens };
}

// The daemon's fetch, teeing each chat-completions or /v1/messages answer so the test reads the
// server's own report (its last usage and timings) without touching what the daemon receives.
// The daemon cuts the upstream as soon as its reply is whole (message_stop): the copy read here
// may end in an abort, after the report it carries.
async function readWhatCame(body: ReadableStream<Uint8Array>): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
  } catch {
    // aborted: what came is what there is
  }
  return text;
}

export function recordingFetch(into: UpstreamRecord[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    const path = new URL(String(input)).pathname;
    if (!(path.endsWith("/chat/completions") || path.endsWith("/v1/messages")) || !response.body) return response;
    const [mine, theirs] = response.body.tee();
    const record: UpstreamRecord = { body: sentJson(init), read: Promise.resolve() };
    record.read = readWhatCame(mine).then((text) => Object.assign(record, lastReport(text)));
    into.push(record);
    return new Response(theirs, { status: response.status, statusText: response.statusText, headers: response.headers });
  }) as typeof fetch;
}

function lastReport(text: string): Pick<UpstreamRecord, "usage" | "timings"> {
  const payloads = text.trimStart().startsWith("{")
    ? [text]
    : text
        .split("\n")
        .filter((line) => line.startsWith("data: {"))
        .map((line) => line.slice(6));
  const report: Pick<UpstreamRecord, "usage" | "timings"> = {};
  for (const payload of payloads) {
    const parsed = JSON.parse(payload);
    const usage = parsed.usage ?? parsed.message?.usage; // the Messages API's message_start holds it in message
    if (usage?.prompt_tokens !== undefined) report.usage = usage;
    else if (usage?.input_tokens !== undefined) report.usage = chatUsage(usage);
    if (parsed.timings) report.timings = parsed.timings;
  }
  return report;
}

// The Messages API's usage (input_tokens leave out what was read from or written to the cache:
// vLLM's `_build_anthropic_usage`) as chat completions report it.
function chatUsage(usage: {
  input_tokens: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}): UpstreamRecord["usage"] {
  const cached = usage.cache_read_input_tokens ?? 0;
  return {
    prompt_tokens: usage.input_tokens + cached + (usage.cache_creation_input_tokens ?? 0),
    completion_tokens: usage.output_tokens,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

// llama-server prints a request's timings as it finishes; give the log a moment to arrive.
export async function llamaCounts(server: RealServer, mark: number): Promise<number[]> {
  await Bun.sleep(200);
  return llamaEvaluatedTokens(server, mark);
}

// mlx_lm.server reports its prompt and the part it found cached in each answer's usage.
export async function upstreamCounts(stack: Pick<RealStack, "upstream">, mark: number): Promise<number[]> {
  const records = stack.upstream.slice(mark);
  await Promise.all(records.map((record) => record.read));
  return records.map((record) => (record.usage?.prompt_tokens ?? 0) - (record.usage?.prompt_tokens_details?.cached_tokens ?? 0));
}

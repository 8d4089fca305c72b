// One benchmark query through the daemon, streamed as Claude Code streams it: the time to the
// first content and to the end, the prompt and cached tokens of the reply's usage (anyclaude maps
// a backend's cached_tokens to cache_read_input_tokens), and the assistant turn to replay next.
import * as v from "valibot";
import type { ContentBlock } from "../protocol/anthropic";
import { UpstreamStreamEvent } from "../protocol/anthropic-upstream";
import { readSseFrames } from "../sse/read-sse-frames";

export type QueryMeasure = {
  ttftMs?: number;
  totalMs: number;
  promptTokens: number;
  cachedTokens: number;
  route: string | null;
  turn: ContentBlock[]; // text and thinking, as Claude Code replays them
};

export type QueryOptions = { daemonUrl: string; sessionId: string; authToken?: string; onWaiting?: () => void };

const WAITING_TICK_MS = 250;

export async function streamQuery(body: Record<string, unknown>, options: QueryOptions): Promise<QueryMeasure> {
  const startedAt = performance.now();
  const waiting = options.onWaiting ? setInterval(options.onWaiting, WAITING_TICK_MS) : undefined;
  try {
    const response = await fetch(`${options.daemonUrl}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-claude-code-session-id": options.sessionId,
        ...(options.authToken ? { "x-api-key": options.authToken } : {}),
      },
      body: JSON.stringify({ ...body, stream: true }),
    });
    if (!response.ok || !response.body) throw new Error(await errorText(response));
    const measure = await readReply(response.body, startedAt, () => clearInterval(waiting));
    return { ...measure, route: response.headers.get("x-anyclaude-route") };
  } finally {
    clearInterval(waiting);
  }
}

async function readReply(body: ReadableStream<Uint8Array>, startedAt: number, onFirstToken: () => void): Promise<Omit<QueryMeasure, "route">> {
  let ttftMs: number | undefined;
  let usage: { input_tokens?: number | null; cache_read_input_tokens?: number | null } | undefined;
  const blocks: { type: string; text: string; signature?: string }[] = [];
  for await (const frame of readSseFrames(body)) {
    if (frame.kind !== "data") continue;
    const parsed = v.safeParse(UpstreamStreamEvent, JSON.parse(frame.data));
    if (!parsed.success) continue;
    const event = parsed.output;
    if (event.type === "error") throw new Error(event.error?.message ?? "the daemon sent an error event");
    if ((event.type === "content_block_start" || event.type === "content_block_delta") && ttftMs === undefined) {
      ttftMs = performance.now() - startedAt;
      onFirstToken();
    }
    if (event.type === "content_block_start") blocks[event.index ?? 0] = { type: event.content_block?.type ?? "text", text: "" };
    if (event.type === "content_block_delta") collect(blocks[event.index ?? 0], event.delta as Record<string, string | undefined>);
    if (event.type === "message_delta") usage = event.usage ?? undefined;
  }
  if (!usage) throw new Error("the reply ended without its usage (message_delta)");
  const cached = usage.cache_read_input_tokens ?? 0;
  return { ttftMs, totalMs: performance.now() - startedAt, promptTokens: (usage.input_tokens ?? 0) + cached, cachedTokens: cached, turn: replayable(blocks) };
}

function collect(block: { text: string; signature?: string } | undefined, delta: Record<string, string | undefined>): void {
  if (!block) return;
  block.text += delta.text ?? delta.thinking ?? "";
  if (delta.signature) block.signature = delta.signature;
}

// Tool calls are left out of the replay: the benchmark has no tool results to send back.
function replayable(blocks: { type: string; text: string; signature?: string }[]): ContentBlock[] {
  return blocks.flatMap((block): ContentBlock[] => {
    if (block.type === "thinking") return [{ type: "thinking", thinking: block.text, signature: block.signature ?? "" }];
    if (block.type === "text" && block.text) return [{ type: "text", text: block.text }];
    return [];
  });
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    return parsed.error?.message ?? text;
  } catch {
    return `the daemon answered HTTP ${response.status}: ${text.slice(0, 300)}`;
  }
}

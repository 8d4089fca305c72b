// One prewarm request put to a backend and read to its end, for anyclaude alone: what the server
// says it computed (prompt tokens, of which cached) is the confirmation the cache model waits for.
import * as v from "valibot";
import { ApiError } from "../api-error";
import { readChatChunks } from "../backends/read-chat-chunks";
import { sendToBackend } from "../backends/send-to-backend";
import { UpstreamWatch } from "../backends/upstream-watch";
import type { BackendConfig } from "../config/config-schema";
import { type PrewarmHead, prewarmRequest } from "./prewarm-head";

export type PrewarmReport = {
  // The server processed the prompt: it reported prompt tokens, or (a server that reports no
  // usage) finished its one-token answer, which it cannot do before computing the prompt.
  confirmed: boolean;
  promptTokens?: number;
  cachedTokens?: number;
};

const ANTHROPIC_VERSION = "2023-06-01";

const MessagesUsage = v.looseObject({
  usage: v.optional(
    v.nullable(v.looseObject({ input_tokens: v.optional(v.nullable(v.number())), cache_read_input_tokens: v.optional(v.nullable(v.number())) })),
  ),
});

export async function sendPrewarm(
  backend: BackendConfig,
  head: PrewarmHead,
  model: string,
  options: { fetcher: typeof fetch; signal: AbortSignal },
): Promise<PrewarmReport> {
  const { path, body } = prewarmRequest(head, model);
  const headers = head.api === "messages" ? { "anthropic-version": ANTHROPIC_VERSION } : undefined;
  // The same limits as a real request's: a cold prefill may take minutes, a stall may not.
  const watch = new UpstreamWatch(backend, options.fetcher);
  const response = await sendToBackend(backend, { path, body, stream: head.api === "chat", signal: options.signal, watch, fetcher: options.fetcher, headers });
  try {
    return head.api === "chat" ? await readChatReport(response, backend.name) : await readMessagesReport(response);
  } finally {
    watch.stop();
  }
}

async function readChatReport(response: Response, backend: string): Promise<PrewarmReport> {
  if (!response.body) return { confirmed: false };
  let finished = false;
  let promptTokens: number | undefined;
  let cachedTokens: number | undefined;
  for await (const event of readChatChunks(response.body, backend)) {
    if (event.kind === "failure") throw new ApiError(502, "api_error", event.message);
    if (event.kind !== "chunk") continue;
    const { usage, timings, choices } = event.chunk;
    if (choices?.some((choice) => choice.finish_reason)) finished = true;
    // llama-server's own counts: cache_n reused, prompt_n computed.
    if (timings?.prompt_n != null) {
      promptTokens = (timings.cache_n ?? 0) + timings.prompt_n;
      cachedTokens = timings.cache_n ?? undefined;
    }
    if (usage?.prompt_tokens != null) {
      promptTokens = usage.prompt_tokens;
      cachedTokens = usage.prompt_tokens_details?.cached_tokens ?? cachedTokens;
    }
  }
  return { confirmed: promptTokens !== undefined ? promptTokens > 0 : finished, promptTokens, cachedTokens };
}

async function readMessagesReport(response: Response): Promise<PrewarmReport> {
  const parsed = v.safeParse(MessagesUsage, await response.json().catch(() => undefined));
  const usage = parsed.success ? parsed.output.usage : undefined;
  if (usage?.input_tokens == null) return { confirmed: parsed.success };
  const cached = usage.cache_read_input_tokens ?? 0;
  const promptTokens = usage.input_tokens + cached;
  return { confirmed: promptTokens > 0, promptTokens, cachedTokens: usage.cache_read_input_tokens ?? undefined };
}

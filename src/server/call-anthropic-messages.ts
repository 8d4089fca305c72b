// A request put to a backend with its own Messages API (LM Studio 0.4.1+, llama.cpp, Ollama, vLLM).
import * as v from "valibot";
import { endedWithoutReply, malformedResponse, streamErrorEvent } from "../backends/backend-error";
import { sendToBackend } from "../backends/send-to-backend";
import { UpstreamWatch } from "../backends/upstream-watch";
import type { BackendConfig } from "../config/config-schema";
import type { MessagesResponse } from "../protocol/anthropic";
import { UpstreamMessage } from "../protocol/anthropic-upstream";
import { readSseFrames } from "../sse/read-sse-frames";
import { anthropicRelay, type RelayEvent } from "../translate/create-anthropic-relay";
import { mapUpstreamStopReason } from "../translate/map-upstream-stop-reason";
import { estimateTokens } from "../translate/estimate-tokens";
import { checkAnthropicUsage, type Reply, signThinking, tokenCount } from "../translate/reply";
import { whenReady, type BackendCall, type CallContext } from "./backend-call";
import { readJson, streamReply } from "./stream-reply";

const ANTHROPIC_VERSION = "2023-06-01";

export function callAnthropicMessages(backend: BackendConfig, body: Record<string, unknown>, context: CallContext): BackendCall {
  const watch = new UpstreamWatch(backend, context.fetcher, context.readLimits);
  const upstream = whenReady(context, () =>
    sendToBackend(backend, {
      path: "/messages",
      body,
      stream: Boolean(body.stream),
      signal: context.signal,
      watch,
      fetcher: context.fetcher,
      headers: { "anthropic-version": ANTHROPIC_VERSION },
    }),
  );
  return {
    upstream,
    streamResponse: (daemon) =>
      streamReply(
        upstream,
        { backend: backend.name, trace: context.trace, watch, decode: (stream) => readRelayEvents(stream, backend.name), converter: anthropicRelay(context) },
        daemon,
      ),
    async readMessage(response) {
      const json: unknown = await readJson(response);
      const parsed = v.safeParse(UpstreamMessage, json);
      if (!parsed.success) throw malformedResponse(backend, v.summarize(parsed.issues));
      if (parsed.output.content.length === 0 && !parsed.output.stop_reason) throw endedWithoutReply(backend);
      const { stopReason, stopSequence } = mapUpstreamStopReason(parsed.output.stop_reason, parsed.output.stop_sequence);
      const content = cleanBlocks((json as MessagesResponse).content, context.toolUseId);
      const reply = replyOf({ ...parsed.output, content });
      const usage =
        parsed.output.usage &&
        checkAnthropicUsage(parsed.output.usage, { input: context.inputTokens, output: estimateTokens(reply.text.length + reply.thinking.length) });
      const message = {
        ...(json as MessagesResponse),
        id: context.messageId,
        model: context.model,
        content,
        stop_reason: stopReason,
        stop_sequence: stopSequence,
        ...(usage ? { usage } : {}),
      } as MessagesResponse;
      return { message, reply };
    },
  };
}

// An `error` event is read here, so that a context overflow says "prompt is too long".
async function* readRelayEvents(body: ReadableStream<Uint8Array>, backend: string): AsyncGenerator<RelayEvent> {
  for await (const frame of readSseFrames(body)) {
    if (frame.kind === "comment") yield { kind: "comment" };
    else yield errorEventIn(frame.data, backend) ?? frame;
  }
}

function errorEventIn(data: string, backend: string): RelayEvent | undefined {
  if (!data.includes('"error"')) return undefined; // the common case, not parsed twice
  try {
    const event: unknown = JSON.parse(data);
    if (typeof event === "object" && event !== null && "type" in event && event.type === "error")
      return streamErrorEvent(backend, "error" in event ? event.error : event);
  } catch {
    // not JSON: the relay says so
  }
  return undefined;
}

// As the stream relay does (create-anthropic-relay.ts): toolu_ ids, a signature on every
// thinking block (llama-server's whole answers have neither).
function cleanBlocks(content: MessagesResponse["content"], toolUseId: (index: number) => string): MessagesResponse["content"] {
  return content.map((block, index) => {
    if (block.type === "tool_use") return { ...block, id: toolUseId(index) };
    if (block.type === "thinking" && !block.signature) return { ...block, signature: signThinking(block.thinking) };
    return block;
  });
}

function replyOf(message: UpstreamMessage): Reply {
  const cached = tokenCount(message.usage?.cache_read_input_tokens) ?? 0;
  return {
    text: message.content.flatMap((block) => (block.type === "text" ? [block.text ?? ""] : [])).join(""),
    thinking: message.content.flatMap((block) => (block.type === "thinking" ? [block.thinking ?? ""] : [])).join(""),
    toolCalls: message.content.flatMap((block) =>
      block.type === "tool_use" ? [{ id: block.id ?? "", name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) }] : [],
    ),
    stopReason: mapUpstreamStopReason(message.stop_reason, message.stop_sequence).stopReason,
    promptTokens: (tokenCount(message.usage?.input_tokens) ?? 0) + cached || undefined,
    cachedTokens: cached || undefined,
    completionTokens: tokenCount(message.usage?.output_tokens),
  };
}

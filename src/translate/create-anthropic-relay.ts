// A Messages-API backend's stream, relayed event by event: the model name becomes the one the
// client asked for, and the reply is recorded on the way through (for stats and the cache model).
import * as v from "valibot";
import type { ErrorType, StreamEvent } from "../protocol/anthropic";
import { UpstreamStreamEvent } from "../protocol/anthropic-upstream";
import { mapUpstreamStopReason } from "./map-upstream-stop-reason";
import { messageStart } from "./message-start";
import type { Reply } from "./reply";

export type RelayEvent = { kind: "data"; data: string } | { kind: "comment" } | { kind: "failure"; errorType: ErrorType; message: string };

export type RelayContext = { backend: string; model: string; messageId: string; inputTokens: number; onReply?: (reply: Reply) => void };

// The backend's prompt counts as it reported them (message_start, or a later message_delta).
type PromptUsage = { input_tokens?: number; cache_read_input_tokens?: number };

type RelayState = { text: string; thinking: string; tools: Map<number, { id: string; name: string; arguments: string }>; reply: Partial<Reply>; prompt: PromptUsage; finished: boolean; failed: boolean };

export function createAnthropicRelay(context: RelayContext): TransformStream<RelayEvent, StreamEvent> {
  return new TransformStream(anthropicRelay(context));
}

// The same relay as a Transformer, for a caller that drives it inline (see streamConverter).
export function anthropicRelay(context: RelayContext): Transformer<RelayEvent, StreamEvent> {
  const state: RelayState = { text: "", thinking: "", tools: new Map(), reply: {}, prompt: {}, finished: false, failed: false };
  const fail = (controller: TransformStreamDefaultController<StreamEvent>, type: ErrorType, message: string) => {
    state.failed = true;
    controller.enqueue({ type: "error", error: { type, message } });
  };
  return {
    // Our own message_start goes out at once, as on the OpenAI path; the backend's is absorbed.
    start(controller) {
      controller.enqueue(messageStart(context));
      controller.enqueue({ type: "ping" });
    },
    transform(event, controller) {
      if (state.failed || state.finished) return;
      if (event.kind === "comment") return controller.enqueue({ type: "ping" });
      if (event.kind === "failure") return fail(controller, event.errorType, event.message);
      const parsed = v.safeParse(UpstreamStreamEvent, safeJson(event.data));
      if (!parsed.success) return fail(controller, "api_error", `backend "${context.backend}" sent a malformed event: ${event.data.slice(0, 200)}`);
      observe(state, parsed.output);
      if (parsed.output.type === "message_stop") {
        state.finished = true;
        context.onReply?.(finalReply(state));
      }
      if (parsed.output.type !== "message_start") controller.enqueue(relayed(parsed.output, state.prompt));
    },
    flush(controller) {
      if (!state.failed && !state.finished) fail(controller, "api_error", `backend "${context.backend}" closed the stream before the reply was finished`);
    },
  };
}

function observe(state: RelayState, event: UpstreamStreamEvent): void {
  const index = event.index ?? 0;
  if (event.type === "message_start") observePrompt(state, event.message?.usage);
  if (event.type === "content_block_start" && event.content_block?.type === "tool_use") {
    state.tools.set(index, { id: event.content_block.id ?? "", name: event.content_block.name ?? "", arguments: "" });
  }
  if (event.type === "content_block_delta") {
    state.text += event.delta?.text ?? "";
    state.thinking += event.delta?.thinking ?? "";
    const tool = state.tools.get(index);
    if (tool) tool.arguments += event.delta?.partial_json ?? "";
  }
  if (event.type === "message_delta") {
    state.reply.stopReason = mapUpstreamStopReason(event.delta?.stop_reason, event.delta?.stop_sequence).stopReason;
    state.reply.completionTokens = event.usage?.output_tokens ?? undefined;
    observePrompt(state, event.usage);
  }
}

// llama-server reports the prompt's counts in its message_start only (tools/server/server-task.cpp
// of 0.3.36's llama.cpp: message_delta's usage is output_tokens alone); a server may send them,
// cumulative, in message_delta too. The later wins.
function observePrompt(state: RelayState, usage: UpstreamStreamEvent["usage"]): void {
  if (usage?.input_tokens != null) state.prompt.input_tokens = usage.input_tokens;
  if (usage?.cache_read_input_tokens != null) state.prompt.cache_read_input_tokens = usage.cache_read_input_tokens;
  const cached = state.prompt.cache_read_input_tokens ?? 0;
  state.reply.cachedTokens = state.prompt.cache_read_input_tokens;
  state.reply.promptTokens = (state.prompt.input_tokens ?? 0) + cached || undefined;
}

// The event as the client gets it: message_delta's stop reason made consistent (see
// mapUpstreamStopReason), and its usage with the backend's prompt counts, as Anthropic's carries
// them: our message_start went out with an estimate before the backend counted.
function relayed(event: UpstreamStreamEvent, prompt: PromptUsage): StreamEvent {
  if (event.type !== "message_delta") return event as StreamEvent;
  const usage = { ...event.usage, ...prompt };
  if (!event.delta) return { ...event, usage } as StreamEvent;
  const { stopReason, stopSequence } = mapUpstreamStopReason(event.delta.stop_reason, event.delta.stop_sequence);
  return { ...event, delta: { ...event.delta, stop_reason: stopReason, stop_sequence: stopSequence }, usage } as StreamEvent;
}

function finalReply(state: RelayState): Reply {
  return { text: state.text, thinking: state.thinking, toolCalls: [...state.tools.values()], stopReason: state.reply.stopReason ?? "end_turn", ...state.reply };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

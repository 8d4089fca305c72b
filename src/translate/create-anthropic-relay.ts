// A Messages-API backend's stream, relayed event by event: the model name becomes the one the
// client asked for, and the reply is recorded on the way through (for stats and the cache model).
import * as v from "valibot";
import type { ErrorType, StreamEvent } from "../protocol/anthropic";
import { UpstreamStreamEvent } from "../protocol/anthropic-upstream";
import { mapUpstreamStopReason } from "./map-upstream-stop-reason";
import { messageStart } from "./message-start";
import { estimateTokens } from "./estimate-tokens";
import { pastOutputLimit } from "./output-limit";
import { checkAnthropicUsage, type Reply, tokenCount } from "./reply";

export type RelayEvent = { kind: "data"; data: string } | { kind: "comment" } | { kind: "failure"; errorType: ErrorType; message: string };

// `maxTokens`: the request's; the reply ends there, whatever the backend does (output-limit.ts).
export type RelayContext = { backend: string; model: string; messageId: string; inputTokens: number; maxTokens?: number; onReply?: (reply: Reply) => void };

type RelayState = {
  text: string;
  thinking: string;
  tools: Map<number, { id: string; name: string; arguments: string }>;
  outputChars: number;
  open?: { index: number; type: string }; // the block started and not yet stopped
  reply: Partial<Reply>;
  finished: boolean;
  failed: boolean;
};

export function createAnthropicRelay(context: RelayContext): TransformStream<RelayEvent, StreamEvent> {
  return new TransformStream(anthropicRelay(context));
}

// The same relay as a Transformer, for a caller that drives it inline (see streamConverter).
export function anthropicRelay(context: RelayContext): Transformer<RelayEvent, StreamEvent> {
  const state: RelayState = { text: "", thinking: "", tools: new Map(), outputChars: 0, reply: {}, finished: false, failed: false };
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
      if (context.maxTokens !== undefined && pastOutputLimit(context.maxTokens, state.outputChars)) return endAtLimit(state, context, controller);
      if (parsed.output.type === "message_stop") {
        state.finished = true;
        context.onReply?.(finalReply(state));
      }
      if (parsed.output.type !== "message_start") controller.enqueue(relayed(parsed.output, state, context));
    },
    flush(controller) {
      if (!state.failed && !state.finished) fail(controller, "api_error", `backend "${context.backend}" closed the stream before the reply was finished`);
    },
  };
}

function observe(state: RelayState, event: UpstreamStreamEvent): void {
  const index = event.index ?? 0;
  if (event.type === "message_start") {
    const usage = event.message?.usage;
    state.reply.cachedTokens = tokenCount(usage?.cache_read_input_tokens);
    state.reply.promptTokens = (tokenCount(usage?.input_tokens) ?? 0) + (state.reply.cachedTokens ?? 0) || undefined;
  }
  if (event.type === "content_block_start" && event.content_block?.type === "tool_use") {
    state.tools.set(index, { id: event.content_block.id ?? "", name: event.content_block.name ?? "", arguments: "" });
  }
  if (event.type === "content_block_start") state.open = { index, type: event.content_block?.type ?? "text" };
  if (event.type === "content_block_stop") state.open = undefined;
  if (event.type === "content_block_delta") {
    const text = event.delta?.text ?? "";
    const thinking = event.delta?.thinking ?? "";
    const json = event.delta?.partial_json ?? "";
    state.text += text;
    state.thinking += thinking;
    const tool = state.tools.get(index);
    if (tool) tool.arguments += json;
    state.outputChars += text.length + thinking.length + json.length;
  }
  if (event.type === "message_delta") {
    state.reply.stopReason = mapUpstreamStopReason(event.delta?.stop_reason, event.delta?.stop_sequence).stopReason;
    state.reply.completionTokens = tokenCount(event.usage?.output_tokens);
  }
}

// The backend wrote past max_tokens: the reply ends as the limit would have ended it. Inside a
// tool call it ends with an error instead: a tool_use block closed now would run a call the model
// never finished (Claude Code runs each one as its block stops).
function endAtLimit(state: RelayState, context: RelayContext, controller: TransformStreamDefaultController<StreamEvent>): void {
  state.finished = true;
  if (state.open?.type === "tool_use") {
    state.failed = true;
    return controller.enqueue({ type: "error", error: { type: "api_error", message: `backend "${context.backend}" wrote past max_tokens (${context.maxTokens}) inside a tool call without stopping; the call was not run` } });
  }
  if (state.open) controller.enqueue({ type: "content_block_stop", index: state.open.index });
  const usage = { input_tokens: context.inputTokens, output_tokens: estimateTokens(state.outputChars), cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  controller.enqueue({ type: "message_delta", delta: { stop_reason: "max_tokens", stop_sequence: null }, usage });
  controller.enqueue({ type: "message_stop" });
  context.onReply?.({ ...finalReply(state), stopReason: "max_tokens" });
}

// The event as the client gets it: message_delta's stop reason made consistent (see
// mapUpstreamStopReason), its counts checked (tokenCount).
function relayed(event: UpstreamStreamEvent, state: RelayState, context: RelayContext): StreamEvent {
  if (event.type !== "message_delta") return event as StreamEvent;
  const { stopReason, stopSequence } = mapUpstreamStopReason(event.delta?.stop_reason, event.delta?.stop_sequence);
  const usage = event.usage && checkAnthropicUsage(event.usage, { input: context.inputTokens, output: estimateTokens(state.outputChars) });
  return { ...event, ...(usage ? { usage } : {}), delta: { ...event.delta, stop_reason: stopReason, stop_sequence: stopSequence } } as StreamEvent;
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

// A Messages-API backend's stream, relayed event by event as a clean Anthropic stream: the model
// name becomes the one replies carry, the reply is recorded on the way through (for stats and the
// cache model), and the blocks are put in the shape Anthropic's SDKs accumulate. llama-server's own
// /v1/messages (llama.cpp 0.3.36, tools/server/server-task.cpp to_json_anthropic_stream and the
// partial results) starts a tool_use block without `input` and a thinking block without
// `signature`, starts the text block while the thinking one is still open and stops every block
// only at the end; its tool ids are its own random strings. So here: one block open at a time (the
// open one stopped when the next starts, indexes ours), tool_use starts with `input: {}`, a
// thinking block gets a signature before its stop, tool ids are toolu_ ones (the server takes any
// id back: it copies them into its OpenAI-shaped messages), and exactly one message_delta and
// message_stop go out. The request's max_tokens holds whatever the backend writes (output-limit.ts),
// and its counts are checked (tokenCount).
import * as v from "valibot";
import type { ErrorType, StreamBlockStart, StreamEvent, Usage } from "../protocol/anthropic";
import { UpstreamStreamEvent } from "../protocol/anthropic-upstream";
import { mapUpstreamStopReason } from "./map-upstream-stop-reason";
import { messageStart } from "./message-start";
import { estimateTokens } from "./estimate-tokens";
import { pastOutputLimit } from "./output-limit";
import { checkAnthropicUsage, type Reply, signThinking, toAnthropicUsage, tokenCount } from "./reply";

export type RelayEvent = { kind: "data"; data: string } | { kind: "comment" } | { kind: "failure"; errorType: ErrorType; message: string };

// `maxTokens`: the request's; the reply ends there, whatever the backend does.
export type RelayContext = {
  backend: string;
  model: string;
  messageId: string;
  inputTokens: number;
  maxTokens?: number;
  toolUseId: (index: number) => string;
  onReply?: (reply: Reply) => void;
};

// The backend's prompt counts as it reported them (message_start, or a later message_delta).
type PromptUsage = { input_tokens?: number; cache_read_input_tokens?: number };

// The block open on our side: which upstream index feeds it, and for thinking what it holds.
type OpenBlock = { upstream: number; index: number; type: string; thinking: string; signed: boolean };

type RelayState = {
  nextIndex: number;
  open?: OpenBlock;
  text: string;
  thinking: string;
  tools: Map<number, { id: string; name: string; arguments: string }>; // by upstream index
  outputChars: number; // text, thinking and tool-call arguments so far
  reply: Partial<Reply>;
  prompt: PromptUsage;
  delta?: Extract<StreamEvent, { type: "message_delta" }>;
  finished: boolean;
  failed: boolean;
};

type Emit = (event: StreamEvent) => void;

export function createAnthropicRelay(context: RelayContext): TransformStream<RelayEvent, StreamEvent> {
  return new TransformStream(anthropicRelay(context));
}

// The same relay as a Transformer, for a caller that drives it inline (see streamConverter).
export function anthropicRelay(context: RelayContext): Transformer<RelayEvent, StreamEvent> {
  const state: RelayState = { nextIndex: 0, text: "", thinking: "", tools: new Map(), outputChars: 0, reply: {}, prompt: {}, finished: false, failed: false };
  const fail = (emit: Emit, type: ErrorType, message: string) => {
    state.failed = true;
    emit({ type: "error", error: { type, message } });
  };
  return {
    // Our own message_start goes out at once, as on the OpenAI path; the backend's is absorbed.
    start(controller) {
      controller.enqueue(messageStart(context));
      controller.enqueue({ type: "ping" });
    },
    transform(event, controller) {
      const emit: Emit = (out) => controller.enqueue(out);
      if (state.failed || state.finished) return;
      if (event.kind === "comment") return emit({ type: "ping" });
      if (event.kind === "failure") return fail(emit, event.errorType, event.message);
      const parsed = v.safeParse(UpstreamStreamEvent, safeJson(event.data));
      if (!parsed.success) return fail(emit, "api_error", `backend "${context.backend}" sent a malformed event: ${event.data.slice(0, 200)}`);
      relay(state, parsed.output, context, emit);
      if (!state.finished && context.maxTokens !== undefined && pastOutputLimit(context.maxTokens, state.outputChars, state.reply.completionTokens))
        endAtLimit(state, context, emit);
    },
    flush(controller) {
      if (!state.failed && !state.finished)
        fail((out) => controller.enqueue(out), "api_error", `backend "${context.backend}" closed the stream before the reply was finished`);
    },
  };
}

function relay(state: RelayState, event: UpstreamStreamEvent, context: RelayContext, emit: Emit): void {
  const upstream = event.index ?? 0;
  switch (event.type) {
    case "message_start":
      return observePrompt(state, event.usage ?? event.message?.usage);
    case "content_block_start":
      return startBlock(state, upstream, event, context, emit);
    case "content_block_delta":
      return relayDelta(state, upstream, event, emit);
    case "content_block_stop":
      if (state.open?.upstream === upstream) closeBlock(state, emit);
      return;
    case "message_delta":
      // The first one counts; the block still open ends before it.
      if (state.delta) return;
      closeBlock(state, emit);
      observePrompt(state, event.usage);
      state.delta = relayedDelta(event, state.prompt, { input: context.inputTokens, output: estimateTokens(state.outputChars) });
      state.reply.stopReason = state.delta.delta.stop_reason ?? "end_turn";
      state.reply.completionTokens = tokenCount(event.usage?.output_tokens);
      return emit(state.delta);
    case "message_stop":
      closeBlock(state, emit);
      if (!state.delta)
        emit({
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: toAnthropicUsage(undefined, { input: context.inputTokens, output: 0 }),
        });
      state.finished = true;
      emit({ type: "message_stop" });
      context.onReply?.(finalReply(state));
      return;
    default:
      // ping, and event types this build does not know: passed on.
      return emit(event as StreamEvent);
  }
}

// llama-server reports the prompt's counts in its message_start only (tools/server/server-task.cpp
// of 0.3.36's llama.cpp: message_delta's usage is output_tokens alone); a server may send them,
// cumulative, in message_delta too. The later wins; each is checked (tokenCount).
function observePrompt(state: RelayState, usage: UpstreamStreamEvent["usage"]): void {
  const input = tokenCount(usage?.input_tokens);
  const cached = tokenCount(usage?.cache_read_input_tokens);
  if (input !== undefined) state.prompt.input_tokens = input;
  if (cached !== undefined) state.prompt.cache_read_input_tokens = cached;
  state.reply.cachedTokens = state.prompt.cache_read_input_tokens;
  state.reply.promptTokens = (state.prompt.input_tokens ?? 0) + (state.prompt.cache_read_input_tokens ?? 0) || undefined;
}

function startBlock(state: RelayState, upstream: number, event: UpstreamStreamEvent, context: RelayContext, emit: Emit): void {
  closeBlock(state, emit);
  const block = event.content_block ?? { type: "text" };
  const index = state.nextIndex++;
  state.open = { upstream, index, type: block.type, thinking: "", signed: false };
  emit({ type: "content_block_start", index, content_block: cleanStart(block, index, upstream, state, context) });
}

// The block's start as Anthropic sends it; a type this build does not know goes as it came.
function cleanStart(
  block: NonNullable<UpstreamStreamEvent["content_block"]>,
  index: number,
  upstream: number,
  state: RelayState,
  context: RelayContext,
): StreamBlockStart {
  switch (block.type) {
    case "text":
      return { type: "text", text: "" };
    case "thinking":
      return { type: "thinking", thinking: "", signature: "" };
    case "tool_use": {
      const tool = { id: context.toolUseId(index), name: block.name ?? "", arguments: "" };
      state.tools.set(upstream, tool);
      return { type: "tool_use", id: tool.id, name: tool.name, input: {} };
    }
    default:
      return block as unknown as StreamBlockStart;
  }
}

function relayDelta(state: RelayState, upstream: number, event: UpstreamStreamEvent, emit: Emit): void {
  const open = state.open;
  const delta = event.delta;
  // A delta for a block already stopped here (it overlapped the next) cannot be placed: Anthropic's
  // blocks do not interleave. llama-server sends none: each kind's deltas come before the next's.
  if (!open || open.upstream !== upstream || !delta) return;
  state.text += delta.text ?? "";
  state.thinking += delta.thinking ?? "";
  open.thinking += delta.thinking ?? "";
  const tool = state.tools.get(upstream);
  if (tool) tool.arguments += delta.partial_json ?? "";
  state.outputChars += (delta.text?.length ?? 0) + (delta.thinking?.length ?? 0) + (delta.partial_json?.length ?? 0);
  if (delta.type === "signature_delta") {
    // An empty signature (llama-server's) is replaced by ours at the block's stop.
    if (!delta.signature) return;
    open.signed = true;
  }
  emit({ type: "content_block_delta", index: open.index, delta } as StreamEvent);
}

function closeBlock(state: RelayState, emit: Emit): void {
  const open = state.open;
  if (!open) return;
  if (open.type === "thinking" && !open.signed) {
    emit({ type: "content_block_delta", index: open.index, delta: { type: "signature_delta", signature: signThinking(open.thinking) } });
  }
  emit({ type: "content_block_stop", index: open.index });
  state.open = undefined;
}

// The backend wrote past max_tokens: the reply ends as the limit would have ended it. Inside a
// tool call it ends with an error instead: a tool_use block closed now would run a call the model
// never finished (Claude Code runs each one as its block stops).
function endAtLimit(state: RelayState, context: RelayContext, emit: Emit): void {
  state.finished = true;
  if (state.open?.type === "tool_use") {
    state.failed = true;
    return emit({
      type: "error",
      error: {
        type: "api_error",
        message: `backend "${context.backend}" wrote past max_tokens (${context.maxTokens}) inside a tool call without stopping; the call was not run`,
      },
    });
  }
  closeBlock(state, emit);
  emit({
    type: "message_delta",
    delta: { stop_reason: "max_tokens", stop_sequence: null },
    usage: toAnthropicUsage(undefined, { input: context.inputTokens, output: estimateTokens(state.outputChars) }),
  });
  emit({ type: "message_stop" });
  context.onReply?.({ ...finalReply(state), stopReason: "max_tokens" });
}

// message_delta's stop reason made consistent (see mapUpstreamStopReason), its counts checked, and
// the whole usage, as Anthropic's carries it: our message_start went out with an estimate before
// the backend counted, and a client may read a stream's usage from message_delta alone
// (langchain-anthropic 1.7.10, _make_message_chunk_from_anthropic_event). llama-server's own says
// only output_tokens (llama.cpp 0.3.36): the prompt's counts come from its message_start, else the
// estimates stand.
function relayedDelta(
  event: UpstreamStreamEvent,
  prompt: PromptUsage,
  estimates: { input: number; output: number },
): Extract<StreamEvent, { type: "message_delta" }> {
  const { stopReason, stopSequence } = mapUpstreamStopReason(event.delta?.stop_reason, event.delta?.stop_sequence);
  const fallback: Usage = { input_tokens: estimates.input, output_tokens: estimates.output, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  const usage = { ...fallback, ...(event.usage && checkAnthropicUsage(event.usage, estimates)), ...prompt };
  return { ...event, type: "message_delta", usage, delta: { ...event.delta, stop_reason: stopReason, stop_sequence: stopSequence } } as Extract<
    StreamEvent,
    { type: "message_delta" }
  >;
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

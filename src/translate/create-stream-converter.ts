// OpenAI chat-completion chunks -> Anthropic stream events, one explicit state machine.
// Text and thinking go out the moment they arrive. Tool calls are held until the upstream has
// finished: Claude Code runs a tool_use block as soon as it is closed, so a call goes out only once
// its arguments are known to be whole (or repaired), never cut off by max_tokens (settle-tool-calls.ts).
import type { PrefillProgress } from "../backends/prefill-progress";
import type { ErrorType, StreamDelta, StreamEvent, Tool } from "../protocol/anthropic";
import type { ChatChunk, ToolCallDelta } from "../protocol/openai";
import { estimateTokens } from "./estimate-tokens";
import { mapFinishReason, matchedStopSequence, reportedStop } from "./map-finish-reason";
import { messageStart } from "./message-start";
import { pastOutputLimit } from "./output-limit";
import { readChatUsage, type Reply, signThinking, toAnthropicUsage } from "./reply";
import { generatedCall, type HeldToolCall, settleToolCalls, type ToolUseIds } from "./settle-tool-calls";

export type UpstreamEvent =
  | { kind: "chunk"; chunk: ChatChunk }
  | { kind: "comment"; progress?: PrefillProgress } // an SSE comment (mlx_lm.server's `: keepalive N/M` during prefill) or a heartbeat
  | { kind: "done" } // `data: [DONE]`
  | { kind: "failure"; errorType: ErrorType; message: string };

export type StreamContext = ToolUseIds & {
  backend: string;
  model: string; // the name replies carry (replyModelName)
  messageId: string;
  inputTokens: number; // estimate for message_start; the backend's count arrives at the end
  stopSequences?: readonly string[]; // the request's stop_sequences
  undeclaredTools?: ReadonlyMap<string, Tool>; // see settle-tool-calls.ts
  maxTokens?: number; // the request's max_tokens: the reply ends there, whatever the backend does (output-limit.ts)
  contentAsTool?: string; // the reply's content is this tool's arguments (ReplyControls "schema")
  onReply?: (reply: Reply) => void;
};

type OpenBlock = { kind: "text" | "thinking"; index: number };

type State = {
  nextIndex: number;
  open?: OpenBlock;
  text: string;
  thinking: string;
  toolCalls: Map<number, HeldToolCall>; // by upstream index, in the order they began
  writingTool?: number; // the upstream index of the call the model was writing last
  finishReason?: string | null;
  stopReported?: unknown; // the stop string it stopped on (vLLM's `stop_reason`, llama-server's `__verbose`)
  usage?: ChatChunk["usage"];
  timings?: ChatChunk["timings"]; // llama-server's, in its last chunk
  outputChars: number; // text, thinking and tool-call arguments so far
  answered: boolean; // a choice brought something: content, a tool call, a finish reason
  failed: boolean;
  ended: boolean; // message_stop went out (the reply reached max_tokens): the rest is ignored
};

export function createStreamConverter(context: StreamContext): TransformStream<UpstreamEvent, StreamEvent> {
  return new TransformStream(streamConverter(context));
}

// The same converter as a Transformer, for a caller that drives it without stream plumbing
// (the daemon's reply stream runs it inline: one stream per reply, not one per stage).
export function streamConverter(context: StreamContext): Transformer<UpstreamEvent, StreamEvent> {
  const state: State = { nextIndex: 0, text: "", thinking: "", toolCalls: new Map(), outputChars: 0, answered: false, failed: false, ended: false };
  return {
    start(controller) {
      controller.enqueue(messageStart(context));
      controller.enqueue({ type: "ping" });
    },
    transform(event, controller) {
      if (state.failed || state.ended) return;
      const emit = (out: StreamEvent) => controller.enqueue(out);
      switch (event.kind) {
        case "chunk":
          return onChunk(state, event.chunk, context, emit);
        case "comment":
          return emit({ type: "ping" });
        case "done":
          if (state.answered) state.finishReason ??= "stop";
          return;
        case "failure":
          return fail(state, emit, event.errorType, event.message);
        default:
          return event satisfies never;
      }
    },
    flush(controller) {
      if (state.failed || state.ended) return;
      const emit = (out: StreamEvent) => controller.enqueue(out);
      // Only [DONE], or role-only deltas: not an empty reply, a backend that did not answer.
      if (!state.answered)
        return fail(state, emit, "api_error", `backend "${context.backend}" ended without a reply (no content, no tool call, no finish reason)`);
      if (state.finishReason === undefined) {
        return fail(state, emit, "api_error", `backend "${context.backend}" closed the stream before the reply was finished`);
      }
      finish(state, context, emit);
    },
  };
}

function onChunk(state: State, chunk: ChatChunk, context: StreamContext, emit: (event: StreamEvent) => void): void {
  if ("error" in chunk && chunk.error) {
    // llama.cpp and LM Studio report failures that happen mid-generation as a data chunk.
    return fail(state, emit, "api_error", `backend "${context.backend}": ${describeError(chunk.error)}`);
  }
  if (chunk.usage) state.usage = chunk.usage;
  if (chunk.timings) state.timings = chunk.timings;
  // llama-server puts `__verbose` on the first of its final chunks, beside the choice that finishes.
  state.stopReported = reportedStop({ __verbose: chunk.__verbose }) ?? state.stopReported;
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta;
    const reasoning = delta?.reasoning ?? delta?.reasoning_content;
    if (reasoning) appendThinking(state, reasoning, emit);
    if (delta?.content && context.contentAsTool) appendToolCall(state, { index: 0, function: { name: context.contentAsTool, arguments: delta.content } }, 0);
    else if (delta?.content) appendText(state, delta.content, emit);
    (delta?.tool_calls ?? []).forEach((call, position) => appendToolCall(state, call, position));
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
    state.stopReported = reportedStop(choice) ?? state.stopReported;
    if (reasoning || delta?.content || delta?.tool_calls?.length || choice.finish_reason) state.answered = true;
  }
  if (pastLimit(state, context)) {
    // A backend writing past max_tokens (it ignored the limit, or never stops): the reply ends
    // here as the limit would have ended it, and the caller stops reading the upstream.
    state.finishReason = "length";
    state.ended = true;
    finish(state, context, emit);
  }
}

function pastLimit(state: State, context: StreamContext): boolean {
  if (context.maxTokens === undefined) return false;
  return pastOutputLimit(context.maxTokens, state.outputChars, readChatUsage(state.usage).completionTokens);
}

function appendThinking(state: State, thinking: string, emit: (event: StreamEvent) => void): void {
  state.writingTool = undefined;
  if (state.open?.kind !== "thinking") openBlock(state, { kind: "thinking" }, { type: "thinking", thinking: "", signature: "" }, emit);
  state.thinking += thinking;
  state.outputChars += thinking.length;
  emit({ type: "content_block_delta", index: state.open!.index, delta: { type: "thinking_delta", thinking } });
}

function appendText(state: State, text: string, emit: (event: StreamEvent) => void): void {
  state.writingTool = undefined;
  if (state.open?.kind !== "text") openBlock(state, { kind: "text" }, { type: "text", text: "" }, emit);
  state.text += text;
  state.outputChars += text.length;
  emit({ type: "content_block_delta", index: state.open!.index, delta: { type: "text_delta", text } });
}

// LM Studio streams a call in fragments (id and name first, then argument pieces per `index`,
// parallel calls possibly interleaved); mlx_lm.server sends each call whole in one delta. Both are
// gathered here and go out in finish().
function appendToolCall(state: State, call: ToolCallDelta, position: number): void {
  const upstreamIndex = call.index ?? position;
  let tool = state.toolCalls.get(upstreamIndex);
  if (!tool) {
    tool = { id: call.id ?? "", name: "", arguments: "" }; // settleToolCalls gives one without an id its own
    state.toolCalls.set(upstreamIndex, tool);
  }
  if (call.function?.name && !tool.name) tool.name = call.function.name;
  const fragment = call.function?.arguments ?? "";
  tool.arguments += fragment;
  state.outputChars += fragment.length;
  state.writingTool = upstreamIndex;
}

type BlockStart = Extract<StreamEvent, { type: "content_block_start" }>["content_block"];

function openBlock(state: State, block: { kind: "text" | "thinking" }, start: BlockStart, emit: (event: StreamEvent) => void): void {
  closeOpenBlock(state, emit);
  const index = state.nextIndex++;
  state.open = { ...block, index };
  emit({ type: "content_block_start", index, content_block: start });
}

function closeOpenBlock(state: State, emit: (event: StreamEvent) => void): void {
  const open = state.open;
  if (!open) return;
  if (open.kind === "thinking") {
    emit({ type: "content_block_delta", index: open.index, delta: { type: "signature_delta", signature: signThinking(state.thinking) } });
  }
  emit({ type: "content_block_stop", index: open.index });
  state.open = undefined;
}

function finish(state: State, context: StreamContext, emit: (event: StreamEvent) => void): void {
  closeOpenBlock(state, emit);
  const held = [...state.toolCalls.values()];
  const writing = state.writingTool === undefined ? undefined : state.toolCalls.get(state.writingTool);
  const cutAt = state.finishReason === "length" && writing ? held.indexOf(writing) : undefined;
  const settled = settleToolCalls(held, { ...context, cutAt }); // the context holds the ids, the backend and the undeclared tools
  if (settled.notes.length > 0) emitBlock(state, { type: "text", text: "" }, { type: "text_delta", text: settled.notes.join("\n") }, emit);
  for (const call of settled.calls) {
    emitBlock(state, { type: "tool_use", id: call.id, name: call.name, input: {} }, { type: "input_json_delta", partial_json: call.clientJson }, emit);
  }
  const stopSequence = matchedStopSequence(state.stopReported, context.stopSequences);
  const stopReason = mapFinishReason(state.finishReason, { toolCalls: settled.calls.length, cutOff: settled.cutOff, stopSequence });
  const usage = toAnthropicUsage(state.usage, { input: context.inputTokens, output: estimateTokens(state.outputChars) });
  emit({ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: stopReason === "stop_sequence" ? stopSequence! : null }, usage });
  emit({ type: "message_stop" });
  context.onReply?.({
    text: state.text,
    thinking: state.thinking,
    toolCalls: settled.calls.map(generatedCall),
    stopReason,
    ...readChatUsage(state.usage),
    serverTimings: state.timings ?? undefined,
    warnings: settled.warnings,
  });
}

// A whole block at once: start, its one delta, stop.
function emitBlock(state: State, start: BlockStart, delta: StreamDelta, emit: (event: StreamEvent) => void): void {
  const index = state.nextIndex++;
  emit({ type: "content_block_start", index, content_block: start });
  emit({ type: "content_block_delta", index, delta });
  emit({ type: "content_block_stop", index });
}

function fail(state: State, emit: (event: StreamEvent) => void, errorType: ErrorType, message: string): void {
  state.failed = true;
  emit({ type: "error", error: { type: errorType, message } });
}

function describeError(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return JSON.stringify(error);
}

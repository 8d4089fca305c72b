// mlx_lm.server's streamed reply, byte for byte in shape: stream headers as soon as the prompt is
// tokenized, `: keepalive N/M` comments while the uncached part of the prompt is prefilled, then
// `data:` chunks (Python's json.dumps spacing, "role" in every delta), the whole tool calls, a
// last chunk with finish_reason, the usage chunk when asked for, `data: [DONE]`, and the
// connection closes: there is no other end-of-body marker.
import type { Completion, EmulatedToolCall } from "./emulate-completion";
import { streamPieces } from "./encode-tokens";
import type { RawResponder } from "./http1-socket";
import { pythonJsonDumps } from "./python-json";

export type MlxStreamContext = {
  id: string;
  model: string; // the name the request asked for, echoed
  created: number;
  fingerprint: string;
  // stream_options.include_usage; "crash" when stream_options came without that key: the server
  // reads it with [] and the KeyError ends the connection right after the last chunk.
  usage: boolean | "crash";
  keepalives: boolean | number; // false: none; a number: at least that many comments
  prefillTokensPerSecond: number;
  prefillStepSize: number;
  decodeDelayMs: number;
  breakAfterChunks?: number; // a fault: the connection drops after this many data chunks
};

export const STREAM_HEADERS = {
  "Content-type": "text/event-stream",
  "Cache-Control": "no-cache",
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "*",
  "Access-Control-Allow-Headers": "*",
};

// Resolves true when the whole reply went out (the server then caches it).
export async function writeMlxLmStream(respond: RawResponder, completion: Completion, context: MlxStreamContext): Promise<boolean> {
  respond.head(200, STREAM_HEADERS);
  await prefill(respond, completion.promptTokens - completion.cachedTokens, context);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
    `data: ${pythonJsonDumps({ id: context.id, system_fingerprint: context.fingerprint, object: "chat.completion.chunk", model: context.model, created: context.created, choices: [{ index: 0, finish_reason: finishReason, delta: { role: "assistant", ...delta } }] }, { ensureAscii: true })}\n\n`;
  const chunks = [
    ...streamPieces(completion.reasoning).map((reasoning) => chunk({ reasoning }, null)),
    ...streamPieces(completion.text).map((content) => chunk({ content }, null)),
    // Each call goes out whole once its closing tag is generated, in a delta of its own.
    ...completion.toolCalls.map((call, index) => chunk({ tool_calls: [formatToolCall(call, index)] }, null)),
    chunk({}, completion.finishReason),
  ];
  if (context.usage === true) {
    const usage = {
      id: context.id,
      system_fingerprint: context.fingerprint,
      object: "chat.completion",
      model: context.model,
      created: context.created,
      choices: [],
      usage: usageOf(completion),
    };
    chunks.push(`data: ${pythonJsonDumps(usage, { ensureAscii: true })}\n\n`);
  }
  if (context.usage !== "crash") chunks.push("data: [DONE]\n\n");
  for (const [index, text] of chunks.entries()) {
    if (index === context.breakAfterChunks || respond.closed) {
      respond.destroy();
      return false;
    }
    respond.write(text);
    if (context.decodeDelayMs) await Bun.sleep(context.decodeDelayMs);
  }
  respond.end();
  return context.usage !== "crash";
}

// The progress callback fires after each prefill step of `prefillStepSize` tokens (the last
// token is held back for generation) and once more at the end; the server writes each call as a
// comment. Even a fully cached prompt computes its last token: at least "1/1".
async function prefill(respond: RawResponder, uncached: number, context: MlxStreamContext): Promise<void> {
  if (context.keepalives === false) return;
  const total = Math.max(1, uncached);
  const minimum = typeof context.keepalives === "number" ? context.keepalives : 1;
  // A number asks for at least that many comments: smaller steps, as a slower machine would show.
  const step = Math.max(1, Math.min(context.prefillStepSize, Math.ceil((total - 1) / Math.max(1, minimum - 1))));
  const marks: number[] = [];
  for (let processed = 0; total - processed > 1; ) marks.push((processed += Math.min(step, total - 1 - processed)));
  marks.push(total);
  let done = 0;
  for (const processed of marks) {
    const seconds = (processed - done) / context.prefillTokensPerSecond;
    if (seconds > 0 && Number.isFinite(seconds)) await Bun.sleep(seconds * 1000);
    done = processed;
    respond.write(`: keepalive ${processed}/${total}\n\n`);
  }
}

// ToolCallFormatter._format: the parsed call re-dumped, arguments as a JSON string (Python spacing).
export function formatToolCall(call: EmulatedToolCall, index?: number): Record<string, unknown> {
  const formatted: Record<string, unknown> = { function: { name: call.name, arguments: call.arguments }, type: "function", id: call.id };
  if (index !== undefined) formatted.index = index;
  return formatted;
}

export function usageOf(completion: Completion) {
  return {
    prompt_tokens: completion.promptTokens,
    completion_tokens: completion.completionTokens,
    total_tokens: completion.promptTokens + completion.completionTokens,
    prompt_tokens_details: { cached_tokens: completion.cachedTokens },
  };
}

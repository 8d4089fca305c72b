// A non-streaming chat completion -> an Anthropic message, and the Reply behind it.
import type { MessagesResponse, ResponseBlock } from "../protocol/anthropic";
import type { ChatCompletion } from "../protocol/openai";
import { estimateTokens } from "./estimate-tokens";
import { mapFinishReason } from "./map-finish-reason";
import { parseToolInput, type Reply, signThinking, toAnthropicUsage } from "./reply";

export type CompletionContext = {
  model: string;
  messageId: string;
  inputTokens: number;
  toolUseId: (upstreamIndex: number) => string;
};

export function convertFromOpenAICompletion(completion: ChatCompletion, context: CompletionContext): { message: MessagesResponse; reply: Reply } {
  const choice = completion.choices[0]!;
  const { message: delta } = choice;
  const thinking = delta.reasoning ?? delta.reasoning_content ?? "";
  const text = delta.content ?? "";
  const toolCalls = (delta.tool_calls ?? []).map((call, position) => ({
    id: call.id || context.toolUseId(call.index ?? position),
    name: call.function?.name ?? "",
    arguments: call.function?.arguments ?? "",
  }));
  const content: ResponseBlock[] = [];
  if (thinking) content.push({ type: "thinking", thinking, signature: signThinking(thinking) });
  if (text) content.push({ type: "text", text });
  for (const call of toolCalls) content.push({ type: "tool_use", id: call.id, name: call.name, input: parseToolInput(call.arguments) });

  const stopReason = mapFinishReason(choice.finish_reason, toolCalls.length > 0);
  const outputChars = text.length + thinking.length + toolCalls.reduce((sum, call) => sum + call.arguments.length, 0);
  const usage = toAnthropicUsage(completion.usage, { input: context.inputTokens, output: estimateTokens(outputChars) });
  const message: MessagesResponse = {
    id: context.messageId,
    type: "message",
    role: "assistant",
    model: context.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage,
  };
  const reply: Reply = {
    text,
    thinking,
    toolCalls,
    stopReason,
    promptTokens: completion.usage?.prompt_tokens ?? undefined,
    cachedTokens: completion.usage?.prompt_tokens_details?.cached_tokens ?? undefined,
    completionTokens: completion.usage?.completion_tokens ?? undefined,
    serverTimings: completion.timings ?? undefined,
  };
  return { message, reply };
}

// A non-streaming chat completion -> an Anthropic message, and the Reply behind it.
import type { MessagesResponse, ResponseBlock, Tool } from "../protocol/anthropic";
import type { ChatCompletion } from "../protocol/openai";
import { estimateTokens } from "./estimate-tokens";
import { mapFinishReason, matchedStopSequence, reportedStop } from "./map-finish-reason";
import { readChatUsage, type Reply, signThinking, toAnthropicUsage } from "./reply";
import { generatedCall, settleToolCalls, type ToolUseIds } from "./settle-tool-calls";

export type CompletionContext = ToolUseIds & {
  model: string;
  messageId: string;
  inputTokens: number;
  backend: string;
  stopSequences?: readonly string[]; // the request's stop_sequences
  undeclaredTools?: ReadonlyMap<string, Tool>; // see settle-tool-calls.ts
  contentAsTool?: string; // the reply's content is this tool's arguments (ReplyControls "schema")
};

export function convertFromOpenAICompletion(completion: ChatCompletion, context: CompletionContext): { message: MessagesResponse; reply: Reply } {
  const choice = completion.choices[0]!;
  const { message: delta } = choice;
  const thinking = delta.reasoning ?? delta.reasoning_content ?? "";
  // A call without an id of its own gets ours as it settles (settle-tool-calls.ts).
  const asTool = context.contentAsTool && delta.content ? [{ id: "", name: context.contentAsTool, arguments: delta.content }] : [];
  const text = asTool.length > 0 ? "" : (delta.content ?? "");
  const held = [
    ...asTool,
    ...(delta.tool_calls ?? []).map((call) => ({
      id: call.id ?? "",
      name: call.function?.name ?? "",
      arguments: call.function?.arguments ?? "",
    })),
  ];
  // Servers parse tool calls out of the end of the generated text: with finish_reason "length",
  // the last one is the call the model was writing when the limit struck.
  const cutAt = choice.finish_reason === "length" && held.length > 0 ? held.length - 1 : undefined;
  const settled = settleToolCalls(held, { ...context, cutAt }); // the context holds the ids, the backend and the undeclared tools
  const content: ResponseBlock[] = [];
  if (thinking) content.push({ type: "thinking", thinking, signature: signThinking(thinking) });
  if (text) content.push({ type: "text", text });
  if (settled.notes.length > 0) content.push({ type: "text", text: settled.notes.join("\n") });
  for (const call of settled.calls) content.push({ type: "tool_use", id: call.id, name: call.name, input: call.input });

  const stopSequence = matchedStopSequence(reportedStop(choice) ?? reportedStop({ __verbose: completion.__verbose }), context.stopSequences);
  const stopReason = mapFinishReason(choice.finish_reason, { toolCalls: settled.calls.length, cutOff: settled.cutOff, stopSequence });
  const outputChars = text.length + thinking.length + held.reduce((sum, call) => sum + call.arguments.length, 0);
  const usage = toAnthropicUsage(completion.usage, { input: context.inputTokens, output: estimateTokens(outputChars) });
  const message: MessagesResponse = {
    id: context.messageId,
    type: "message",
    role: "assistant",
    model: context.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === "stop_sequence" ? stopSequence! : null,
    usage,
  };
  const reply: Reply = {
    text,
    thinking,
    toolCalls: settled.calls.map(generatedCall),
    stopReason,
    ...readChatUsage(completion.usage),
    serverTimings: completion.timings ?? undefined,
    warnings: settled.warnings,
  };
  return { message, reply };
}

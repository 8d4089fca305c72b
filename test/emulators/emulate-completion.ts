// What both emulated servers do with a chat request: render the prompt with the chat template,
// look it up in the prompt cache, let the scripted model answer, cut the answer at max_tokens,
// and, once the reply is out, remember prompt + answer in the cache. Only the wire format
// differs between servers.
import { PromptCache } from "./prompt-cache";
import { END_OF_TURN, renderAssistantBody, renderChatTemplate, renderGeneratedReply, THINK_START, type TemplateMessage } from "./render-chat-template";
import type { ChatBody, Respond, ScriptedReply } from "./scripted-model";
import { tokenize } from "./tokenize";

export type EmulatedToolCall = { id: string; name: string; arguments: string };

export type Completion = {
  promptText: string;
  generatedText: string; // what the model generated: reasoning, the turn as the template renders it, end-of-turn
  promptTokens: number;
  cachedTokens: number;
  reasoning: string;
  text: string;
  toolCalls: EmulatedToolCall[];
  completionTokens: number;
  finishReason: "stop" | "length" | "tool_calls";
  // The server computed the reply: its cache now holds prompt + reply. Not called when the
  // server "crashed" before finishing (a broken stream, a dropped connection).
  commit(): void;
};

export type EngineOptions = {
  cache: PromptCache;
  respond: Respond;
  maxTokens: number;
  // How the server hands assistant tool-call arguments to the template (mlx-lm parses and
  // re-dumps them; LM Studio passes the string through).
  templateArguments: (args: string) => string;
  nextId: () => string;
  contextLength?: number;
};

export class ContextOverflow extends Error {
  constructor(
    readonly promptTokens: number,
    readonly contextLength: number,
  ) {
    super(`prompt of ${promptTokens} tokens exceeds the context length of ${contextLength}`);
  }
}

export function emulateCompletion(body: ChatBody, options: EngineOptions): Completion {
  const messages = body.messages.map((message) => withTemplateArguments(message, options.templateArguments));
  const tools = body.tools?.length ? body.tools : undefined;
  const promptText = renderChatTemplate(messages, tools, { addGenerationPrompt: true });
  const promptTokens = tokenize(promptText);
  if (options.contextLength && promptTokens.length > options.contextLength) throw new ContextOverflow(promptTokens.length, options.contextLength);
  const cachedTokens = options.cache.lookup(promptTokens);
  // The turn as the model wrote it, arguments included: the template renders a replay of it from
  // what the client sends back, which may differ (re-serialized arguments, trimmed text).
  const renderBody = (text: string, calls: ScriptedReply["toolCalls"] = []) => renderAssistantBody(text, calls.map((call) => ({ function: call })));
  const reply = truncate(options.respond(body), options.maxTokens, renderBody);
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({ id: options.nextId(), ...call }));
  const finishReason = reply.finishReason ?? (toolCalls.length ? "tool_calls" : "stop");
  const turn = reply.cutBody ?? renderBody(reply.text ?? "", reply.toolCalls);
  // The model ends its turn with the end-of-turn token and the server caches it with the rest:
  // the next prompt, replaying the turn exactly, extends that entry.
  const stopped = finishReason !== "length";
  const generated = reply.cutInReasoning ? THINK_START + (reply.reasoning ?? "") : renderGeneratedReply(reply.reasoning ?? "", turn);
  const generatedText = generated + (stopped ? END_OF_TURN : "");
  return {
    promptText,
    generatedText,
    promptTokens: promptTokens.length,
    cachedTokens,
    reasoning: reply.reasoning ?? "",
    text: reply.text ?? "",
    toolCalls,
    // What max_tokens limits: reasoning and turn (the think markers are special tokens, left out
    // here), plus the stop token, which mlx-lm counts as generated.
    completionTokens: tokenize(reply.reasoning ?? "").length + tokenize(reply.cutInReasoning ? "" : turn).length + (stopped ? 1 : 0),
    finishReason,
    commit: () => options.cache.store(tokenize(promptText + generatedText), promptTokens),
  };
}

function withTemplateArguments(message: TemplateMessage, templateArguments: (args: string) => string): TemplateMessage {
  if (!message.tool_calls) return message;
  return { ...message, tool_calls: message.tool_calls.map((call) => ({ ...call, function: { ...call.function, arguments: templateArguments(call.function.arguments) } })) };
}

// A reply longer than max_tokens stops there. Reasoning comes first and counts too; a tool call
// cut off is unfinished, so the server drops it (its parser cannot read half a call), though the
// model did generate its first tokens: `cutBody` is what it generated of the turn.
function truncate(reply: ScriptedReply, maxTokens: number, renderBody: (text: string, calls: ScriptedReply["toolCalls"]) => string): ScriptedReply & { cutBody?: string; cutInReasoning?: boolean } {
  const reasoning = tokenize(reply.reasoning ?? "");
  if (reasoning.length >= maxTokens && (reply.reasoning || maxTokens === 0)) {
    return { reasoning: reasoning.slice(0, maxTokens).join(""), text: "", finishReason: "length", cutBody: "", cutInReasoning: Boolean(reply.reasoning) };
  }
  const room = maxTokens - reasoning.length;
  const bodyTokens = tokenize(renderBody(reply.text ?? "", reply.toolCalls));
  if (bodyTokens.length <= room) return reply;
  const cutBody = bodyTokens.slice(0, room).join("");
  const text = reply.text ?? "";
  return { reasoning: reply.reasoning, text: cutBody.length <= text.length ? cutBody : text, finishReason: "length", cutBody };
}

// Splits generated text into the small deltas a server streams.
export function streamPieces(text: string, tokensPerPiece = 3): string[] {
  const tokens = tokenize(text);
  const pieces: string[] = [];
  for (let index = 0; index < tokens.length; index += tokensPerPiece) pieces.push(tokens.slice(index, index + tokensPerPiece).join(""));
  return pieces;
}

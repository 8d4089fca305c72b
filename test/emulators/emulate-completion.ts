// What both emulated servers do with a chat request: render the prompt with the chat template,
// look it up in the prompt cache, let the scripted model answer, cut the answer at max_tokens,
// and remember prompt + answer in the cache. Only the wire format differs between servers.
import { PromptCache } from "./prompt-cache";
import { END_OF_TURN, renderAssistantBody, renderChatTemplate, type TemplateMessage } from "./render-chat-template";
import type { ChatBody, Respond, ScriptedReply } from "./scripted-model";
import { tokenize } from "./tokenize";

export type EmulatedToolCall = { id: string; name: string; arguments: string };

export type Completion = {
  promptText: string;
  generatedText: string; // the reply as the template renders it next turn, with its end-of-turn token
  promptTokens: number;
  cachedTokens: number;
  reasoning: string;
  text: string;
  toolCalls: EmulatedToolCall[];
  completionTokens: number;
  finishReason: "stop" | "length" | "tool_calls";
};

export type EngineOptions = {
  cache: PromptCache;
  respond: Respond;
  defaultMaxTokens: number;
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
  const reply = truncate(options.respond(body), body.max_tokens ?? options.defaultMaxTokens);
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({ id: options.nextId(), ...call }));
  const generated = renderAssistantBody(reply.text ?? "", toolCalls.map((call) => ({ function: { name: call.name, arguments: options.templateArguments(call.arguments) } })));
  // The model ends its turn with the end-of-turn token, and the server caches it with the rest:
  // the next prompt, replaying the turn, then extends the entry exactly and replaces it.
  options.cache.store(tokenize(promptText + generated + (reply.finishReason === "length" ? "" : END_OF_TURN)));
  return {
    promptText,
    generatedText: generated + (reply.finishReason === "length" ? "" : END_OF_TURN),
    promptTokens: promptTokens.length,
    cachedTokens,
    reasoning: reply.reasoning ?? "",
    text: reply.text ?? "",
    toolCalls,
    completionTokens: tokenize(generated).length + tokenize(reply.reasoning ?? "").length,
    finishReason: reply.finishReason ?? (toolCalls.length ? "tool_calls" : "stop"),
  };
}

function withTemplateArguments(message: TemplateMessage, templateArguments: (args: string) => string): TemplateMessage {
  if (!message.tool_calls) return message;
  return { ...message, tool_calls: message.tool_calls.map((call) => ({ ...call, function: { ...call.function, arguments: templateArguments(call.function.arguments) } })) };
}

// A reply longer than max_tokens stops there, its tool calls unfinished (so dropped).
function truncate(reply: ScriptedReply, maxTokens: number): ScriptedReply {
  const tokens = tokenize(reply.text ?? "");
  if (tokens.length <= maxTokens) return reply;
  return { reasoning: reply.reasoning, text: tokens.slice(0, maxTokens).join(""), finishReason: "length" };
}

// Splits generated text into the small deltas a server streams.
export function streamPieces(text: string, tokensPerPiece = 3): string[] {
  const tokens = tokenize(text);
  const pieces: string[] = [];
  for (let index = 0; index < tokens.length; index += tokensPerPiece) pieces.push(tokens.slice(index, index + tokensPerPiece).join(""));
  return pieces;
}

// What both emulated servers do with a chat request: render the prompt with the model's chat
// template, look it up in the prompt cache, let the scripted model answer, cut the answer at
// max_tokens, and, once the reply is out, remember prompt + answer in the cache. Only the wire
// format differs between servers.
import { decodeTokens, encodeTokens } from "./encode-tokens";
import type { PromptCache } from "./prompt-cache";
import { renderChatTemplate, templateNeedsObjectArguments, type ChatTemplateName, type TemplateMessage } from "./render-chat-template";
import type { ChatBody, Respond, ScriptedReply } from "./scripted-model";

export type EmulatedToolCall = { id: string; name: string; arguments: string };

export type Completion = {
  promptText: string;
  generatedText: string; // what the model generated: its turn as the template renders it, end-of-turn included
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
  template: ChatTemplateName;
  // What the server hands the template as an assistant tool call's `arguments`, from the string
  // the client sent (mlx-lm json.loads it; see each server for its choice).
  templateArguments: (args: string) => string | Record<string, unknown>;
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

const END_OF_TURN = "<|im_end|>";

export function emulateCompletion(body: ChatBody, options: EngineOptions): Completion {
  const messages = body.messages.map((message) => withTemplateArguments(message, options.templateArguments));
  const tools = body.tools?.length ? body.tools : undefined;
  const promptText = renderChatTemplate(options.template, messages, tools, { addGenerationPrompt: true });
  const promptTokens = encodeTokens(promptText);
  if (options.contextLength && promptTokens.length > options.contextLength) throw new ContextOverflow(promptTokens.length, options.contextLength);
  const cachedTokens = options.cache.lookup(promptTokens);
  const reply = options.respond(body);
  const full = generatedTurn(options.template, messages, tools, promptText, reply);
  const cut = cutAt(full, reply, options.maxTokens);
  const toolCalls = cut.toolCalls.map((call) => ({ id: options.nextId(), ...call }));
  const finishReason = cut.generated.length < full.length ? "length" : (reply.finishReason ?? (toolCalls.length ? "tool_calls" : "stop"));
  const generatedIds = encodeTokens(cut.generated);
  return {
    promptText,
    generatedText: cut.generated,
    promptTokens: promptTokens.length,
    cachedTokens,
    reasoning: cut.reasoning,
    text: cut.text,
    toolCalls,
    completionTokens: generatedIds.length, // think markers and the end-of-turn token count, as on a server
    finishReason,
    commit: () => options.cache.store([...promptTokens, ...generatedIds], promptTokens),
  };
}

// What the model generated: the conversation with its reply appended, rendered by the same
// template, less the prompt, up to the end-of-turn token (the newline the template puts after
// it is the next prompt's). The reply carries its reasoning and its arguments as the model wrote
// them, so this is what the template renders of a byte-exact replay while the reply is after the
// last user message (reasoning included where the template keeps it there).
export function generatedTurn(
  name: ChatTemplateName,
  messages: TemplateMessage[],
  tools: unknown[] | undefined,
  promptText: string,
  reply: ScriptedReply,
): string {
  const asWritten = (args: string) => (templateNeedsObjectArguments(name) ? (JSON.parse(args) as Record<string, unknown>) : args);
  const turn: TemplateMessage = {
    role: "assistant",
    content: reply.text ?? "",
    ...(reply.reasoning ? { reasoning_content: reply.reasoning } : {}),
    ...(reply.toolCalls?.length
      ? { tool_calls: reply.toolCalls.map((call) => ({ type: "function", function: { name: call.name, arguments: asWritten(call.arguments) } })) }
      : {}),
  };
  const rendered = renderChatTemplate(name, [...messages, turn], tools, { addGenerationPrompt: false });
  if (!rendered.startsWith(promptText)) throw new Error(`the ${name} template renders the reply in a way that does not extend its prompt`);
  const generated = rendered.slice(promptText.length);
  return generated.endsWith(`${END_OF_TURN}\n`) ? generated.slice(0, -1) : generated;
}

// A reply longer than max_tokens stops there: the reasoning and text generated so far go out,
// a tool call not finished is dropped (the server's parser cannot read half a call).
function cutAt(
  generated: string,
  reply: ScriptedReply,
  maxTokens: number,
): { generated: string; reasoning: string; text: string; toolCalls: ScriptedReply["toolCalls"] & {} } {
  const whole = { generated, reasoning: reply.reasoning ?? "", text: reply.text ?? "", toolCalls: reply.toolCalls ?? [] };
  const ids = encodeTokens(generated);
  if (!(ids.length > maxTokens)) return whole;
  const kept = decodeTokens(ids.slice(0, Math.max(0, maxTokens))).replace(/\uFFFD+$/, "");
  const visible = (part: string, from: number) => {
    const at = part ? generated.indexOf(part, from) : -1;
    return { text: at < 0 ? "" : part.slice(0, Math.max(0, kept.length - at)), end: at < 0 ? from : at + part.length };
  };
  const reasoning = visible(whole.reasoning, 0);
  const text = visible(whole.text.trim(), reasoning.end);
  const lastCallEnd = generated.lastIndexOf("</tool_call>");
  return {
    generated: kept,
    reasoning: reasoning.text,
    text: text.text,
    toolCalls: lastCallEnd >= 0 && kept.length >= lastCallEnd + "</tool_call>".length ? whole.toolCalls : [],
  };
}

function withTemplateArguments(message: TemplateMessage, templateArguments: EngineOptions["templateArguments"]): TemplateMessage {
  if (!message.tool_calls) return message;
  return {
    ...message,
    tool_calls: message.tool_calls.map((call) => ({
      ...call,
      function: {
        ...call.function,
        arguments: typeof call.function.arguments === "string" ? templateArguments(call.function.arguments) : call.function.arguments,
      },
    })),
  };
}

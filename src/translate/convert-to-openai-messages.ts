// Anthropic system + messages -> OpenAI chat messages, deterministically, so that the prompt of
// turn n+1 starts with the prompt of turn n: nothing is hoisted, reordered, timestamped or re-keyed.
import type { ContentBlock, ImageBlock, LocalRequest, Message, ToolResultBlock } from "../protocol/anthropic";
import type { ChatMessage, ContentPart, ToolCall } from "../protocol/openai";
import { assertNever } from "../assert-never";
import { IMAGE_LEFT_OUT } from "./leave-out-images";
import { layOutPrompt, requestIndex } from "./system-prompt";
import { TranslationError } from "./translation-error";

// Exact bytes of what the backend generated, for turns anyclaude relayed (see ReplayMemory).
// `toolArguments`: the model's bytes for a call, while `input` (the client's) is what it was handed.
export type ReplayLookup = {
  toolArguments(toolUseId: string, input: unknown): string | undefined;
  text(text: string): string | undefined;
};

// The conversation's translation, the part an earlier request of it already had kept by the caller
// (src/server/conversation-translations.ts), the rest from `translate`: the message at an index,
// asking the replay lookup it is given, so the caller can tell whether the answers changed since.
export type ReuseConversation = (messages: Message[], translate: (index: number, replay: ReplayLookup | undefined) => ChatMessage[]) => ChatMessage[];

export type MessageOptions = { images: boolean; backend: string; replay?: ReplayLookup; contentKeepsSeparators?: boolean; reuse?: ReuseConversation };

export function convertToOpenAIMessages(system: LocalRequest["system"], messages: Message[], options: MessageOptions): ChatMessage[] {
  const layout = layOutPrompt(system, messages);
  const out: ChatMessage[] = layout.systemText ? [{ role: "system", content: layout.systemText }] : [];
  const translate = (index: number, replay: ReplayLookup | undefined) =>
    convertMessage(layout.messages[index]!, `messages[${requestIndex(layout, index)}]`, { ...options, replay });
  if (options.reuse) return [...out, ...options.reuse(layout.messages, translate)];
  layout.messages.forEach((_, index) => out.push(...translate(index, options.replay)));
  return out;
}

function convertMessage(message: Message, field: string, options: MessageOptions): ChatMessage[] {
  const blocks: ContentBlock[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
  switch (message.role) {
    case "assistant":
      return [convertAssistant(blocks, options)];
    case "user":
      return convertUser(blocks, field, options);
    case "system":
      // Chat templates such as Qwen's reject a system message that is not first, and hoisting it
      // to the top would change the prefix every turn: it becomes user text where it stands.
      return convertUser(blocks, field, options);
    default:
      return assertNever(message.role);
  }
}

// The turn as the model generated it, for the chat template to render back token for token.
// Its reasoning goes along as `reasoning_content`: templates render it where they keep reasoning
// (Qwen3 and Qwen3.5: the turns after the last user message, i.e. the steps of a tool loop; all
// turns with a flag such as preserve_thinking) and drop it elsewhere, as they would anyway.
function convertAssistant(blocks: ContentBlock[], { replay, contentKeepsSeparators }: MessageOptions): ChatMessage {
  const texts: string[] = [];
  const thoughts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (block.type === "text") texts.push(block.text);
    if (block.type === "thinking") thoughts.push(block.thinking);
    if (block.type === "tool_use") {
      const args = replay?.toolArguments(block.id, block.input) ?? JSON.stringify(block.input);
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: args } });
    }
  }
  const joined = texts.join("\n\n");
  const reasoning = thoughts.join("");
  const generated = replay?.text(joined) ?? joined;
  const content = contentKeepsSeparators ? withoutTemplateSeparators(generated, reasoning !== "", toolCalls.length > 0) : generated;
  return {
    role: "assistant",
    content,
    ...(reasoning ? { reasoning_content: reasoning } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

// mlx_lm.server returns the text between the markers with the newlines the model wrote around
// them ("\n\n" after </think>, "\n" before <tool_call>). Templates write those separators
// themselves: Qwen3's renders "</think>\n\n" + content.lstrip("\n"), and "\n<tool_call>" after
// any non-empty content, whitespace or not. Left in, they change the tokens.
function withoutTemplateSeparators(content: string, afterReasoning: boolean, beforeToolCall: boolean): string {
  const out = afterReasoning ? content.replace(/^\n+/, "") : content;
  return beforeToolCall ? out.replace(/\n$/, "") : out;
}

// Tool results become `tool` messages right after the assistant turn that called them (OpenAI
// requires that order); the rest of the user turn follows as one user message.
function convertUser(blocks: ContentBlock[], field: string, options: MessageOptions): ChatMessage[] {
  const out: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((block, index) => {
    const at = `${field}.content[${index}]`;
    switch (block.type) {
      case "tool_result":
        out.push({ role: "tool", tool_call_id: block.tool_use_id, content: toolResultText(block) });
        parts.push(...toolResultImages(block, options));
        return;
      case "text":
        parts.push({ type: "text", text: block.text });
        return;
      case "image":
        parts.push(imagePart(block, options));
        return;
      case "thinking":
      case "redacted_thinking":
      case "tool_use":
        throw new TranslationError(`${at}.type`, `a "${block.type}" block belongs in an assistant message`);
      default:
        return assertNever(block);
    }
  });
  if (parts.length > 0) out.push({ role: "user", content: userContent(parts) });
  return out;
}

// A plain string whenever there is no image: every server and chat template takes that form.
function userContent(parts: ContentPart[]): string | ContentPart[] {
  if (parts.some((part) => part.type !== "text")) return parts;
  return parts.map((part) => (part.type === "text" ? part.text : "")).join("\n\n");
}

function toolResultText(block: ToolResultBlock): string {
  const content = block.content ?? "";
  const text = typeof content === "string" ? content : content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n\n");
  return block.is_error ? `Error: ${text}` : text;
}

function toolResultImages(block: ToolResultBlock, options: MessageOptions): ContentPart[] {
  if (typeof block.content !== "object") return [];
  return block.content.flatMap((part) => (part.type === "image" ? [imagePart(part, options)] : []));
}

function imagePart(block: ImageBlock, options: MessageOptions): ContentPart {
  if (!options.images) return { type: "text", text: IMAGE_LEFT_OUT };
  const { source } = block;
  const url = source.type === "base64" ? `data:${source.media_type};base64,${source.data}` : source.url;
  return { type: "image_url", image_url: { url } };
}

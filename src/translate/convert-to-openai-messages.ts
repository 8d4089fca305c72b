// Anthropic system + messages -> OpenAI chat messages, deterministically, so that the prompt of
// turn n+1 starts with the prompt of turn n: nothing is hoisted, reordered, timestamped or re-keyed.
import type { ContentBlock, DocumentBlock, ImageBlock, Message, MessagesRequest, ToolResultBlock } from "../protocol/anthropic";
import type { ChatMessage, ContentPart, ToolCall } from "../protocol/openai";
import { assertNever } from "../assert-never";
import { TranslationError } from "./translation-error";

// Exact bytes of what the backend generated, for turns anyclaude relayed (see ReplayMemory).
export type ReplayLookup = {
  toolArguments(toolUseId: string): string | undefined;
  text(text: string): string | undefined;
};

export type MessageOptions = { images: boolean; backend: string; replay?: ReplayLookup; contentKeepsSeparators?: boolean };

export function convertToOpenAIMessages(
  system: MessagesRequest["system"],
  messages: Message[],
  options: MessageOptions,
): ChatMessage[] {
  const context = sessionContext(messages);
  const systemText = [typeof system === "string" ? system : (system ?? []).map((block) => block.text).join("\n\n"), ...context.map(messageText)].filter(Boolean).join("\n\n");
  const out: ChatMessage[] = systemText ? [{ role: "system", content: systemText }] : [];
  messages.forEach((message, index) => {
    if (!context.includes(message)) out.push(...convertMessage(message, `messages[${index}]`, options));
  });
  return out;
}

// The system messages Claude Code sends right after a conversation's first user message, before
// any reply (2.1.197: its agent list, ~1.3k tokens). They are the same for every session of a
// project, but sent after the question they would be computed anew by every new session, and
// miss a prewarmed prefix. They join the system prompt instead: every request of a conversation
// begins with the same first messages, so its prompt stays an extension of the previous one.
function sessionContext(messages: Message[]): Message[] {
  if (messages[0]?.role !== "user") return [];
  const context: Message[] = [];
  for (const message of messages.slice(1)) {
    if (message.role !== "system" || !isText(message)) break;
    context.push(message);
  }
  return context;
}

function isText(message: Message): boolean {
  return typeof message.content === "string" || message.content.every((block) => block.type === "text");
}

function messageText(message: Message): string {
  return typeof message.content === "string" ? message.content : message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n\n");
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
      const args = replay?.toolArguments(block.id) ?? JSON.stringify(block.input);
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
        out.push({ role: "tool", tool_call_id: block.tool_use_id, content: toolResultText(block, at, options) });
        parts.push(...toolResultImages(block, at, options));
        return;
      case "text":
        parts.push({ type: "text", text: block.text });
        return;
      case "image":
        parts.push(imagePart(block, at, options));
        return;
      case "document":
        parts.push({ type: "text", text: documentText(block, at, options.backend) });
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

function toolResultText(block: ToolResultBlock, field: string, options: MessageOptions): string {
  const content = block.content ?? "";
  const text =
    typeof content === "string"
      ? content
      : content
          .flatMap((part, index) => {
            if (part.type === "text") return [part.text];
            if (part.type === "document") return [documentText(part, `${field}.content[${index}]`, options.backend)];
            return [];
          })
          .join("\n\n");
  return block.is_error ? `Error: ${text}` : text;
}

function toolResultImages(block: ToolResultBlock, field: string, options: MessageOptions): ContentPart[] {
  if (typeof block.content !== "object") return [];
  return block.content.flatMap((part, index) =>
    part.type === "image" ? [imagePart(part, `${field}.content[${index}]`, options)] : [],
  );
}

function imagePart(block: ImageBlock, field: string, options: MessageOptions): ContentPart {
  if (!options.images) {
    throw new TranslationError(field, `backend "${options.backend}" does not take images (set "images": true in its config if its model does)`);
  }
  const { source } = block;
  const url = source.type === "base64" ? `data:${source.media_type};base64,${source.data}` : source.url;
  return { type: "image_url", image_url: { url } };
}

function documentText(block: DocumentBlock, field: string, backend: string): string {
  const { source } = block;
  const title = block.title ? `${block.title}\n\n` : "";
  switch (source.type) {
    case "text":
      return title + source.data;
    case "content":
      return title + (typeof source.content === "string" ? source.content : source.content.map((part) => part.text ?? "").join("\n\n"));
    case "base64":
      if (source.media_type.startsWith("text/")) return title + Buffer.from(source.data, "base64").toString("utf8");
      throw new TranslationError(field, `a ${source.media_type} document cannot be sent to backend "${backend}"; send it as text`);
    case "url":
      throw new TranslationError(field, `a document by URL cannot be sent to backend "${backend}"; send it as text`);
    default:
      return assertNever(source);
  }
}

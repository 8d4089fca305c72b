// The prompt's layout for a local backend: Claude Code's system blocks, joined, as the system
// prompt; then the system messages it sends right after a conversation's first user message,
// before any reply (2.1.197: its agent list, ~1.3k tokens; 2.1.332: its environment, the deferred
// tools and the agent list; after a compaction: today's date), moved ahead of that message; then
// the rest as sent.
// - Ahead of the question: they are the same for every session of a project, but sent after the
//   question they would be computed anew by every new session, and miss a prewarmed prefix.
// - Not in the system prompt: every chat template renders the tool list after the system text,
//   and what they say changes at a compaction (the environment before, the date after), which
//   would cost the whole tool list and all after it (measured with 2.1.337 on llama-server at
//   24k: 14,736 tokens computed, 0% cached, on the first request after a compaction). Claude Code
//   keeps its system blocks and tools byte-identical across compactions, so the head stays warm.
// Every request of a conversation lays out the same first messages the same way, so its prompt
// stays an extension of the previous one. 2.1.332 sends that system message as a list of text
// blocks on a turn's first request and as one string when the turn is replayed: both read the same.
import type { LocalRequest, Message } from "../protocol/anthropic";

// `leading`: how many messages (the session context) now come before the first one.
export type PromptLayout = { systemText: string; messages: Message[]; leading: number };

export function layOutPrompt(system: LocalRequest["system"], messages: Message[]): PromptLayout {
  const leading = sessionContextLength(messages);
  const systemText = typeof system === "string" ? system : (system ?? []).map((block) => block.text).join("\n\n");
  if (leading === 0) return { systemText, messages, leading };
  // The same message objects, reordered: a conversation's kept translation recognises them by identity.
  return { systemText, messages: [...messages.slice(1, 1 + leading), messages[0]!, ...messages.slice(1 + leading)], leading };
}

// Where the message at `index` of a layout stood in the request, for errors that name the field.
export function requestIndex(layout: Pick<PromptLayout, "leading">, index: number): number {
  if (index < layout.leading) return index + 1;
  return index === layout.leading ? 0 : index;
}

export function sessionContextLength(messages: Message[]): number {
  if (messages[0]?.role !== "user") return 0;
  let length = 0;
  while (length + 1 < messages.length && messages[length + 1]!.role === "system" && isText(messages[length + 1]!)) length++;
  return length;
}

function isText(message: Message): boolean {
  return typeof message.content === "string" || message.content.every((block) => block.type === "text");
}

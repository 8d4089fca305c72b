// The system prompt a local backend gets, and the conversation after it: Claude Code's system
// blocks, joined, and the system messages it sends right after a conversation's first user
// message, before any reply (2.1.197: its agent list, ~1.3k tokens; 2.1.332: its environment, the
// deferred tools and the agent list). Those are the same for every session of a project, but sent
// after the question they would be computed anew by every new session, and miss a prewarmed
// prefix. They join the system prompt instead: every request of a conversation begins with the
// same first messages, so its prompt stays an extension of the previous one.
// 2.1.332 sends that system message as a list of text blocks on a turn's first request and as one
// string when the turn is replayed: both read the same here.
import type { LocalRequest, Message } from "../protocol/anthropic";

// `joined`: how many messages after the first joined the system prompt (left out of `messages`).
export function splitSystemPrompt(system: LocalRequest["system"], messages: Message[]): { systemText: string; messages: Message[]; joined: number } {
  const context = sessionContext(messages);
  const systemText = [typeof system === "string" ? system : (system ?? []).map((block) => block.text).join("\n\n"), ...context.map(messageText)].filter(Boolean).join("\n\n");
  return { systemText, messages: context.length === 0 ? messages : [messages[0]!, ...messages.slice(1 + context.length)], joined: context.length };
}

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

export function messageText(message: Message): string {
  return typeof message.content === "string" ? message.content : message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n\n");
}

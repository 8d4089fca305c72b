// An image for a backend that takes none (no "images": true) becomes this text where it stood:
// refusing it would fail every later turn too, as Claude Code resends the history each turn. The
// same bytes every time, so the prompt stays a prefix of the next one. The one place that decides;
// the caller logs that it happened (handle-messages.ts).
import type { Message } from "../protocol/anthropic";

export const IMAGE_LEFT_OUT = "[image left out: this backend takes no images]";

const PLACEHOLDER = { type: "text" as const, text: IMAGE_LEFT_OUT };

// A Messages-API message with its images, and those inside tool results, as placeholders.
export function leaveOutImages(message: Message): Message {
  if (typeof message.content === "string" || !message.content.some(holdsImage)) return message;
  const content = message.content.map((block) => {
    if (block.type === "image") return PLACEHOLDER;
    if (block.type === "tool_result" && Array.isArray(block.content))
      return { ...block, content: block.content.map((part) => (part.type === "image" ? PLACEHOLDER : part)) };
    return block;
  });
  return { ...message, content } as Message;
}

function holdsImage(block: Exclude<Message["content"], string>[number]): boolean {
  return block.type === "image" || (block.type === "tool_result" && Array.isArray(block.content) && block.content.some((part) => part.type === "image"));
}

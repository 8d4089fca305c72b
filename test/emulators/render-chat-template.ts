// A reference chat template in the ChatML / Qwen style that mlx-lm and LM Studio apply to Qwen
// models. What matters for cache tests is that it behaves like the real ones:
// - tools go into the first system turn, as JSON, in the order given;
// - a system message anywhere but first is an error (Qwen's "System message must be at the beginning.");
// - an assistant tool call's `arguments` string is embedded verbatim (Qwen's template does so when
//   arguments is a string), so a re-serialized replay changes the prompt;
// - tool results are rendered inside a user turn as <tool_response>;
// - past reasoning is not rendered (see renderGeneratedReply for what that costs the cache);
// - the tools are JSON.stringify'd in the order given (real templates use Jinja's tojson, with
//   Python's spacing: the token count differs a little, the behaviour does not).
export type TemplateMessage = {
  role: string;
  content?: string | null | { type: string; text?: string }[];
  tool_calls?: { id?: string; function: { name: string; arguments: string } }[];
};

export class TemplateError extends Error {}

export const END_OF_TURN = "<|im_end|>";
export const ASSISTANT_START = "<|im_start|>assistant\n";

export function renderChatTemplate(messages: TemplateMessage[], tools: unknown[] | undefined, options: { addGenerationPrompt: boolean }): string {
  let out = "";
  const [first, ...rest] = messages;
  const leadingSystem = first?.role === "system" ? contentText(first.content) : undefined;
  if (leadingSystem !== undefined || tools?.length) out += renderSystem(leadingSystem ?? "", tools);
  const body = leadingSystem !== undefined ? rest : messages;
  body.forEach((message, index) => {
    if (message.role === "system") throw new TemplateError("System message must be at the beginning.");
    if (message.role === "tool") {
      const previousIsTool = body[index - 1]?.role === "tool";
      const nextIsTool = body[index + 1]?.role === "tool";
      out += `${previousIsTool ? "" : "<|im_start|>user"}\n<tool_response>\n${contentText(message.content)}\n</tool_response>${nextIsTool ? "" : `${END_OF_TURN}\n`}`;
      return;
    }
    if (message.role === "assistant") {
      out += `${ASSISTANT_START}${renderAssistantBody(contentText(message.content), message.tool_calls ?? [])}${END_OF_TURN}\n`;
      return;
    }
    out += `<|im_start|>${message.role}\n${contentText(message.content)}${END_OF_TURN}\n`;
  });
  return options.addGenerationPrompt ? out + ASSISTANT_START : out;
}

// What the model generated for a reply, as the server's cache holds it: the assistant turn as the
// template renders it, after the thinking the model did first. Past turns are rendered without
// their reasoning (as Qwen3 templates do for turns before the last user message), so a reply with
// reasoning is never a byte prefix of the next prompt: the cache stops at the reply's start,
// as it does on a real server.
export function renderGeneratedReply(reasoning: string, body: string): string {
  return reasoning ? `${THINK_START}${reasoning}${THINK_END}${body}` : body;
}

export const THINK_START = "<think>\n";
export const THINK_END = "\n</think>\n\n";

// How an assistant turn reads inside the template; also what the model "generates".
export function renderAssistantBody(text: string, toolCalls: { function: { name: string; arguments: string } }[]): string {
  let out = text;
  for (const call of toolCalls) {
    out += `${out ? "\n" : ""}<tool_call>\n{"name": ${JSON.stringify(call.function.name)}, "arguments": ${call.function.arguments}}\n</tool_call>`;
  }
  return out;
}

function renderSystem(system: string, tools: unknown[] | undefined): string {
  let out = `<|im_start|>system\n${system}`;
  if (tools?.length) {
    out += "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n<tools>";
    for (const tool of tools) out += `\n${JSON.stringify(tool)}`;
    out += "\n</tools>";
  }
  return `${out}${END_OF_TURN}\n`;
}

function contentText(content: TemplateMessage["content"]): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content.map((part) => (part.type === "text" ? (part.text ?? "") : "<|vision_start|><|image_pad|><|vision_end|>")).join("");
}

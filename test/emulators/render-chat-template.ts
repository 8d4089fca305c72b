// Renders a chat request into the model's prompt with a real chat template
// (test/fixtures/templates/, from llama.cpp's source) and @huggingface/jinja, the Jinja engine
// LM Studio renders with. mlx-lm renders with Python's jinja2 through transformers; the two
// agree on these templates but for details such as a boolean argument (`true` here, `True` there).
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

export type ChatTemplateName = "qwen3-coder" | "qwen3" | "qwen3.5";

type TemplateSpec = {
  file: string;
  // The template iterates `arguments` as a mapping (`arguments|items`), so it needs an object;
  // the Qwen3 one embeds a string verbatim and dumps an object with tojson.
  objectArguments: boolean;
};

const TEMPLATES: Record<ChatTemplateName, TemplateSpec> = {
  "qwen3-coder": { file: "Qwen3-Coder.jinja", objectArguments: true },
  qwen3: { file: "Qwen-Qwen3-0.6B.jinja", objectArguments: false },
  "qwen3.5": { file: "Qwen3.5-4B.jinja", objectArguments: true },
};

export function templateNeedsObjectArguments(name: ChatTemplateName): boolean {
  return TEMPLATES[name].objectArguments;
}

// What the template sees of a message: content as one string, tool-call arguments a string or an
// object (how a server hands them over is the server's choice), reasoning if the client sent it.
export type TemplateMessage = {
  role: string;
  content?: string | null | { type: string; text?: string }[];
  reasoning_content?: string;
  tool_calls?: { id?: string; type?: string; function: { name: string; arguments: string | Record<string, unknown> } }[];
};

// A template refused the conversation (its raise_exception, or an engine error on a value it
// cannot handle): the server answers with the message.
export class TemplateError extends Error {}

const compiled = new Map<ChatTemplateName, Template>();

function template(name: ChatTemplateName): Template {
  let found = compiled.get(name);
  if (!found) {
    found = new Template(readFileSync(new URL(`../fixtures/templates/${TEMPLATES[name].file}`, import.meta.url), "utf8"));
    compiled.set(name, found);
  }
  return found;
}

export function renderChatTemplate(
  name: ChatTemplateName,
  messages: TemplateMessage[],
  tools: unknown[] | undefined,
  options: { addGenerationPrompt: boolean },
): string {
  try {
    return template(name).render({
      messages: messages.map(withTextContent),
      ...(tools?.length ? { tools } : {}),
      add_generation_prompt: options.addGenerationPrompt,
      bos_token: "",
      eos_token: "<|im_end|>",
    });
  } catch (error) {
    throw new TemplateError(error instanceof Error ? error.message : String(error));
  }
}

// Both servers flatten content to a string before templating (mlx-lm's process_message_content
// joins the text parts; an image stands in as Qwen-VL's vision markers: an assumption for LM
// Studio, whose image handling is not public). A missing content is an empty string.
function withTextContent(message: TemplateMessage): TemplateMessage {
  const content = message.content;
  if (typeof content === "string") return message;
  const text = Array.isArray(content)
    ? content.map((part) => (part.type === "text" ? (part.text ?? "") : "<|vision_start|><|image_pad|><|vision_end|>")).join("")
    : "";
  return { ...message, content: text };
}

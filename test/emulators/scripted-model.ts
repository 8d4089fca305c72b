// The emulated model. Deterministic, so tests can assert on what Claude Code does with its
// replies; realistic enough to drive Claude Code through a tool loop. Tests pass their own.
import type { TemplateMessage } from "./render-chat-template";

export type ScriptedToolCall = { name: string; arguments: string };

export type ScriptedReply = {
  reasoning?: string;
  text?: string;
  toolCalls?: ScriptedToolCall[];
  finishReason?: "stop" | "length" | "tool_calls";
};

export type ChatBody = {
  model?: string;
  messages: TemplateMessage[];
  tools?: { type: string; function: { name: string } }[];
  max_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
};

export type Respond = (body: ChatBody) => ScriptedReply;

const CREATE_FILE = /create (?:a )?(?:new )?file called (\S+?) with ['"](.+?)['"]/i;
const ARITHMETIC = /what is (\d+)\s*([+\-*])\s*(\d+)/i;

export type ScriptOptions = {
  // Think before answering, as a reasoning model does (mlx-lm streams it as `reasoning`, LM
  // Studio as `reasoning_content`).
  reasoning?: boolean;
};

export function scriptedModel(options: ScriptOptions = {}): Respond {
  if (!options.reasoning) return defaultRespond;
  return (body) => {
    const reply = defaultRespond(body);
    const last = body.messages.at(-1);
    const about = last?.role === "tool" ? "the tool result" : `"${lastQuestion(body).slice(0, 60)}"`;
    return { reasoning: `The user wants me to handle ${about}. Let me think about what to do next.`, ...reply };
  };
}

export const defaultRespond: Respond = (body) => {
  const last = body.messages.at(-1);
  if (last?.role === "tool") return { text: `Done. ${textOf(last).slice(0, 60)}` };
  // Claude Code follows the question with reminders (agent and skill lists): the newest user
  // text that asks something the script knows is the question.
  const userTexts = body.messages
    .filter((message) => message.role === "user")
    .map(textOf)
    .reverse();
  const canWrite = body.tools?.some((tool) => tool.function.name === "Write") ?? false;
  for (const text of userTexts) {
    const file = canWrite ? CREATE_FILE.exec(text) : null;
    if (file) {
      const path = joinPath(workingDirectory(body.messages), file[1]!);
      // Python-style separators, as the model writes them: a JSON.stringify replay would differ.
      return { toolCalls: [{ name: "Write", arguments: `{"file_path": ${JSON.stringify(path)}, "content": ${JSON.stringify(file[2])}}` }] };
    }
    const sum = ARITHMETIC.exec(text);
    if (sum) return { text: String(arithmetic(Number(sum[1]), sum[2]!, Number(sum[3]))) };
  }
  const question = userTexts.find((text) => !text.startsWith("<system-reminder>")) ?? "";
  const words = question.replace(/\s+/g, " ").trim().split(" ").slice(-12).join(" ");
  return { text: `Here is my answer to "${words}": it depends on the details, so let me explain step by step.` };
};

function lastQuestion(body: ChatBody): string {
  const user = body.messages
    .filter((message) => message.role === "user")
    .map(textOf)
    .reverse();
  return (user.find((text) => !text.startsWith("<system-reminder>")) ?? "").replace(/\s+/g, " ").trim();
}

export function textOf(message: TemplateMessage): string {
  const content = message.content;
  if (!content) return "";
  return typeof content === "string" ? content : content.map((part) => part.text ?? "").join("\n");
}

// Claude Code states its working directory in the prompt's environment section.
function workingDirectory(messages: TemplateMessage[]): string | undefined {
  for (const message of messages) {
    const match = /working directory: (\S+)/i.exec(textOf(message));
    if (match) return match[1];
  }
  return undefined;
}

function joinPath(directory: string | undefined, name: string): string {
  return directory && !name.startsWith("/") ? `${directory.replace(/\/$/, "")}/${name}` : name;
}

function arithmetic(left: number, operator: string, right: number): number {
  return operator === "+" ? left + right : operator === "-" ? left - right : left * right;
}

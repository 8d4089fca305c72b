// The benchmark's prompt: Claude Code's shape at a chosen size (18,490 tokens, the seed's figure:
// a system prompt of ~12%, 16 tool definitions of ~68%, a project CLAUDE.md of ~19%), built
// deterministically so that every run sends the same bytes, except for a nonce at the very start
// of the system prompt: a fresh prefix that no warm cache can hide.
import type { MessagesRequest } from "../protocol/anthropic";
import { tokenize } from "./approximate-tokens";

export const SEED_PROMPT_TOKENS = 18_490;
// What a chat template adds around the system prompt and tools (role markers, the tools preamble).
const TEMPLATE_TOKENS = 200;

const TOOL_NAMES = [
  "Task",
  "Bash",
  "Glob",
  "Grep",
  "LS",
  "ExitPlanMode",
  "Read",
  "Edit",
  "MultiEdit",
  "Write",
  "NotebookEdit",
  "WebFetch",
  "TodoWrite",
  "WebSearch",
  "BashOutput",
  "KillShell",
];
const WORDS =
  "the a file path code test run read write edit tool user model line text value type list name item check build error output input change call return state cache prompt token reply server local short clear small step each when then only never always must should can use keep make find show open close start stop send next last first new old same other this that with from into over under after before about".split(
    " ",
  );
const QUESTIONS = [
  "What does this project do?",
  "Where is the config loaded?",
  "How are errors reported?",
  "What is 6*7?",
  "Summarize our conversation so far.",
];

type Tool = NonNullable<MessagesRequest["tools"]>[number];
export type BenchPrompt = { system: { type: "text"; text: string }[]; tools: Tool[] };

export function benchPrompt(tokens: number, nonce: string): BenchPrompt {
  const words = wordSource(tokens);
  const system = `Bench run ${nonce}.\nYou are an interactive coding agent that helps users with software tasks.\n${paragraphs(words, Math.round(tokens * 0.12))}`;
  const tools = TOOL_NAMES.map((name) => tool(name, words, Math.round((tokens * 0.68) / TOOL_NAMES.length)));
  const used = count(system) + tools.reduce((sum, entry) => sum + count(JSON.stringify(entry)), 0) + count(QUESTIONS[0]!);
  const claudeMd = `# CLAUDE.md\n${paragraphs(words, Math.max(0, tokens - used - TEMPLATE_TOKENS))}`;
  return {
    system: [
      { type: "text", text: system },
      { type: "text", text: claudeMd },
    ],
    tools,
  };
}

// The n-th question (1-based); past the fifth they repeat, numbered.
export function benchQuestion(n: number): string {
  const question = QUESTIONS[(n - 1) % QUESTIONS.length]!;
  return n > QUESTIONS.length ? `${question} (${n})` : question;
}

function tool(name: string, words: () => string, tokens: number): Tool {
  const parameters = ["path", "pattern", "limit"].map((key) => [key, { type: key === "limit" ? "number" : "string", description: sentence(words) }] as const);
  const schema = { type: "object", properties: Object.fromEntries(parameters), required: ["path"], additionalProperties: false };
  const room = tokens - count(JSON.stringify({ name, input_schema: schema }));
  return { name, description: `Use ${name} when the task needs it.\n${paragraphs(words, room)}`, input_schema: schema };
}

// Sentences until `tokens` are reached (a few over at most).
function paragraphs(words: () => string, tokens: number): string {
  const out: string[] = [];
  let used = 0;
  while (used < tokens) {
    const next = sentence(words);
    out.push(next);
    used += count(next) + 1;
  }
  return out.join("\n");
}

function sentence(words: () => string): string {
  const length = 8 + (words().length % 8);
  const text = Array.from({ length }, words).join(" ");
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

// A fixed pseudo-random walk over the words (mulberry32), seeded by the size.
function wordSource(seed: number): () => string {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return WORDS[((t ^ (t >>> 14)) >>> 0) % WORDS.length]!;
  };
}

// The stand-in finds more tokens in this prompt than Qwen3's tokenizer does once a Qwen chat
// template has rendered it: llama-server and the emulators (real tokenizer, real template) counted
// 17,157 for 18,490 estimated. Scaled so that the prompt the server sees is the seed's size.
const SERVED_TOKENS_PER_ESTIMATED = 17_157 / 18_490;

function count(text: string): number {
  return tokenize(text).length * SERVED_TOKENS_PER_ESTIMATED;
}

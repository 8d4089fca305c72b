// Claude Code's real system prompt and tool list, from a recorded request.
import { readFileSync } from "node:fs";
import type { MessagesRequest } from "../../src/protocol/anthropic";
import { decodeTokens, encodeTokens } from "../emulators/encode-tokens";
import { renderChatTemplate } from "../emulators/render-chat-template";

export type RecordedRequest = { method: string; path: string; headers: Record<string, string>; body: MessagesRequest };

export function recordedRequest(name: string): RecordedRequest {
  return JSON.parse(readFileSync(new URL(`../fixtures/claude-code/${name}.request.json`, import.meta.url), "utf8"));
}

// The system blocks with a billing line of our choosing (Claude Code's changes per session).
export function claudeCodeSystem(billingNonce: string): { type: "text"; text: string }[] {
  const [, ...rest] = recordedRequest("plain-question-1").body.system as { type: "text"; text: string }[];
  return [{ type: "text", text: `x-anthropic-billing-header: cc_version=2.1.197.84c; cc_entrypoint=sdk-cli; cch=${billingNonce};` }, ...rest];
}

export function claudeCodeTools(): NonNullable<MessagesRequest["tools"]> {
  return recordedRequest("plain-question-1").body.tools!;
}

// Claude Code's system prompt with as many of its tools as fit, padded with a project CLAUDE.md
// to `tokens` (as the emulated servers count them: Qwen3-Coder's template, Qwen3's tokenizer).
// The seed scenario is 18,490 tokens.
export function claudeCodePrompt(tokens: number, billingNonce: string) {
  const headTokens = (system: { text: string }[], tools: NonNullable<MessagesRequest["tools"]>) =>
    encodeTokens(
      renderChatTemplate(
        "qwen3-coder",
        [
          {
            role: "system",
            content: system
              .slice(1)
              .map((block) => block.text)
              .join("\n\n"),
          },
        ],
        tools.map(asOpenAITool),
        { addGenerationPrompt: false },
      ),
    ).length;
  const system = claudeCodeSystem(billingNonce);
  const all = claudeCodeTools();
  // The most tools that fit (a prefix of the list): counting grows with the count, so search.
  let [fit, over] = [0, all.length + 1];
  while (over - fit > 1) {
    const middle = Math.floor((fit + over) / 2);
    if (headTokens(system, all.slice(0, middle)) < tokens - 1_000) fit = middle;
    else over = middle;
  }
  const tools = all.slice(0, fit);
  const rules = Array.from({ length: 2000 }, (_, index) => `- rule ${index}: keep functions short and names clear.`).join("\n");
  const room = Math.max(0, tokens - headTokens(system, tools) - 60);
  return { system: [...system, { type: "text" as const, text: `# CLAUDE.md\n${decodeTokens(encodeTokens(rules).slice(0, room))}` }], tools };
}

// A tool as a server's template sees it once translated (near enough for counting).
function asOpenAITool(tool: NonNullable<MessagesRequest["tools"]>[number]) {
  const { name, description, input_schema } = tool as { name: string; description?: string; input_schema?: unknown };
  return { type: "function", function: { name, description, parameters: input_schema } };
}

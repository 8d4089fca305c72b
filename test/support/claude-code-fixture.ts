// Claude Code's real system prompt and tool list, from a recorded request.
import { readFileSync } from "node:fs";
import type { MessagesRequest } from "../../src/protocol/anthropic";
import { renderChatTemplate } from "../emulators/render-chat-template";
import { tokenize } from "../emulators/tokenize";

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
// to `tokens` (as the emulated servers count them). The seed scenario is 18,490 tokens.
export function claudeCodePrompt(tokens: number, billingNonce: string) {
  const headTokens = (system: { text: string }[], tools: unknown[]) =>
    tokenize(renderChatTemplate([{ role: "system", content: system.slice(1).map((block) => block.text).join("\n\n") }], tools, { addGenerationPrompt: false })).length;
  const system = claudeCodeSystem(billingNonce);
  const tools = claudeCodeTools().filter((_, index, all) => headTokens(system, all.slice(0, index + 1)) < tokens - 1_000);
  const rules = Array.from({ length: 2000 }, (_, index) => `- rule ${index}: keep functions short and names clear.`).join("\n");
  const room = Math.max(0, tokens - headTokens(system, tools) - 60);
  return { system: [...system, { type: "text" as const, text: `# CLAUDE.md\n${tokenize(rules).slice(0, room).join("")}` }], tools };
}

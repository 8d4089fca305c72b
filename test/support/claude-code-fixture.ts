// Claude Code's real system prompt and tool list, from a recorded request.
import { readFileSync } from "node:fs";
import type { MessagesRequest } from "../../src/protocol/anthropic";

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

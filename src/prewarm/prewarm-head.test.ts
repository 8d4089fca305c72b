import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../protocol/openai";
import { chatHead, messagesHead, PREWARM_USER_TEXT, prewarmRequest } from "./prewarm-head";

const tools = [{ type: "function" as const, function: { name: "Write", parameters: { type: "object" } } }];
const chatBody: ChatRequest = {
  model: "qwen3-coder",
  messages: [
    { role: "system", content: "You are Claude Code. cwd: /home/me/project" },
    { role: "user", content: "<system-reminder>Today's date is 2026-12-01</system-reminder> What does this do?" },
  ],
  max_tokens: 32000,
  stream: true,
  stream_options: { include_usage: true },
  return_progress: true,
  tools,
  tool_choice: "auto",
  temperature: 1,
};

describe("the prewarm head", () => {
  test("a chat body's head: its system messages and tool fields; the conversation and this request's settings left out", () => {
    expect(chatHead(chatBody, 0)).toEqual({ api: "chat", fields: { messages: [chatBody.messages[0]!], tools, tool_choice: "auto" } });
    expect(chatHead({ ...chatBody, messages: chatBody.messages.slice(1) }, 0)).toBeUndefined();
  });

  test("the prewarm request: the head, one short user turn, one token, streamed with usage, to the model given", () => {
    const { path, body } = prewarmRequest(chatHead(chatBody, 0)!, "default_model");
    expect(path).toBe("/chat/completions");
    expect(body).toEqual({
      model: "default_model",
      messages: [chatBody.messages[0]!, { role: "user", content: PREWARM_USER_TEXT }],
      tools,
      tool_choice: "auto",
      max_tokens: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("a Messages API body (kind anthropic): system and tools kept, thinking and the conversation left out", () => {
    const body = {
      model: "m",
      max_tokens: 100,
      messages: [{ role: "user", content: "q" }],
      system: [{ type: "text", text: "You are Claude Code." }],
      tools: [{ name: "Write", input_schema: {} }],
      thinking: { type: "enabled", budget_tokens: 1024 },
      stream: true,
    };
    const head = messagesHead(body, 0)!;
    expect(head.fields).toEqual({ system: body.system, tools: body.tools });
    expect(prewarmRequest(head, "m")).toEqual({
      path: "/messages",
      body: { system: body.system, tools: body.tools, model: "m", messages: [{ role: "user", content: PREWARM_USER_TEXT }], max_tokens: 1, stream: false },
    });
    expect(messagesHead({ ...body, system: undefined }, 0)).toBeUndefined();
  });

  // The session's context (Claude Code's environment, deferred tools and agents) goes upstream
  // after the system prompt and before the question (src/translate/system-prompt.ts): a new
  // session of the project shares it, so the prewarm computes it too.
  test("the session's context after the system prompt belongs to the head, on both APIs", () => {
    const context = { role: "user" as const, content: "# Environment\ncwd: /home/me/project" };
    const withContext = { ...chatBody, messages: [chatBody.messages[0]!, context, chatBody.messages[1]!] };
    expect(chatHead(withContext, 1)!.fields.messages).toEqual([chatBody.messages[0]!, context]);
    expect(prewarmRequest(chatHead(withContext, 1)!, "m").body.messages).toEqual([
      chatBody.messages[0]!,
      context,
      { role: "user", content: PREWARM_USER_TEXT },
    ]);
    const body = { model: "m", max_tokens: 100, system: "You are Claude Code.", messages: [context, { role: "user", content: "q" }] };
    expect(prewarmRequest(messagesHead(body, 1)!, "m").body.messages).toEqual([context, { role: "user", content: PREWARM_USER_TEXT }]);
  });
});

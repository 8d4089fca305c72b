// Issue 27, through the whole app, streamed and not: the tool_use ids the client gets are unique
// however the backend numbers its calls, each call is replayed with its own bytes, and a call the
// client sends back as another input (a PreToolUse hook's updatedInput, an edit) reaches the
// backend as the client has it, not as the model wrote it.
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { sentJson } from "../support/sent-body";

type Call = { id: string; name: string; arguments: string };

// The backend answers each completion with the next of `replies`; the bodies it was sent are kept.
function appAnswering(replies: Call[][], stream: boolean) {
  const sent: any[] = [];
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith("/health")) return Response.json({ status: "ok" });
    if (url.endsWith("/api/v0/models")) return Response.json({ data: [{ id: "qwen3-coder-30b", type: "llm", state: "loaded" }] });
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3-coder-30b" }] });
    sent.push(sentJson(init));
    const calls = replies[sent.length - 1]!.map((call, index) => ({
      index,
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
    if (!stream) return Response.json({ choices: [{ message: { role: "assistant", content: null, tool_calls: calls }, finish_reason: "tool_calls" }] });
    const chunks = [
      { choices: [{ index: 0, delta: { role: "assistant", tool_calls: calls } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ];
    return new Response(`${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("")}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  }) as typeof fetch;
  const { app } = createApp({ config: resolveConfig({}, {}), fetch: fetcher, version: "test" });
  const ask = async (messages: object[]): Promise<{ type: "tool_use"; id: string; name: string; input: Record<string, unknown> }[]> => {
    const body = {
      model: "claude-opus-5-5",
      max_tokens: 64,
      stream,
      tools: [{ name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }],
      messages,
    };
    const response = await app.handle(
      new Request("http://localhost/v1/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    );
    return stream ? toolUsesOfStream(await response.text()) : ((await response.json()) as any).content;
  };
  return { ask, sent };
}

// The tool_use blocks of a stream, as Claude Code puts them together.
function toolUsesOfStream(text: string) {
  const events = text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => JSON.parse(/^data: (.*)$/m.exec(frame)![1]!));
  return events.flatMap((event, index) => {
    if (event.type !== "content_block_start" || event.content_block.type !== "tool_use") return [];
    return [{ ...event.content_block, input: JSON.parse(events[index + 1].delta.partial_json) }];
  });
}

const read = (id: string, file: string): Call => ({ id, name: "Read", arguments: `{"file_path":  "${file}"}` }); // spaced: the model's own bytes
const results = (uses: { id: string }[]) => ({ role: "user", content: uses.map((use) => ({ type: "tool_result", tool_use_id: use.id, content: "ok" })) });
const sentCalls = (body: any) => body.messages.flatMap((message: any) => message.tool_calls ?? []).map((call: any) => [call.id, call.function.arguments]);

describe.each([false, true])("streamed: %p", (stream) => {
  test("a backend that repeats a tool-call id, within a reply and across turns: unique ids, each call replayed with its own bytes", async () => {
    const { ask, sent } = appAnswering([[read("call_0", "/a"), read("call_0", "/b")], [read("call_0", "/c")], []], stream);
    const question = { role: "user", content: "Read a, b and c" };
    const first = await ask([question]);
    expect(first.map((use) => use.input)).toEqual([{ file_path: "/a" }, { file_path: "/b" }]);
    expect(new Set(first.map((use) => use.id)).size).toBe(2);
    const history = [question, { role: "assistant", content: first }, results(first)];
    const second = await ask(history);
    expect(second).toHaveLength(1);
    expect(first.map((use) => use.id)).not.toContain(second[0]!.id);
    await ask([...history, { role: "assistant", content: second }, results(second)]);
    expect(sentCalls(sent[2])).toEqual([
      [first[0]!.id, '{"file_path":  "/a"}'],
      [first[1]!.id, '{"file_path":  "/b"}'],
      [second[0]!.id, '{"file_path":  "/c"}'],
    ]);
  });

  test("a call the client sends back changed reaches the backend as the client has it; the unchanged one byte for byte", async () => {
    const { ask, sent } = appAnswering([[read("call_a", "/a"), read("call_b", "/b")], []], stream);
    const question = { role: "user", content: "Read a and b" };
    const uses = await ask([question]);
    // A PreToolUse hook's updatedInput: the tool ran with /etc/hosts, not /a.
    const edited = [{ ...uses[0]!, input: { file_path: "/etc/hosts" } }, uses[1]!];
    await ask([question, { role: "assistant", content: edited }, results(edited)]);
    expect(sentCalls(sent[1])).toEqual([
      ["call_a", '{"file_path":"/etc/hosts"}'],
      ["call_b", '{"file_path":  "/b"}'],
    ]);
  });
});

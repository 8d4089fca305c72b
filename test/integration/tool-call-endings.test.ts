// How a reply whose tool call the token limit cut off, or whose arguments are malformed, reaches
// the client through the whole app, streamed and not (issue 18): no tool_use Claude Code would
// run with broken arguments, stop_reason max_tokens, one warning line in the log.
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { fixtureSse } from "../support/replay-chunks";
import { capturedWarnings } from "../support/captured-warnings";

type Scripted = { stream: string } | { whole: object };

// The backend answers every completion with `script`; probes succeed.
function appAnswering(script: Scripted) {
  const fetcher = (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith("/health")) return Response.json({ status: "ok" });
    if (url.endsWith("/api/v0/models")) return Response.json({ data: [{ id: "qwen3-coder-30b", type: "llm", state: "loaded" }] });
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3-coder-30b" }] });
    if ("stream" in script) return new Response(script.stream, { headers: { "content-type": "text/event-stream" } });
    return Response.json(script.whole);
  }) as typeof fetch;
  const { app } = createApp({ config: resolveConfig({}, {}), fetch: fetcher, version: "test" });
  return (body: object) =>
    app.handle(new Request("http://localhost/v1/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
}

const ask = (stream: boolean) => ({
  model: "claude-opus-5-5",
  max_tokens: 64,
  stream,
  tools: [{ name: "Bash", input_schema: { type: "object", properties: { command: { type: "string" } } } }],
  messages: [{ role: "user", content: "Clean up /tmp/build" }],
});

const sseEvents = (text: string) =>
  text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => JSON.parse(/^data: (.*)$/m.exec(frame)![1]!));

const warnings = capturedWarnings();

describe("a tool call cut off by max_tokens", () => {
  test("streamed: the whole call before it goes out, the cut one does not; stop_reason max_tokens; one warning", async () => {
    const response = await appAnswering({ stream: fixtureSse("lmstudio-tool-call-cut-by-length") })(ask(true));
    const events = sseEvents(await response.text());
    const toolUses = events.filter((event) => event.type === "content_block_start" && event.content_block.type === "tool_use");
    expect(toolUses.map((event) => event.content_block.id)).toEqual(["call_ls"]);
    expect(JSON.stringify(events)).not.toContain("rm -rf");
    expect(events.find((event) => event.type === "message_delta").delta).toEqual({ stop_reason: "max_tokens", stop_sequence: null });
    expect(warnings).toEqual(['backend "lmstudio" hit max_tokens inside a call to Bash; the call was dropped']);
  });

  test("not streamed: no tool_use, a note, stop_reason max_tokens; one warning", async () => {
    const whole = {
      choices: [
        {
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_rm", type: "function", function: { name: "Bash", arguments: '{"command": "rm -rf /tmp/bui' } }],
          },
          finish_reason: "length",
        },
      ],
      usage: { prompt_tokens: 900, completion_tokens: 64 },
    };
    const message: any = await (await appAnswering({ whole })(ask(false))).json();
    expect(message.content).toEqual([{ type: "text", text: "[tool call to Bash cut off by max_tokens; it was not run]" }]);
    expect(message.stop_reason).toBe("max_tokens");
    expect(warnings).toEqual(['backend "lmstudio" hit max_tokens inside a call to Bash; the call was dropped']);
  });
});

test("malformed tool JSON is repaired alike streamed and not, with one warning line each", async () => {
  const streamed = sseEvents(await (await appAnswering({ stream: fixtureSse("lmstudio-malformed-tool-arguments") })(ask(true))).text());
  expect(streamed.filter((event) => event.delta?.type === "input_json_delta").map((event) => event.delta.partial_json)).toEqual([
    '{"file_path":"/tmp/a.txt","content":"hi"}',
  ]);
  const whole = {
    choices: [
      {
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_w", type: "function", function: { name: "Write", arguments: "{'file_path': '/tmp/a.txt', 'content': 'hi',}" } }],
        },
        finish_reason: "tool_calls",
      },
    ],
  };
  const message: any = await (await appAnswering({ whole })(ask(false))).json();
  expect(message.content).toEqual([{ type: "tool_use", id: "call_w", name: "Write", input: { file_path: "/tmp/a.txt", content: "hi" } }]);
  expect(warnings).toHaveLength(2);
  expect(warnings.every((line) => line.startsWith('backend "lmstudio" wrote malformed JSON arguments for Write; repaired'))).toBe(true);
});

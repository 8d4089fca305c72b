// The test models cannot decide to call ToolSearch, or a tool it loaded: they follow a script of
// their last token. This proxy stands in front of a real server and lets it do everything a
// request costs (the prompt is sent to it unchanged, it computes and reports it), then answers
// the client with the next step of a script instead of what the model wrote. The tokens each
// request cost are the real server's own figures; only the reply is steered.
//
// A step is chosen by how many assistant turns with tool calls the conversation already holds, so
// Claude Code's requests and anyclaude's translations of them (chat completions) are steered
// alike. Requests without tools (titles, compaction), one-token prewarms and those `steers` turns
// down (a subagent's) go through untouched, answered by the model.

import { passThrough, type PassThrough } from "./pass-through";

type Call = { name: string; input: Record<string, unknown> };
export type ScriptStep = Call | { calls: Call[] } | { text: string };

export type Steering = PassThrough;

const toolNames = (body: any): string[] => (body.tools ?? []).map((tool: any) => tool.function?.name ?? tool.name);

export function steerToolCalls(upstreamRoot: string, script: ScriptStep[], steers: (toolNames: string[]) => boolean = () => true): PassThrough {
  return passThrough(upstreamRoot, async (request, target) => {
    // A fresh connection each time: llama-server closes idle ones, and a request sent on one at
    // that moment is reset before any byte (NOTES.md; anyclaude itself retries those).
    if (request.method !== "POST") return fetch(target, { method: request.method, headers: request.headers, keepalive: false });
    const text = await request.text();
    const body = JSON.parse(text);
    const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: text, keepalive: false });
    const steered = (body.tools?.length ?? 0) > 0 && (body.max_tokens ?? 2) > 1 && upstream.ok && steers(toolNames(body));
    if (!steered) return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    const report = await upstream.text(); // the server computed the prompt and generated its reply
    const turn = toolTurnsSoFar(body);
    const step = script[Math.min(turn, script.length - 1)]!;
    const id = `call_steer_${turn}`;
    return new URL(target).pathname.endsWith("/chat/completions") ? chatReply(body, step, id, report) : messagesReply(body, step, id, report);
  });
}

function toolTurnsSoFar(body: { messages: any[] }): number {
  return body.messages.filter(
    (message) =>
      message.role === "assistant" &&
      ((message.tool_calls?.length ?? 0) > 0 || (Array.isArray(message.content) && message.content.some((block: any) => block.type === "tool_use"))),
  ).length;
}

const callsOf = (step: ScriptStep): Call[] => ("calls" in step ? step.calls : "name" in step ? [step] : []);

// Chat completions, streamed as llama-server and mlx_lm.server stream them (a whole tool call in
// one delta), ending with the server's own usage and timings.
function chatReply(body: any, step: ScriptStep, id: string, report: string): Response {
  const last = lastJson(report);
  const delta =
    "text" in step
      ? { role: "assistant", content: step.text }
      : {
          role: "assistant",
          tool_calls: callsOf(step).map((call, index) => ({
            index,
            id: `${id}_${index}`,
            type: "function",
            function: { name: call.name, arguments: JSON.stringify(call.input) },
          })),
        };
  const finish = "text" in step ? "stop" : "tool_calls";
  if (!body.stream)
    return Response.json({
      id: "steered",
      object: "chat.completion",
      choices: [{ index: 0, message: delta, finish_reason: finish }],
      usage: last?.usage,
      timings: last?.timings,
    });
  const chunks = [
    { choices: [{ index: 0, delta, finish_reason: null }] },
    { choices: [{ index: 0, delta: {}, finish_reason: finish }] },
    { choices: [], usage: last?.usage, timings: last?.timings },
  ];
  return sse(chunks.map((chunk) => `data: ${JSON.stringify({ id: "steered", object: "chat.completion.chunk", ...chunk })}\n\n`).join("") + "data: [DONE]\n\n");
}

// The Messages API, as llama-server's own /v1/messages streams it.
function messagesReply(body: any, step: ScriptStep, id: string, report: string): Response {
  const usage = lastJson(report)?.usage ?? lastJson(report)?.message?.usage ?? { input_tokens: 1, output_tokens: 1 };
  const blocks =
    "text" in step
      ? [{ type: "text", text: step.text }]
      : callsOf(step).map((call, index) => ({ type: "tool_use", id: `${id.replace("call_", "toolu_")}_${index}`, name: call.name, input: call.input }));
  const stop = "text" in step ? "end_turn" : "tool_use";
  // A fresh id per message, as servers give: Claude Code merges consecutive assistant turns that
  // carry the same id into one.
  const message = {
    id: `msg_steered_${id}`,
    type: "message",
    role: "assistant",
    model: body.model,
    content: blocks,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  };
  if (!body.stream) return Response.json(message);
  const events: [string, unknown][] = [["message_start", { type: "message_start", message: { ...message, content: [], stop_reason: null } }]];
  blocks.forEach((block: any, index) => {
    events.push([
      "content_block_start",
      { type: "content_block_start", index, content_block: block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} } },
    ]);
    events.push([
      "content_block_delta",
      {
        type: "content_block_delta",
        index,
        delta: block.type === "text" ? { type: "text_delta", text: block.text } : { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      },
    ]);
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push(
    ["message_delta", { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage }],
    ["message_stop", { type: "message_stop" }],
  );
  return sse(events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(""));
}

// The last JSON payload of a whole answer or an SSE stream that carries usage.
function lastJson(report: string): any {
  if (report.trimStart().startsWith("{")) return JSON.parse(report);
  const payloads = report
    .split("\n")
    .filter((line) => line.startsWith("data: {"))
    .map((line) => JSON.parse(line.slice(6)));
  return payloads.findLast((payload) => payload.usage || payload.message?.usage);
}

function sse(text: string): Response {
  return new Response(text, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

// Seeded fuzzing of the daemon from both sides (issue 12, point 2): mutated Claude Code requests
// (recorded ones as seeds: fields dropped, duplicated and retyped, odd Unicode, deep nesting,
// huge strings, orphan tool blocks, truncated and invalid JSON) against backends answering with
// mutated streams (broken JSON in chunks and tool arguments, a stream that stops, HTML, an error
// chunk, garbage). Whatever comes in: no 5xx of the daemon's own making, every error
// Anthropic-shaped and naming who failed, every stream ending properly, no unhandled rejection,
// memory bounded.
// `make test` runs FUZZ_CASES (2,000) with a fixed seed; ANYCLAUDE_FUZZ_CASES=N and
// ANYCLAUDE_FUZZ_SEED=S run more, or others.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { freePort } from "../support/compiled-binary";
import { logger } from "../../src/logger";
import { createApp } from "../../src/server/create-app";
import { mutateRequest, mutateStream, random, requestSeeds, streamSeeds, type Rng } from "../support/fuzz-mutators";

const FUZZ_CASES = Number(process.env.ANYCLAUDE_FUZZ_CASES ?? 2_000);
const SEED = Number(process.env.ANYCLAUDE_FUZZ_SEED ?? 12);
const MAX_BODY_BYTES = 8 * 1024 * 1024; // so that some huge strings pass the cap and some do not

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const logLevel = logger.level;
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
  logger.level = -999; // thousands of failed replies, each logged: silent meanwhile
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  logger.level = logLevel;
});

type Answer = { status: number; contentType: string; text: string };

// The backends' side: probes answer; a completion gets what the case says.
function backendFetch(answer: () => Answer | Promise<never>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    if (url.endsWith("/health")) return Response.json({ status: "ok" });
    if (url.endsWith("/api/v0/models")) return Response.json({ data: [{ id: "qwen3", type: "llm", state: "loaded", max_context_length: 1_000_000 }] });
    if (url.endsWith("/models")) return Response.json({ data: [{ id: "qwen3" }] });
    if (url.endsWith("/props")) return new Response("not found", { status: 404 });
    const { status, contentType, text } = await answer();
    return new Response(text, { status, headers: { "content-type": contentType } });
  }) as typeof fetch;
}

function wholeAnswer(rng: Rng): Answer {
  const completion = {
    id: "c",
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "4",
          tool_calls: rng.chance(0.3)
            ? [
                {
                  id: "call_1",
                  type: "function",
                  function: { name: "Write", arguments: rng.pick(['{"file_path":"/tmp/x"}', '{"file_path":', "not json", ""]) },
                },
              ]
            : undefined,
        },
        finish_reason: rng.pick(["stop", "tool_calls", "length", "weird", null]),
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 1 },
  };
  const text = JSON.stringify(completion);
  return rng.pick([
    { status: 200, contentType: "application/json", text },
    { status: 200, contentType: "application/json", text: text.slice(0, rng.int(text.length)) },
    { status: 200, contentType: "text/html", text: "<html>Sign in</html>" },
    { status: 200, contentType: "application/json", text: JSON.stringify({ choices: "none" }) },
    { status: 500, contentType: "text/plain", text: "internal error" },
  ]);
}

// A Messages API backend's stream (the `anthropic` kind), mutated the same ways.
function anthropicAnswer(rng: Rng, stream: boolean): Answer {
  if (!stream) {
    const message = {
      id: "m",
      type: "message",
      role: "assistant",
      model: "local",
      content: [{ type: "text", text: "4" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 5, output_tokens: 1 },
    };
    return rng.pick([
      { status: 200, contentType: "application/json", text: JSON.stringify(message) },
      { status: 200, contentType: "application/json", text: JSON.stringify({ content: 5 }) },
    ]);
  }
  const events = [
    {
      type: "message_start",
      message: { id: "m", type: "message", role: "assistant", model: "local", content: [], usage: { input_tokens: 5, output_tokens: 0 } },
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "4" } },
    { type: "content_block_stop", index: 0 },
    { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } },
    { type: "message_stop" },
  ].map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  const kind = rng.int(5);
  if (kind === 1) events.splice(rng.int(events.length)); // stops
  if (kind === 2)
    events.splice(
      rng.int(events.length),
      0,
      `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 40000 tokens > 32768" } })}\n\n`,
    );
  if (kind === 3) events.splice(rng.int(events.length), 0, "data: {not json\n\n");
  return { status: 200, contentType: "text/event-stream", text: events.join("") };
}

// What the client must see, whatever happened.
function checkAnswer(status: number, contentType: string, text: string, label: string): string[] {
  const problems: string[] = [];
  const isError = (value: any) =>
    value?.type === "error" && typeof value.error?.type === "string" && typeof value.error.message === "string" && value.error.message.length > 0;
  if (status === 500 || status > 504) problems.push(`${label}: HTTP ${status}: ${text.slice(0, 300)}`);
  if (status >= 400) {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return [`${label}: HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`];
    }
    if (!isError(body)) problems.push(`${label}: HTTP ${status} not Anthropic-shaped: ${text.slice(0, 200)}`);
    // A 5xx is the backend's doing, and says which backend.
    if (status >= 500 && !/backend "|no backend can serve/.test(body.error?.message ?? ""))
      problems.push(`${label}: HTTP ${status} names no backend: ${body.error?.message}`);
    if (status < 500 && status !== 499 && body.error?.type === "api_error") problems.push(`${label}: HTTP ${status} with api_error: ${body.error.message}`);
    return problems;
  }
  if (contentType.includes("text/event-stream")) {
    const frames = text.split("\n\n").filter(Boolean);
    const last = frames.at(-1) ?? "";
    for (const frame of frames) {
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      try {
        const event = JSON.parse(data ?? "");
        if (event.type === "error" && !isError(event)) problems.push(`${label}: error event not Anthropic-shaped: ${data}`);
        if (event.type === "error" && event.error.type === "api_error" && !event.error.message.includes("backend"))
          problems.push(`${label}: error event names no backend: ${data}`);
      } catch {
        problems.push(`${label}: an SSE frame whose data is not JSON: ${frame.slice(0, 200)}`);
      }
    }
    if (!/^event: (message_stop|error)$/m.test(last)) problems.push(`${label}: the stream ended without message_stop or error: ${last.slice(0, 200)}`);
    return problems;
  }
  try {
    const message = JSON.parse(text);
    if (message.type !== "message") problems.push(`${label}: HTTP ${status}, not a message: ${text.slice(0, 200)}`);
  } catch {
    problems.push(`${label}: HTTP ${status}, not JSON: ${text.slice(0, 200)}`);
  }
  return problems;
}

describe("fuzzing", () => {
  test(`${FUZZ_CASES} mutated requests against mutated backend streams (seed ${SEED})`, async () => {
    const rng = random(SEED);
    const requests = requestSeeds();
    const streams = streamSeeds();
    let current: Answer = { status: 200, contentType: "text/event-stream", text: "" };
    // In process (app.handle), never bound; still its own port, never the default 8082.
    const port = await freePort();
    const openai = createApp({ config: resolveConfig({ port, maxBodyBytes: MAX_BODY_BYTES }, {}), fetch: backendFetch(() => current), version: "fuzz" });
    const anthropic = createApp({
      config: resolveConfig({ port, maxBodyBytes: MAX_BODY_BYTES, backends: [{ name: "llama", kind: "anthropic", url: "http://127.0.0.1:8080/v1" }] }, {}),
      fetch: backendFetch(() => current),
      version: "fuzz",
    });
    const problems: string[] = [];
    const statuses: Record<number, number> = {};
    Bun.gc(true);
    const heapBefore = process.memoryUsage().heapUsed;
    for (let index = 0; index < FUZZ_CASES; index++) {
      const request = mutateRequest(rng.pick(requests), rng);
      const viaAnthropic = rng.chance(0.2);
      const streamed = /"stream":true/.test(request.body);
      const stream = mutateStream(rng.pick(streams), rng);
      current = viaAnthropic ? anthropicAnswer(rng, streamed) : streamed ? stream : wholeAnswer(rng);
      const label = `case ${index} [${request.name}] backend ${viaAnthropic ? "anthropic" : streamed ? stream.name : "whole"}`;
      const { app } = viaAnthropic ? anthropic : openai;
      const response = await app.handle(
        new Request(`http://127.0.0.1:${port}/v1/messages?beta=true`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-claude-code-session-id": `fuzz-${index % 50}` },
          body: request.body,
        }),
      );
      const text = await response.text();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      problems.push(...checkAnswer(response.status, response.headers.get("content-type") ?? "", text, label));
      if (problems.length >= 20) break;
    }
    await Bun.sleep(10); // let any stray rejection surface
    Bun.gc(true);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    console.log(`fuzz: ${FUZZ_CASES} cases, statuses ${JSON.stringify(statuses)}, heap +${heapGrowthMb.toFixed(1)} MB`);
    expect(problems).toEqual([]);
    expect(unhandled.map(String)).toEqual([]);
    // What the daemon keeps (sessions, replay memory, recent replies) is bounded.
    expect(heapGrowthMb).toBeLessThan(64);
  });
});

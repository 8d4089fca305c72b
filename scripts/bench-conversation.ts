// `bun scripts/bench-conversation.ts`: what the daemon itself costs a request as a conversation
// grows, in process (app.handle, a backend that answers at once, nothing on the network): a Claude
// Code conversation (growing-conversation.ts) from its first request (~75 KB) and from ~380 KB, each request one small tool
// loop longer than the one before, as a session sends them. The median of BENCH_REQUESTS (150)
// requests after 30 of warm-up, per size; on a shared machine compare the sizes of one run.
// BENCH_SIZES: other sizes, in bytes. Busy collections are off: they run by the process's resident
// memory, which here is the bench's own; one person's daemon stays below their threshold, and
// `bun scripts/bench-team.ts` measures a team's, which passes it.
import { resolveConfig } from "../src/config/resolve-config";
import { createApp } from "../src/server/create-app";
import { growingConversation, turnOfSize } from "./bench/growing-conversation";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 150);
const WARMUP = 30;
// Claude Code's first request (its tools and system prompt, ~75 KB), and a long conversation.
const SIZES = (process.env.BENCH_SIZES ?? `0,${380 * 1024}`).split(",").map(Number);

const completion = JSON.stringify({
  choices: [{ message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 1 },
});
const fetcher = (async (input: string | URL | Request) => {
  const url = String(input);
  if (url.endsWith("/health")) return Response.json({ status: "ok" });
  if (url.endsWith("/models")) return Response.json({ data: [{ id: "bench-model" }] });
  return new Response(completion, { headers: { "content-type": "application/json" } });
}) as typeof fetch;
const { app } = createApp({
  config: resolveConfig({ port: 8099, backends: [{ name: "local", kind: "openai", url: "http://127.0.0.1:9/v1", tools: true }], prewarm: false }, {}),
  fetch: fetcher,
  version: "bench",
  collector: { busyRss: Number.POSITIVE_INFINITY },
});

const lines: string[] = [];
for (const [index, size] of SIZES.entries()) {
  const conversation = growingConversation({ resultChars: 100, seed: `s${index}` });
  const start = turnOfSize(conversation, size);
  const times: number[] = [];
  const sizes: number[] = [];
  // Each body made just before it is sent, not all at once: the daemon's heap, not the bench's,
  // is what its collections walk.
  for (let turn = 0; turn < WARMUP + REQUESTS; turn++) {
    // Bytes, as the daemon reads them off its socket: encoding the client's JSON is the client's work.
    const body = new TextEncoder().encode(JSON.stringify(conversation.turn(start + turn)));
    if (turn === WARMUP || turn === WARMUP + REQUESTS - 1) sizes.push(body.length);
    const started = performance.now();
    const response = await app.handle(
      new Request("http://127.0.0.1:8099/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(body.length), "x-claude-code-session-id": `bench-${index}` },
        body,
      }),
    );
    await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    if (turn >= WARMUP) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const kb = (length: number) => `${(length / 1024).toFixed(0)} KB`;
  lines.push(
    `conversation of ${kb(sizes[0]!)} to ${kb(sizes[1]!)}: median ${times[Math.floor(times.length / 2)]!.toFixed(2)} ms a request, p90 ${times[Math.floor(times.length * 0.9)]!.toFixed(2)} ms`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);

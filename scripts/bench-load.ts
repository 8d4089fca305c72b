// `make bench-load`: 64 Claude Code sessions streaming at once for 60 s through the daemon (a
// process of its own), against a backend with a small delay between chunks. Each client
// alternates a request straight to the backend and one through the daemon, so both paths run
// under the same load; the table gives p50 and p99 of each and what the daemon adds, every
// stream checked whole (message_stop, no error event), and the daemon's resident memory at
// start, at its peak, and after 10 and 30 s idle.
// BENCH_CLIENTS, BENCH_SECONDS, BENCH_WORDS, BENCH_DELAY_MS change the load; BENCH_DAEMON="bun
// src/cli/main.ts" measures the source instead of the compiled binary.
import { join } from "node:path";
import { recordedRequest } from "../test/support/claude-code-fixture";
import { normalizeRequest } from "../src/routing/normalize-request";
import { convertToOpenAIRequest } from "../src/translate/convert-to-openai-request";
import { idleRss, percentile, startDaemonProcess } from "./bench/daemon-process";
import { startStreamBackendProcess } from "./bench/stream-backend";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WORDS = Number(process.env.BENCH_WORDS ?? 50);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 5);
// Resident memory once idle: after 10 s, and after 30 s, when the allocator has given back what it keeps
// for a while (measured: the daemon settles between 10 and 15 s after a burst).
const IDLE_SECONDS = [10, 30];

const request = { ...recordedRequest("tool-loop-2").body, stream: true };
const backend = await startStreamBackendProcess({ words: WORDS, delayMs: DELAY_MS });
// BENCH_DAEMON: the command that runs anyclaude (default: the compiled binary, as users run it).
const daemonCommand = process.env.BENCH_DAEMON?.split(" ") ?? [join(import.meta.dir, "../dist/anyclaude")];
// Coalescing off: 64 clients sending the same prompt would otherwise wait for each other's
// prefill (src/prefix/shared-prefill.ts), and this measures the proxy's own cost.
const daemon = await startDaemonProcess([{ name: "local", kind: "openai", url: backend.url, tools: true }], {
  command: daemonCommand,
  settings: { coalescePrefills: false },
});
const translated = convertToOpenAIRequest(normalizeRequest(request, new Headers()).request, {
  backend: "local",
  model: "bench-model",
  images: false,
  includeTools: true,
  cleanToolSchemas: true,
}).body;
const directBody = JSON.stringify(translated);
const proxiedBody = JSON.stringify(request);

type Sample = { ttftMs: number; totalMs: number };
const samples = { direct: [] as Sample[], proxied: [] as Sample[] };
const failures = { errors: 0, truncated: 0, examples: [] as string[] };

// One streamed request; complete when the stream ends as the protocol says it must.
async function stream(
  url: string,
  body: string,
  headers: Record<string, string>,
  complete: (tail: string) => boolean,
  firstContent: string,
): Promise<Sample | undefined> {
  const started = performance.now();
  try {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let ttftMs = 0;
    let tail = "";
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (!ttftMs && text.includes(firstContent)) ttftMs = performance.now() - started;
      tail = (tail + text).slice(-400);
    }
    if (!response.ok || tail.includes("event: error")) {
      failures.errors++;
      if (failures.examples.length < 3) failures.examples.push(`${url}: HTTP ${response.status} ${tail.slice(-200)}`);
      return undefined;
    }
    if (!complete(tail)) {
      failures.truncated++;
      if (failures.examples.length < 3) failures.examples.push(`${url}: truncated: ${tail.slice(-200)}`);
      return undefined;
    }
    return { ttftMs, totalMs: performance.now() - started };
  } catch (error) {
    failures.errors++;
    if (failures.examples.length < 3) failures.examples.push(`${url}: ${String(error)}`);
    return undefined;
  }
}

const direct = () => stream(`${backend.url}/chat/completions`, directBody, {}, (tail) => tail.includes("data: [DONE]"), '"content":"word');
const proxied = (client: number) =>
  stream(
    `${daemon.url}/v1/messages?beta=true`,
    proxiedBody,
    { "x-claude-code-session-id": `bench-${client}`, "anthropic-version": "2023-06-01" },
    (tail) => /event: message_stop\ndata: \{"type":"message_stop"\}\n\n$/.test(tail),
    "text_delta",
  );

// Warm both paths (connections, JIT), then measure.
for (let round = 0; round < 3; round++) await Promise.all([direct(), proxied(0)]);
Bun.gc(true);
await Bun.sleep(1_000);
const rssStart = daemon.rssMb();
samples.direct.length = samples.proxied.length = 0;
failures.errors = failures.truncated = 0;

let rssPeak = rssStart;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, daemon.rssMb())), 200);
const deadline = performance.now() + SECONDS * 1000;
await Promise.all(
  Array.from({ length: CLIENTS }, async (_, client) => {
    for (let turn = 0; performance.now() < deadline; turn++) {
      // Alternate which path goes first, so neither always meets the other's wake.
      if ((turn + client) % 2 === 0) {
        const d = await direct();
        if (d) samples.direct.push(d);
      } else {
        const p = await proxied(client);
        if (p) samples.proxied.push(p);
      }
    }
  }),
);
clearInterval(sampler);
const rssAfterLoad = daemon.rssMb();
const rssIdle = await idleRss(daemon, IDLE_SECONDS);
daemon.stop();
await backend.stop();

const ms = (value: number) => `${value.toFixed(1)} ms`;
const row = (name: string, pick: (sample: Sample) => number, p: number) => {
  const d = percentile(samples.direct.map(pick), p);
  const x = percentile(samples.proxied.map(pick), p);
  return `| ${name} | ${ms(d)} | ${ms(x)} | ${(x / d).toFixed(2)}x | ${x - d >= 0 ? "+" : ""}${ms(x - d)} |`;
};
const streams = samples.direct.length + samples.proxied.length;
process.stdout.write(
  [
    `${CLIENTS} streaming clients for ${SECONDS} s, each alternating a request straight to the backend and one through anyclaude; Claude Code's request of ${(proxiedBody.length / 1024).toFixed(0)} KB (${request.tools?.length} tools); replies of ${WORDS} chunks ${DELAY_MS} ms apart:`,
    "",
    "| measure | direct to backend | through anyclaude | ratio | added |",
    "| --- | --- | --- | --- | --- |",
    row("time to first token, p50", (sample) => sample.ttftMs, 50),
    row("time to first token, p99", (sample) => sample.ttftMs, 99),
    row("whole stream, p50", (sample) => sample.totalMs, 50),
    row("whole stream, p99", (sample) => sample.totalMs, 99),
    "",
    `streams completed: ${streams} (${samples.proxied.length} through anyclaude); errors: ${failures.errors}; truncated: ${failures.truncated}${failures.examples.length ? ` (${failures.examples.join("; ")})` : ""}`,
    `daemon resident memory: ${rssStart.toFixed(0)} MB at start, ${rssPeak.toFixed(0)} MB peak, ${rssAfterLoad.toFixed(0)} MB when the load ended, ${IDLE_SECONDS.map((seconds, index) => `${rssIdle[index]!.toFixed(0)} MB after ${seconds} s idle (${rssIdle[index]! >= rssStart ? "+" : ""}${(((rssIdle[index]! - rssStart) / rssStart) * 100).toFixed(0)}%)`).join(", ")}`,
    "",
  ].join("\n"),
);
process.exit(failures.errors + failures.truncated > 0 ? 1 : 0);

// `make bench-proxy`: what anyclaude costs on the way, next to claude-code-router 2.0.0 (npm
// @musistudio/claude-code-router@2.0.0, installed into .tmp/ on first use) and a bare Bun proxy
// that forwards the body untouched (scripts/bench/bare-proxy.ts: the cost of the hop itself), in
// front of the same backend, in one run:
// - Claude Code's real 75 KB request (24 tools), streamed and not: time to first byte and to the
//   end, p50 and p99, straight to the backend and through each proxy, rounds alternating; the
//   median of BENCH_RUNS runs (3), each its own p50 and p99;
// - throughput (whole streamed replies per second) at 1, 8 and 64 clients;
// - each proxy's resident memory idle, and after the load;
// - the compiled binary's time from start to a healthy /anyclaude/health.
// The machine is shared and noisy: compare the columns of one run, not runs.
// BENCH_RUNS, BENCH_ROUNDS, BENCH_THROUGHPUT_SECONDS change the run; BENCH_NO_CCR=1 leaves
// claude-code-router out.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { normalizeRequest } from "../src/routing/normalize-request";
import { convertToOpenAIRequest } from "../src/translate/convert-to-openai-request";
import { recordedRequest } from "../test/support/claude-code-fixture";
import { freePort } from "../test/support/compiled-binary";
import { percentile, rssMb, startDaemonProcess, startUrlProcess, waitForHealth } from "./bench/daemon-process";
import { startStreamBackendProcess } from "./bench/stream-backend";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 5);
const WORDS = 50;
const DELAY_MS = 2;
const ROOT = resolve(import.meta.dir, "..");
const BINARY = join(ROOT, "dist/anyclaude");
const CCR_VERSION = "2.0.0";

const request = recordedRequest("tool-loop-2").body;
const backend = await startStreamBackendProcess({ words: WORDS, delayMs: DELAY_MS });

// The compiled binary: start to healthy, five times, then the one measured.
if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: make build`);
const startTimes: number[] = [];
for (let run = 0; run < 5; run++) {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), "anyclaude-start-"));
  const started = performance.now();
  const child = Bun.spawn([BINARY, "serve", "--port", String(port)], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      ANYCLAUDE_CONFIG: join(home, "none.json"),
      LMSTUDIO_URL: backend.url,
      MLX_LM_URL: "http://127.0.0.1:9/v1",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  for (;;) {
    if (
      await fetch(`http://127.0.0.1:${port}/anyclaude/health`).then(
        (response) => response.ok,
        () => false,
      )
    )
      break;
    await Bun.sleep(1);
  }
  startTimes.push(performance.now() - started);
  child.kill();
  await child.exited;
}

const anyclaude = await startDaemonProcess([{ name: "local", kind: "openai", url: backend.url, tools: true }], { command: [BINARY] });
const ccr = process.env.BENCH_NO_CCR === "1" ? undefined : await startClaudeCodeRouter(backend.url);
const bare = await startBareProxy(backend.url);
await Bun.sleep(1_000);
const idle = { anyclaude: anyclaude.rssMb(), ccr: ccr?.rssMb() };

type Target = "direct" | "bare" | "anyclaude" | "ccr";
const targets: Target[] = ccr ? ["direct", "bare", "anyclaude", "ccr"] : ["direct", "bare", "anyclaude"];
const translated = (stream: boolean) =>
  JSON.stringify(
    convertToOpenAIRequest(normalizeRequest({ ...request, stream }, new Headers()).request, {
      backend: "local",
      model: "bench-model",
      images: false,
      includeTools: true,
      cleanToolSchemas: true,
    }).body,
  );
const bodies = {
  direct: { true: translated(true), false: translated(false) },
  proxied: { true: JSON.stringify({ ...request, stream: true }), false: JSON.stringify({ ...request, stream: false }) },
};
const urlOf = (target: Target) =>
  ({
    direct: `${backend.url}/chat/completions`,
    bare: `${bare.url}/v1/messages`,
    anyclaude: `${anyclaude.url}/v1/messages?beta=true`,
    ccr: `${ccr?.url}/v1/messages?beta=true`,
  })[target];
// The bare proxy forwards what it gets: it is sent the backend's own body.
const bodyFor = (target: Target, stream: boolean) => (target === "direct" || target === "bare" ? bodies.direct : bodies.proxied)[`${stream}`];

type Timing = { firstByte: number; total: number };

async function timeOne(target: Target, stream: boolean, session: string): Promise<Timing> {
  const started = performance.now();
  const response = await fetch(urlOf(target), {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "bench", "x-claude-code-session-id": session },
    body: bodyFor(target, stream),
  });
  const reader = response.body!.getReader();
  let firstByte = 0;
  let tail = "";
  const decoder = new TextDecoder();
  while (true) {
    const { done, value } = await reader.read();
    if (!firstByte) firstByte = performance.now() - started;
    if (done) break;
    tail = (tail + decoder.decode(value, { stream: true })).slice(-200);
  }
  if (!response.ok || tail.includes("event: error")) throw new Error(`${target}: HTTP ${response.status}: ${tail}`);
  return { firstByte, total: performance.now() - started };
}

// Latency: RUNS runs of rounds alternating the order of the targets, each run its own p50 and p99.
const latency: Record<string, Timing[]>[] = [];
for (const stream of [true, false]) {
  // Connections opened and code compiled by the JIT (both proxies' runtimes tier up over the first
  // hundred requests or so): what a daemon that has been running a while costs.
  for (let round = 0; round < WARMUP; round++) for (const target of targets) await timeOne(target, stream, "warm");
  for (let run = 0; run < RUNS; run++) {
    latency[run] ??= {};
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) (latency[run]![`${target}/${stream}`] ??= []).push(await timeOne(target, stream, `round-${round % 4}`));
    }
  }
}

// Back to back: the same request again the moment the last answer is in, from a backend that
// answers at once (every process stays busy, caches warm): the proxy's own cost, without the
// wake-ups a 100 ms wait for the backend costs on a shared machine.
const instant = await startStreamBackendProcess({ words: 1, delayMs: 0 });
const backToBack: Record<string, number[]> = {};
const instantAnyclaude = await startDaemonProcess([{ name: "local", kind: "openai", url: instant.url, tools: true }], { command: [BINARY] });
const instantCcr = ccr && (await startClaudeCodeRouter(instant.url));
const instantBare = await startBareProxy(instant.url);
const instantTargets: Record<Target, string | undefined> = {
  direct: `${instant.url}/chat/completions`,
  bare: `${instantBare.url}/v1/messages`,
  anyclaude: `${instantAnyclaude.url}/v1/messages`,
  ccr: instantCcr && `${instantCcr.url}/v1/messages`,
};
for (let round = 0; round < WARMUP + 300; round++) {
  for (const target of targets) {
    const started = performance.now();
    const response = await fetch(instantTargets[target]!, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "bench" },
      body: bodyFor(target, false),
    });
    await response.text();
    if (round >= WARMUP) (backToBack[target] ??= []).push(performance.now() - started);
  }
}
instantAnyclaude.stop();
instantCcr?.stop();
instantBare.stop();
await instant.stop();

// Throughput: whole streamed replies per second with N clients in a closed loop (the bare proxy,
// a floor for latency only, left out).
const loadTargets = targets.filter((target) => target !== "bare");
const throughput: Record<string, number> = {};
for (const clients of [1, 8, 64]) {
  for (const target of loadTargets) {
    let done = 0;
    const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        while (performance.now() < deadline) {
          await timeOne(target, true, `load-${client}`);
          done++;
        }
      }),
    );
    throughput[`${target}/${clients}`] = done / THROUGHPUT_SECONDS;
  }
}
const loaded = { anyclaude: anyclaude.rssMb(), ccr: ccr?.rssMb() };
anyclaude.stop();
ccr?.stop();
bare.stop();
await backend.stop();

// The table: for each measure, the median of the runs' percentiles.
const ms = (value: number) => `${value.toFixed(2)} ms`;
const added = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)} ms`;
const perRun = (target: Target, stream: boolean, measure: keyof Timing, p: number) =>
  latency.map((run) =>
    percentile(
      run[`${target}/${stream}`]!.map((timing) => timing[measure]),
      p,
    ),
  );
const pick = (target: Target, stream: boolean, measure: keyof Timing, p: number) => percentile(perRun(target, stream, measure, p), 50);
const ratio = (theirs: number, ours: number) => (ours > 0.05 ? `${(theirs / ours).toFixed(0)}x` : "-");
const header = [
  "measure",
  "direct to backend",
  "bare Bun proxy",
  "through anyclaude",
  ...(ccr ? ["through claude-code-router"] : []),
  "bare proxy adds",
  "anyclaude adds",
  ...(ccr ? ["claude-code-router adds", "ratio"] : []),
];
const lines = [
  `Claude Code request of ${(bodies.proxied.true.length / 1024).toFixed(0)} KB (${request.tools?.length} tools); a reply of ${WORDS} chunks ${DELAY_MS} ms apart (the same backend for all); ${RUNS} runs of ${ROUNDS} rounds alternating, the median of the runs' p50 and p99; anyclaude is the compiled binary${ccr ? `, claude-code-router ${CCR_VERSION} runs on Node ${nodeVersion()}` : ""}:`,
  "",
  `| ${header.join(" | ")} |`,
  `| ${header.map(() => "---").join(" | ")} |`,
];
for (const stream of [true, false]) {
  for (const [measure, label] of [
    ["firstByte", "first byte"],
    ["total", "whole reply"],
  ] as const) {
    if (!stream && measure === "firstByte") continue; // a whole answer's first byte is its end
    for (const p of [50, 99]) {
      const [direct, hop, ours] = [pick("direct", stream, measure, p), pick("bare", stream, measure, p), pick("anyclaude", stream, measure, p)];
      const theirs = ccr && pick("ccr", stream, measure, p);
      const cells = [
        `${stream ? "streamed" : "not streamed"}, ${label}, p${p}`,
        ms(direct),
        ms(hop),
        ms(ours),
        ...(theirs ? [ms(theirs)] : []),
        added(hop - direct),
        added(ours - direct),
      ];
      if (theirs) cells.push(added(theirs - direct), ratio(theirs - direct, ours - direct));
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
}
const addedPerRun = (target: Target) =>
  perRun(target, true, "total", 50)
    .map((value, run) => added(value - perRun("direct", true, "total", 50)[run]!))
    .join(", ");
lines.push(
  "",
  `Per run, streamed whole reply p50 added: anyclaude ${addedPerRun("anyclaude")}; bare proxy ${addedPerRun("bare")}${ccr ? `; claude-code-router ${addedPerRun("ccr")}` : ""}.`,
);
const b2b = (target: Target) => percentile(backToBack[target]!, 50);
lines.push(
  "",
  `Back to back (300 requests not streamed, from a backend that answers at once), p50: direct ${ms(b2b("direct"))}, through the bare proxy ${ms(b2b("bare"))} (${added(b2b("bare") - b2b("direct"))}), through anyclaude ${ms(b2b("anyclaude"))} (${added(b2b("anyclaude") - b2b("direct"))})${ccr ? `, through claude-code-router ${ms(b2b("ccr"))} (${added(b2b("ccr") - b2b("direct"))}, ${ratio(b2b("ccr") - b2b("direct"), b2b("anyclaude") - b2b("direct"))})` : ""}.`,
);
const names: Record<Target, string> = { direct: "direct to backend", bare: "bare Bun proxy", anyclaude: "through anyclaude", ccr: "claude-code-router" };
lines.push(
  "",
  "Throughput, whole streamed replies per second:",
  "",
  `| clients | ${loadTargets.map((target) => names[target]).join(" | ")} |`,
  `| --- | ${loadTargets.map(() => "---").join(" | ")} |`,
);
for (const clients of [1, 8, 64]) lines.push(`| ${clients} | ${loadTargets.map((target) => throughput[`${target}/${clients}`]!.toFixed(1)).join(" | ")} |`);
lines.push(
  "",
  `resident memory: anyclaude ${idle.anyclaude.toFixed(0)} MB idle, ${loaded.anyclaude.toFixed(0)} MB after the load${ccr ? `; claude-code-router ${idle.ccr!.toFixed(0)} MB idle, ${loaded.ccr!.toFixed(0)} MB after` : ""}`,
  `compiled binary, start to healthy: median ${percentile(startTimes, 50).toFixed(0)} ms (${startTimes.map((time) => time.toFixed(0)).join(", ")} ms)`,
  "",
);
process.stdout.write(lines.join("\n"));

function startBareProxy(backendUrl: string) {
  return startUrlProcess([process.execPath, join(import.meta.dir, "bench/bare-proxy.ts"), backendUrl], "the bare proxy");
}

function nodeVersion(): string {
  return Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
}

// claude-code-router 2.0.0 as its users run it (`ccr start`, on Node), from a home of its own,
// its one provider the same backend, logging off.
async function startClaudeCodeRouter(backendUrl: string) {
  const prefix = join(ROOT, ".tmp/claude-code-router");
  const cli = join(prefix, "node_modules/@musistudio/claude-code-router/dist/cli.js");
  if (!existsSync(cli)) {
    mkdirSync(prefix, { recursive: true });
    const install = Bun.spawnSync(
      ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", prefix, `@musistudio/claude-code-router@${CCR_VERSION}`],
      { stdout: "inherit", stderr: "inherit" },
    );
    if (install.exitCode !== 0) throw new Error("npm could not install claude-code-router (BENCH_NO_CCR=1 runs without it)");
  }
  const home = mkdtempSync(join(tmpdir(), "ccr-bench-"));
  const port = await freePort();
  mkdirSync(join(home, ".claude-code-router"));
  writeFileSync(
    join(home, ".claude-code-router/config.json"),
    JSON.stringify({
      LOG: false,
      PORT: port,
      HOST: "127.0.0.1",
      API_TIMEOUT_MS: 600000,
      Providers: [{ name: "local", api_base_url: `${backendUrl}/chat/completions`, api_key: "bench", models: ["bench-model"] }],
      Router: { default: "local,bench-model" },
    }),
  );
  const child = Bun.spawn(["node", cli, "start"], { env: { PATH: process.env.PATH ?? "", HOME: home }, stdout: "ignore", stderr: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, "/");
  return { url, rssMb: () => rssMb(child.pid), stop: () => child.kill() };
}

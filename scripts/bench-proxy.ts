// `make bench-proxy`: what anyclaude costs on the way. Everything side by side in one run,
// alternating, medians reported (the machine is shared and noisy; compare ratios, not absolutes).
// - time to first byte and to the end of a streamed reply, direct to the emulated LM Studio vs
//   through the daemon, with Claude Code's real 76 KB request;
// - translation alone: normalize + route + translate of that request, in process;
// - the daemon's resident memory (a separate `serve` process) before and after load.
import { readFileSync } from "node:fs";
import { startLmStudioServer } from "../test/emulators";
import { freePort } from "../test/support/compiled-binary";
import { recordedRequest } from "../test/support/claude-code-fixture";
import { resolveConfig } from "../src/config/resolve-config";
import { BackendPool } from "../src/backends/backend-pool";
import { normalizeRequest } from "../src/routing/normalize-request";
import { resolveRoute } from "../src/routing/resolve-route";
import { convertToOpenAIRequest } from "../src/translate/convert-to-openai-request";

const ROUNDS = 40;
const request = recordedRequest("tool-loop-2").body;

// Chunks 2 ms apart, as a model decoding at a few hundred tokens a second.
const lmstudio = await startLmStudioServer({ contextLength: 1_000_000, decodeDelayMs: 2, respond: () => ({ text: "word ".repeat(100) }) });
const port = await freePort();
const daemon = Bun.spawn([process.execPath, "src/cli/main.ts", "serve", "--port", String(port)], {
  env: { ...process.env, LMSTUDIO_URL: lmstudio.url, MLX_LM_URL: "http://127.0.0.1:9/v1", ANYCLAUDE_CONFIG: "/nonexistent" },
  stdout: "ignore",
  stderr: "ignore",
});
await waitForHealth(`http://127.0.0.1:${port}`);
const rssBefore = rssOf(daemon.pid);

// The same request both ways: the translated body direct, the Anthropic body through the daemon.
const translated = convertToOpenAIRequest(normalizeRequest({ ...request, stream: true }, new Headers()).request, { backend: "lmstudio", model: "qwen/qwen3-coder-30b", images: true, includeTools: true, cleanToolSchemas: true }).body;
const direct = () => timeStream(`${lmstudio.url}/chat/completions`, translated);
const proxied = () => timeStream(`http://127.0.0.1:${port}/v1/messages`, { ...request, stream: true });

const samples = { direct: [] as Timing[], proxied: [] as Timing[] };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so neither side always runs on a warmer machine.
  if (round % 2 === 0) samples.direct.push(await direct()), samples.proxied.push(await proxied());
  else samples.proxied.push(await proxied()), samples.direct.push(await direct());
}
const rssAfter = rssOf(daemon.pid);

const translation = timeTranslation();
daemon.kill();
await lmstudio.stop();

const row = (name: string, pick: (timing: Timing) => number) => {
  const d = median(samples.direct.map(pick));
  const p = median(samples.proxied.map(pick));
  return `| ${name} | ${d.toFixed(2)} ms | ${p.toFixed(2)} ms | ${(p / d).toFixed(2)}x | +${(p - d).toFixed(2)} ms |`;
};
process.stdout.write(
  [
    `Claude Code request of ${(JSON.stringify(request).length / 1024).toFixed(0)} KB (${request.tools?.length} tools), streamed reply of 100 words in chunks 2 ms apart, ${ROUNDS} rounds alternating, medians:`,
    "",
    "| measure | direct to emulator | through anyclaude | ratio | added |",
    "| --- | --- | --- | --- | --- |",
    row("time to first byte", (timing) => timing.firstByte),
    row("time to last byte", (timing) => timing.total),
    "",
    `translation alone (normalize, route, translate), in process: median ${translation.toFixed(3)} ms per request`,
    `daemon resident memory: ${rssBefore} MB idle, ${rssAfter} MB after ${ROUNDS} requests`,
    "",
  ].join("\n"),
);

type Timing = { firstByte: number; total: number };

async function timeStream(url: string, body: unknown): Promise<Timing> {
  const start = performance.now();
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const reader = response.body!.getReader();
  let firstByte = 0;
  while (true) {
    const { done } = await reader.read();
    if (!firstByte) firstByte = performance.now() - start;
    if (done) break;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
  return { firstByte, total: performance.now() - start };
}

function timeTranslation(): number {
  const config = resolveConfig({}, {});
  const pool = new BackendPool(config.backends, fetch);
  const times: number[] = [];
  for (let round = 0; round < 200; round++) {
    const start = performance.now();
    const normalized = normalizeRequest(request, new Headers());
    const route = resolveRoute(normalized, { routing: config.routing, backends: pool.backends, isHealthy: () => true });
    convertToOpenAIRequest(normalized.request, { backend: route.backend.config.name, model: "m", images: true, includeTools: route.includeTools, cleanToolSchemas: true });
    times.push(performance.now() - start);
  }
  return median(times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function waitForHealth(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`${url}/anyclaude/health`).then((response) => response.ok, () => false)) return;
    await Bun.sleep(50);
  }
  throw new Error(`the daemon did not start at ${url}`);
}

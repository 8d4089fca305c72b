// `bun scripts/bench-team.ts`: one daemon for a team, in memory. BENCH_CLIENTS (16) Claude Code
// sessions at once, each its own person's token and a long conversation that grows by a tool
// loop every request (growing-conversation.ts) from ~75 KB to BENCH_KB (400) KB, streamed through
// the daemon (its own process, from source unless BENCH_DAEMON names a command) to a backend that
// streams a short reply (20 words BENCH_WORD_MS (2) apart). Reports the daemon's resident memory
// at start, its peak, and after 10 and 30 s idle, and the median request at the start and at the
// end. The same load goes first through a bare proxy (scripts/bench/bare-proxy.ts: the body
// forwarded untouched), in this run: on 2 cores, 16 clients, the backend and the proxy share the
// CPU, so what a request costs the daemon is its median minus the bare proxy's.
import { join } from "node:path";
import { idleRss, percentile, startDaemonProcess, startUrlProcess } from "./bench/daemon-process";
import { startStreamBackendProcess } from "./bench/stream-backend";
import { growingConversation, turnOfSize } from "./bench/growing-conversation";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const TARGET_KB = Number(process.env.BENCH_KB ?? 400);
const IDLE_SECONDS = [10, 30];

type Timed = { turn: number; ms: number };
type Load = { times: Timed[]; failures: number };

const backend = await startStreamBackendProcess({ words: 20, delayMs: Number(process.env.BENCH_WORD_MS ?? 2) });
const conversations = Array.from({ length: CLIENTS }, (_, client) => growingConversation({ resultChars: 1_500, seed: `c${client}` }));
const lastTurn = turnOfSize(conversations[0]!, TARGET_KB * 1024);

const bare = await startUrlProcess([process.execPath, join(import.meta.dir, "bench/bare-proxy.ts"), backend.url], "the bare proxy");
const floor = await runLoad((client) => ({ url: `${bare.url}/v1/messages`, headers: {}, done: "[DONE]", client }));
bare.stop();

const daemonCommand = process.env.BENCH_DAEMON?.split(" ") ?? [process.execPath, join(import.meta.dir, "../src/cli/main.ts")];
const authTokens = Object.fromEntries(Array.from({ length: CLIENTS }, (_, client) => [`person${client}`, `token-${client}-${crypto.randomUUID()}`]));
const daemon = await startDaemonProcess([{ name: "local", kind: "openai", url: backend.url, tools: true }], {
  command: daemonCommand,
  settings: { coalescePrefills: false, authTokens },
});
await Bun.sleep(1_000);
const rssStart = daemon.rssMb();
let rssPeak = rssStart;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, daemon.rssMb())), 100);
const through = await runLoad((client) => ({
  url: `${daemon.url}/v1/messages?beta=true`,
  headers: { "x-api-key": authTokens[`person${client}`]!, "x-claude-code-session-id": `session-${client}` },
  done: "message_stop",
  client,
}));
clearInterval(sampler);
const rssAfter = daemon.rssMb();
const rssIdle = await idleRss(daemon, IDLE_SECONDS);
daemon.stop();
await backend.stop();

const tenth = Math.max(1, Math.floor(lastTurn / 10));
const p50 = (load: Load, first: boolean) =>
  percentile(
    load.times.filter(({ turn }) => (first ? turn < tenth : turn > lastTurn - tenth)).map(({ ms }) => ms),
    50,
  );
const bodyKb = (turn: number) => (JSON.stringify(conversations[0]!.turn(turn)).length / 1024).toFixed(0);
const row = (label: string, load: Load) =>
  `${label}: ${p50(load, true).toFixed(1)} ms over the first tenth of turns, ${p50(load, false).toFixed(1)} ms over the last`;
const added = (first: boolean) => (p50(through, first) - p50(floor, first)).toFixed(1);
process.stdout.write(
  [
    `${CLIENTS} persons, one session each, at once: ${lastTurn + 1} streamed requests each, the conversation growing from ${bodyKb(0)} KB to ${bodyKb(lastTurn)} KB (${through.times.length} requests; ${through.failures} failed through the daemon, ${floor.failures} through the bare proxy)`,
    row("whole request p50, bare proxy", floor),
    row("whole request p50, daemon    ", through),
    `the daemon's share (its p50 minus the bare proxy's): ${added(true)} ms first, ${added(false)} ms last`,
    `daemon resident memory: ${rssStart.toFixed(0)} MB at start, ${rssPeak.toFixed(0)} MB peak, ${rssAfter.toFixed(0)} MB when the load ended, ${IDLE_SECONDS.map((seconds, index) => `${rssIdle[index]!.toFixed(0)} MB after ${seconds} s idle`).join(", ")}`,
    "",
  ].join("\n"),
);
process.exit(through.failures + floor.failures > 0 ? 1 : 0);

// Every client sends its conversation turn after turn, all clients at once; a request counts as
// served when its stream ends as the protocol says (`done`).
async function runLoad(target: (client: number) => { url: string; headers: Record<string, string>; done: string; client: number }): Promise<Load> {
  const load: Load = { times: [], failures: 0 };
  await Promise.all(
    conversations.map(async (conversation, client) => {
      const { url, headers, done } = target(client);
      for (let turn = 0; turn <= lastTurn; turn++) {
        const body = JSON.stringify({ ...conversation.turn(turn), stream: true });
        const started = performance.now();
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
        const text = await response.text();
        if (!response.ok || !text.includes(done)) load.failures++;
        load.times.push({ turn, ms: performance.now() - started });
      }
    }),
  );
  return load;
}

// `bun scripts/bench-team.ts`: one daemon for a team, in memory. BENCH_CLIENTS (16) Claude Code
// sessions at once, each its own person's token and a long conversation that grows by a tool
// loop every request (growing-conversation.ts) from ~75 KB to BENCH_KB (400) KB, streamed through
// the daemon (its own process, from source unless BENCH_DAEMON names a command) to a backend that
// streams a short reply (20 words BENCH_WORD_MS (2) apart). Reports the daemon's resident memory at start, its peak, and after 10
// and 30 s idle, and the median added cost of a request at the start and at the end.
import { join } from "node:path";
import { idleRss, percentile, startDaemonProcess } from "./bench/daemon-process";
import { startStreamBackendProcess } from "./bench/stream-backend";
import { growingConversation, turnOfSize } from "./bench/growing-conversation";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const TARGET_KB = Number(process.env.BENCH_KB ?? 400);
const IDLE_SECONDS = [10, 30];

const backend = await startStreamBackendProcess({ words: 20, delayMs: Number(process.env.BENCH_WORD_MS ?? 2) });
const daemonCommand = process.env.BENCH_DAEMON?.split(" ") ?? [process.execPath, join(import.meta.dir, "../src/cli/main.ts")];
const authTokens = Object.fromEntries(Array.from({ length: CLIENTS }, (_, client) => [`person${client}`, `token-${client}-${crypto.randomUUID()}`]));
const daemon = await startDaemonProcess([{ name: "local", kind: "openai", url: backend.url, tools: true }], { command: daemonCommand, settings: { coalescePrefills: false, authTokens } });

const conversations = Array.from({ length: CLIENTS }, (_, client) => growingConversation({ resultChars: 1_500, seed: `c${client}` }));
const lastTurn = turnOfSize(conversations[0]!, TARGET_KB * 1024);
await Bun.sleep(1_000);
const rssStart = daemon.rssMb();
let rssPeak = rssStart;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, daemon.rssMb())), 100);
const times: { turn: number; ms: number }[] = [];
let failures = 0;
await Promise.all(
  conversations.map(async (conversation, client) => {
    for (let turn = 0; turn <= lastTurn; turn++) {
      const body = JSON.stringify({ ...conversation.turn(turn), stream: true });
      const started = performance.now();
      const response = await fetch(`${daemon.url}/v1/messages?beta=true`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": authTokens[`person${client}`]!, "x-claude-code-session-id": `session-${client}` }, body });
      const text = await response.text();
      if (!response.ok || !text.includes("message_stop")) failures++;
      times.push({ turn, ms: performance.now() - started });
    }
  }),
);
clearInterval(sampler);
const rssAfter = daemon.rssMb();
const rssIdle = await idleRss(daemon, IDLE_SECONDS);
daemon.stop();
await backend.stop();
const bodyKb = (turn: number) => (JSON.stringify(conversations[0]!.turn(turn)).length / 1024).toFixed(0);
const tenth = Math.max(1, Math.floor(lastTurn / 10));
const early = times.filter(({ turn }) => turn < tenth).map(({ ms }) => ms);
const late = times.filter(({ turn }) => turn > lastTurn - tenth).map(({ ms }) => ms);
process.stdout.write(
  [
    `${CLIENTS} persons, one session each, at once: ${lastTurn + 1} streamed requests each, the conversation growing from ${bodyKb(0)} KB to ${bodyKb(lastTurn)} KB (${times.length} requests, ${failures} failed)`,
    `whole request p50: ${percentile(early, 50).toFixed(1)} ms over the first tenth of turns, ${percentile(late, 50).toFixed(1)} ms over the last`,
    `daemon resident memory: ${rssStart.toFixed(0)} MB at start, ${rssPeak.toFixed(0)} MB peak, ${rssAfter.toFixed(0)} MB when the load ended, ${IDLE_SECONDS.map((seconds, index) => `${rssIdle[index]!.toFixed(0)} MB after ${seconds} s idle`).join(", ")}`,
    "",
  ].join("\n"),
);
process.exit(failures > 0 ? 1 : 0);

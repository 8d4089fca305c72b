// Prints the real-server suite's figures (.tmp/real-figures/, written by test/real/) as the
// Markdown tables of the README's performance section.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const DIR = ".tmp/real-figures";
if (!existsSync(DIR)) throw new Error(`${DIR} is missing: run make test-real first`);
const figures = Object.fromEntries(readdirSync(DIR).map((name) => [name.replace(/\.json$/, ""), JSON.parse(readFileSync(join(DIR, name), "utf8"))]));
const named = (prefix: string) =>
  Object.entries(figures)
    .filter(([name]) => name.startsWith(prefix))
    .map(([, value]) => value);

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

console.log("Seed test: 18,490-token Claude Code prompt, five questions (time to first token; cached/prompt tokens)\n");
console.log("| server | query 1 | query 2 | query 3 | query 4 | query 5 | speedup |\n|---|---|---|---|---|---|---|");
for (const run of named("seed-")) {
  const cells = run.queries.map((query: any) => `${seconds(query.ttftMs)} (${query.cachedTokens}/${query.promptTokens})`);
  console.log(`| ${run.server} | ${cells.join(" | ")} | ${run.speedup}x |`);
}

for (const run of named("bench-")) {
  console.log(`\nanyclaude bench on llama-server: ${run.queries.map((query: any) => seconds(query.ttftMs)).join(", ")} (speedup ${run.speedup}x)`);
}

console.log("\nReuse per follow-up: cached tokens / (previous prompt + its reply), as the server reported; in brackets, the tokens it computed again\n");
console.log("| template | server | turns | min | median |\n|---|---|---|---|---|");
for (const run of named("reuse-")) {
  const reuse = run.turns.map((turn: any) => turn.reuse).sort((a: number, b: number) => a - b);
  const cell = (value: number | undefined) => (value === undefined ? "-" : `${(100 * value).toFixed(1)}%`);
  console.log(
    `| ${run.template} | ${run.server} | ${run.turns.map((turn: any) => `${turn.kind} ${cell(turn.reuse)} (${turn.lostTokens})`).join(", ")} | ${cell(reuse[0])} | ${cell(reuse[Math.floor(reuse.length / 2)])} |`,
  );
}

console.log("\nReal Claude Code sessions: tokens evaluated anew per request, per run (the server's own count)\n");
console.log("| path | runs |\n|---|---|");
for (const run of named("claude-code-").filter((entry) => entry.runs)) {
  console.log(`| ${run.path} | ${run.runs.map((entry: any) => entry.evaluated.join(" + ")).join(" / ")} |`);
}

console.log(
  "\nThe newest Claude Code with tool search: an MCP server's tool and CronList loaded with ToolSearch and called, then --continue; tokens evaluated anew per request\n",
);
console.log("| path | Claude Code | run 1: ToolSearch, MCP tool, CronList, answer | run 2: --continue |\n|---|---|---|---|");
for (const run of named("tool-search-").filter((entry) => entry.runs)) {
  console.log(`| ${run.path} | ${run.claudeCode} | ${run.runs[0].evaluated.join(" + ")} | ${run.runs[1].evaluated.join(" + ")} |`);
}
for (const run of named("tool-search-setting")) {
  console.log(
    `\nFirst request's prompt (${run.path}): ${run.settings.map((entry: any) => `${entry.setting} ${entry.promptTokens} tokens, ${entry.tools} tools`).join("; ")}`,
  );
}

console.log("\nParallel agents: N requests at once sharing an 8.4k-token prefix; tokens the server evaluated (time until all answered)\n");
console.log(
  "| server | requests | sent together, direct | through anyclaude (coalesced) | one first, then the others | coalesced / lower bound |\n|---|---|---|---|---|---|",
);
for (const run of named("parallel-agents-").sort((a, b) => a.server.localeCompare(b.server) || a.requests - b.requests)) {
  const way = (entry: any) => `${entry.tokens.toLocaleString("en-US")} (${seconds(entry.allAnsweredMs)})`;
  console.log(`| ${run.server} | ${run.requests} | ${way(run.direct)} | ${way(run.coalesced)} | ${way(run.lowerBound)} | ${run.coalescedToLowerBound}x |`);
}

for (const run of named("claude-code-agents-")) {
  const row = (way: string) => `${way}: ${run[way].firstRound.join(" + ")}`;
  console.log(
    `\nClaude Code ${run.claudeCode}'s three parallel Explore agents on llama-server, tokens of each agent's first request: ${row("separate")} (coalescePrefills false); ${row("coalesced")} (anyclaude)`,
  );
}

for (const run of named("interleaved-sessions-")) {
  const ways = Object.entries(run.ways)
    .map(([way, figures]: [string, any]) => `${way} ${figures.followUpSum}`)
    .join("; ");
  console.log(`\n${run.sessions} interleaved sessions on llama-server (${run.slots} slots), tokens of the follow-ups: ${ways}`);
}

console.log(
  "\nReplicas: three llama-servers, 12 sessions, one killed midway; prefill tokens (servers' counts) against the bound (each distinct prefix once per replica)\n",
);
console.log(
  "| llama-server | requests | failed | per replica (requests) | sessions moved | prefill | bound | ratio | floor | time |\n|---|---|---|---|---|---|---|---|---|---|",
);
for (const run of named("replicas-")) {
  const perReplica = Object.values(run.perReplica)
    .map((replica: any) => replica.requests)
    .join(" / ");
  console.log(
    `| ${run.setting} | ${run.requests} | ${run.failures.length} | ${perReplica} | ${run.moved.length} | ${run.measuredPrefillTokens.toLocaleString("en-US")} | ${run.lowerBoundTokens.toLocaleString("en-US")} | ${run.ratio} | ${run.placementFreeFloorTokens.toLocaleString("en-US")} | ${run.seconds} s |`,
  );
}

console.log(
  "\nA long session through the launcher on a small context (turns of pasted text, past two compactions): per request, tokens computed / prompt; C compaction, F first request after one, R refused by the daemon (prompt is too long), X failed\n",
);
console.log("| path | Claude Code | context | requests | first after each compaction |\n|---|---|---|---|---|");
for (const run of named("long-session-")) {
  const mark: Record<string, string> = { compaction: "C ", "first after compaction": "F ", refused: "R", failed: "X " };
  const cell = (request: any) =>
    request.kind === "refused"
      ? "R"
      : `${mark[request.kind] ?? ""}${request.computed.toLocaleString("en-US")}/${request.prompt.toLocaleString("en-US")}${request.kind === "failed" ? ` (${request.status})` : ""}`;
  const after = run.firstAfterCompaction.map((request: any) => `${(100 * request.share).toFixed(0)}%`).join(", ") || "-";
  console.log(`| ${run.path} | ${run.claudeCode} | ${run.context.toLocaleString("en-US")} | ${run.requests.map(cell).join(", ")} | ${after} |`);
}

// The client suite: per row, what clients ask for (each case's `asks`), how many of the cases that
// ask it each path passed, over every client; then each client's own cases.
const clientRuns = named("clients-");
const clientPaths = clientRuns.length ? Object.keys((Object.values(clientRuns[0].cases)[0] as any).paths) : [];
const clientCases = (run: any) => Object.entries(run.cases) as [string, { asks: string; paths: Record<string, string> }][];
const tally = (entries: { paths: Record<string, string> }[], path: string) =>
  `${entries.filter((entry) => entry.paths[path] === "pass").length}/${entries.length}`;
console.log(`\nClients (${clientRuns.map((run) => `${run.client} ${run.version}`).join("; ")}): cases passed per path\n`);
console.log(`| the client asks for | ${clientPaths.join(" | ")} |\n|---|${clientPaths.map(() => "---|").join("")}`);
for (const asks of [...new Set(clientRuns.flatMap((run) => clientCases(run).map(([, entry]) => entry.asks)))]) {
  const entries = clientRuns.flatMap((run) =>
    clientCases(run)
      .map(([, entry]) => entry)
      .filter((entry) => entry.asks === asks),
  );
  console.log(`| ${asks} | ${clientPaths.map((path) => tally(entries, path)).join(" | ")} |`);
}
for (const run of clientRuns) {
  console.log(`\n${run.client} (${run.version})\n\n| case | ${clientPaths.join(" | ")} |\n|---|${clientPaths.map(() => "---|").join("")}`);
  for (const [name, entry] of clientCases(run))
    console.log(`| ${name} | ${clientPaths.map((path) => (entry.paths[path] === "pass" ? "✓" : "✗")).join(" | ")} |`);
}

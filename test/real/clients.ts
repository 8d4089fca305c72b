// The client suite's harness (test/real/clients-*.test.ts): real clients, each a script under
// clients/ that runs every case of the suite as the client's documentation shows and prints what
// the client returned, sent along each path a user may take: anyclaude in front of llama-server
// (its chat completions, and its own /v1/messages: the "anthropic" kind), anyclaude in front of
// mlx_lm.server, and llama-server's own /v1/messages straight (where anyclaude must do at least
// as well). Each case's check is applied to every path; the outcomes of all are kept as figures.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BackendKind } from "../../src/config/config-schema";
import { saveFigures } from "./figures";
import { daemonFor, type RealStack } from "./real-stack";
import { describeReal, manifest, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";

// What a client may demand of a reply, which only some servers can be made to do (README, "Other
// servers"): a named tool, any tool, a JSON schema, the stop sequence that ended the reply.
export type Demand = "forcedTool" | "anyTool" | "schema" | "stopSequence";
export type Path = { name: string; url: string; viaAnyclaude: boolean; holds: Demand[] };
export type Outcome = { ok?: any; error?: { type: string; message: string; status: number | null; trace: string } };
export type Outcomes = Record<string, Outcome>;
export type Paths = { paths: Path[]; stop(): Promise<void> };
// A client: its name and version as the figures show them, the command that runs its script.
export type Client = { client: string; version: () => string; command: () => string[]; cases: Cases };

const SCRIPTS = join(import.meta.dir, "clients");
const OUTCOMES = join(import.meta.dir, "../../.tmp/clients");

// llama-server with its default 4 slots, as users start it; the coder test model takes tools.
// What each path holds: llama-server's chat completions take a JSON schema (response_format) and
// tool_choice "required", and tell the stop word; its own /v1/messages reads a named tool as any
// tool and ignores output_config.format; mlx_lm.server 0.32.2 reads neither tool_choice nor
// response_format and does not say which stop word ended a reply.
export async function startPaths(): Promise<Paths> {
  const llama = await startLlamaServer("qwen3-coder", { slots: 4 });
  const mlx = await startMlxLmServer("qwen3-coder").catch(async (error) => {
    await llama.stop();
    throw error;
  });
  const servers: RealServer[] = [llama, mlx];
  const stacks: RealStack[] = [];
  const via = async (server: RealServer, kind: BackendKind, name: string, holds: Demand[]): Promise<Path> => {
    const stack = await daemonFor(server, kind);
    stacks.push(stack);
    return { name, url: stack.url, viaAnyclaude: true, holds };
  };
  const paths = [
    await via(llama, "openai", "anyclaude (openai) -> llama-server", ["forcedTool", "anyTool", "schema", "stopSequence"]),
    await via(llama, "anthropic", "anyclaude (anthropic) -> llama-server", ["anyTool", "stopSequence"]),
    await via(mlx, "mlx-lm", "anyclaude (mlx-lm) -> mlx_lm.server", []),
    { name: "llama-server's own /v1/messages", url: llama.root, viaAnyclaude: false, holds: [] },
  ];
  return {
    paths,
    async stop() {
      await Promise.all(stacks.map((stack) => stack.stop()));
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

// A client script's command: Python scripts run in the clients' virtualenv, .mjs ones in the
// runtime named (node, or this Bun).
export function clientCommand(script: string, runtime: "python" | "node" | "bun"): string[] {
  const program = runtime === "python" ? manifest().clients.python : runtime === "node" ? "node" : process.execPath;
  return [program, join(SCRIPTS, script)];
}

// The version of an npm client this checkout installed.
export function packageVersion(name: string): string {
  return JSON.parse(readFileSync(join(import.meta.dir, "../../node_modules", name, "package.json"), "utf8")).version;
}

// What a client returned on a path is also written to .tmp/clients/, to read when a case fails.
export async function runClient(command: string[], path: Path, client: string): Promise<Outcomes> {
  const started = performance.now();
  const child = Bun.spawn([...command, path.url], { stdout: "pipe", stderr: "pipe", cwd: SCRIPTS });
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  if (exitCode !== 0) throw new Error(`${command.join(" ")} ${path.url} exited ${exitCode}:\n${stderr.slice(-3000)}`);
  mkdirSync(OUTCOMES, { recursive: true });
  writeFileSync(
    join(OUTCOMES, `${slug(client)}--${slug(path.name)}.json`),
    `${JSON.stringify({ seconds: (performance.now() - started) / 1000, outcomes: JSON.parse(stdout) }, null, 2)}\n`,
  );
  return JSON.parse(stdout);
}

const slug = (name: string) => name.replace(/\W+/g, "-").replace(/^-|-$/g, "").toLowerCase();

// What the client returned for a case, or a failure saying what it raised instead.
export function returned(outcome: Outcome | undefined): any {
  if (!outcome) throw new Error("the client did not run this case");
  if (outcome.error)
    throw new Error(`the client raised ${outcome.error.type} (${outcome.error.status ?? "no status"}): ${outcome.error.message}\n${outcome.error.trace}`);
  return outcome.ok;
}

export type Check = (value: any, path: Path) => void;
// asks: what the client asks for, in words: cases of different clients that ask the same are one
// row of the README's table (scripts/real/report.ts).
export type Cases = Record<string, { asks: string; check: Check; needs?: Demand }>;
export type CaseFigures = Record<string, { asks: string; paths: Record<string, string> }>;

// One case on every path, its outcome per path kept in `figures`. Through anyclaude it must hold
// unless it needs what the path's server cannot be made to do; llama-server's own /v1/messages is
// only recorded, beside anyclaude on the same server (so anyclaude is at least as good wherever
// the case must hold).
function checkCase(results: Map<Path, Outcomes>, name: string, { asks, check, needs }: Cases[string], figures: CaseFigures): void {
  const record: Record<string, string> = {};
  figures[name] = { asks, paths: record };
  const failures: string[] = [];
  for (const [path, outcomes] of results) {
    try {
      check(returned(outcomes[name]), path);
      record[path.name] = "pass";
    } catch (error) {
      const message = String((error as Error).message);
      record[path.name] = `fail: ${message.split("\n").slice(0, 3).join(" ").slice(0, 300)}`;
      if (path.viaAnyclaude && (!needs || path.holds.includes(needs))) failures.push(`${path.name}: ${message}`);
    }
  }
  expect(failures).toEqual([]);
}

function saveClientFigures(client: string, version: string, cases: CaseFigures): void {
  saveFigures(`clients-${slug(client)}`, { client, version, cases });
}

// The servers once for a file; per client, its script on every path at once, then a test per case.
export function describeClients(title: string, clients: Client[]): void {
  describeReal(title, () => {
    let paths: Paths;
    beforeAll(async () => {
      paths = await startPaths();
    }, 300_000);
    afterAll(() => paths?.stop(), 60_000);

    describe.each(clients)("$client", ({ client, version, command, cases }) => {
      const results = new Map<Path, Outcomes>();
      const figures: CaseFigures = {};
      beforeAll(async () => {
        const outcomes = await Promise.all(paths.paths.map((path) => runClient(command(), path, client)));
        paths.paths.forEach((path, index) => results.set(path, outcomes[index]!));
      }, 300_000);
      afterAll(() => saveClientFigures(client, version(), figures));

      for (const [name, entry] of Object.entries(cases)) test(name, () => checkCase(results, name, entry, figures));
    });
  });
}

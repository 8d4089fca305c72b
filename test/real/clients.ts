// The client suite's harness (test/real/clients-*.test.ts): real clients, each a script under
// clients/ that runs every case of the suite as the client's documentation shows and prints what
// the client returned, sent along each path a user may take: anyclaude in front of llama-server
// (its chat completions, and its own /v1/messages: the "anthropic" kind), anyclaude in front of
// mlx_lm.server, and llama-server's own /v1/messages straight (where anyclaude must do at least
// as well). Each case's check is applied to every path; the outcomes of all are kept as figures.
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BackendKind } from "../../src/config/config-schema";
import { saveFigures } from "./figures";
import { daemonFor, type RealStack } from "./real-stack";
import { manifest, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";

export type Path = { name: string; url: string; viaAnyclaude: boolean; grammar: boolean };
export type Outcome = { ok?: any; error?: { type: string; message: string; status: number | null; trace: string } };
export type Outcomes = Record<string, Outcome>;
export type Paths = { paths: Path[]; stop(): Promise<void> };

const SCRIPTS = join(import.meta.dir, "clients");

// llama-server with its default 4 slots, as users start it; the coder test model takes tools.
// `grammar`: the server can constrain what the model writes (llama-server's tool_choice and JSON
// schemas); mlx_lm.server 0.32 takes neither, so a forced tool or a schema cannot hold there.
export async function startPaths(): Promise<Paths> {
  const llama = await startLlamaServer("qwen3-coder", { slots: 4 });
  const mlx = await startMlxLmServer("qwen3-coder");
  const servers: RealServer[] = [llama, mlx];
  const stacks: RealStack[] = [];
  const via = async (server: RealServer, kind: BackendKind, name: string, grammar: boolean): Promise<Path> => {
    const stack = await daemonFor(server, kind);
    stacks.push(stack);
    return { name, url: stack.url, viaAnyclaude: true, grammar };
  };
  const paths = [
    await via(llama, "openai", "anyclaude (openai) -> llama-server", true),
    await via(llama, "anthropic", "anyclaude (anthropic) -> llama-server", true),
    await via(mlx, "mlx-lm", "anyclaude (mlx-lm) -> mlx_lm.server", false),
    { name: "llama-server's own /v1/messages", url: llama.root, viaAnyclaude: false, grammar: true },
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

export async function runClient(command: string[], path: Path): Promise<Outcomes> {
  const child = Bun.spawn([...command, path.url], { stdout: "pipe", stderr: "pipe", cwd: SCRIPTS });
  const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  if (exitCode !== 0) throw new Error(`${command.join(" ")} ${path.url} exited ${exitCode}:\n${stderr.slice(-3000)}`);
  return JSON.parse(stdout);
}

// What the client returned for a case, or a failure saying what it raised instead.
export function returned(outcome: Outcome | undefined): any {
  if (!outcome) throw new Error("the client did not run this case");
  if (outcome.error) throw new Error(`the client raised ${outcome.error.type} (${outcome.error.status ?? "no status"}): ${outcome.error.message}\n${outcome.error.trace}`);
  return outcome.ok;
}

export type Check = (value: any, path: Path) => void;

// One case on every path, its outcome per path kept in `figures`: it must hold through
// anyclaude; on the direct path it is only recorded (anyclaude is then at least as good wherever
// the server itself is). A case that needs the server's grammar must hold where the server has
// one, and is recorded elsewhere.
export function checkCase(results: Map<Path, Outcomes>, name: string, check: Check, figures: Record<string, Record<string, string>>, options: { needsGrammar?: boolean } = {}): void {
  const record: Record<string, string> = (figures[name] = {});
  const failures: string[] = [];
  for (const [path, outcomes] of results) {
    try {
      check(returned(outcomes[name]), path);
      record[path.name] = "pass";
    } catch (error) {
      const message = String((error as Error).message);
      record[path.name] = `fail: ${message.split("\n").slice(0, 3).join(" ").slice(0, 300)}`;
      if (path.viaAnyclaude && (path.grammar || !options.needsGrammar)) failures.push(`${path.name}: ${message}`);
    }
  }
  expect(failures).toEqual([]);
}

export function saveClientFigures(client: string, version: string, cases: Record<string, Record<string, string>>): void {
  saveFigures(`clients-${client.replace(/\W+/g, "-").toLowerCase()}`, { client, version, cases });
}

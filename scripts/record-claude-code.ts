// Records what the real Claude Code CLI sends, as test fixtures. A stand-alone capture server (no
// anyclaude in between) answers like the Anthropic API with fixed replies and writes every request.
//   bun scripts/record-claude-code.ts [out-dir [scenario...]]
//       runs `claude -p` scenarios (plain question, Write tool loop, --continue, title request,
//       non-streaming fallback) in a temporary HOME and working directory and writes
//       <scenario>[-turnN].request.json fixtures with stable paths (secrets masked, nothing else changed).
//   bun scripts/record-claude-code.ts serve [--port N] [--out DIR] [--tool-loop] [--reply-model NAME]
//       [--no-start-usage] [--no-message-start]
//       only the capture server: prints its URL, writes NN-<kind>.json per request into DIR.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

type Json = Record<string, any>;
export type Recorded = { method: string; path: string; headers: Record<string, string>; body: unknown };
export type RecorderOptions = {
  port?: number;
  outDir?: string;
  // Answer the first main request that has tools with a Write tool_use, then text after the tool_result.
  toolLoop?: boolean;
  // Answer main requests with these tool calls in turn (tool search: ToolSearch, then the tool it
  // loaded), then with text.
  toolCalls?: { name: string; input: Record<string, unknown> }[];
  // Experiments: a different `model` in the reply, no usage in message_start, no message_start at all.
  replyModel?: string;
  noStartUsage?: boolean;
  noMessageStart?: boolean;
};

const TOOL_USE_ID = "toolu_01RecorderWriteTestTxt0001";

export function startRecorder(options: RecorderOptions = {}) {
  const recorded: { kind: string; request: Recorded; at: number }[] = [];
  let toolUseSent = false;
  let counter = 0;
  const save = (kind: string, request: Recorded) => {
    recorded.push({ kind, request, at: Date.now() });
    if (!options.outDir) return;
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, `${String(++counter).padStart(2, "0")}-${kind}.json`), `${JSON.stringify(request, null, 1)}\n`);
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {}
      const entry: Recorded = { method: request.method, path: url.pathname + url.search, headers: maskHeaders(request.headers), body };
      if ((request.method === "HEAD" || request.method === "GET") && url.pathname === "/") {
        save("probe", entry);
        return new Response(request.method === "HEAD" ? null : "ok", { status: 200 });
      }
      if (request.method === "POST" && url.pathname === "/v1/messages/count_tokens") {
        save("count-tokens", entry);
        return Response.json({ input_tokens: 10 });
      }
      if (request.method === "POST" && url.pathname === "/v1/messages") {
        const req = body as Json;
        const main = Array.isArray(req?.tools) && req.tools.length > 0;
        save(main ? "messages" : "messages-side", entry);
        const last = req?.messages?.at(-1);
        const answersTool = Array.isArray(last?.content) && last.content.some((block: Json) => block?.type === "tool_result");
        // The title request asks for structured output (output_config.format json_schema).
        const structured = req?.output_config?.format?.type === "json_schema";
        let content: Json[] = [
          { type: "text", text: structured ? JSON.stringify({ title: "Recorded session" }) : answersTool ? "Done: test.txt now holds Hello World." : "OK" },
        ];
        const calls = options.toolCalls ?? [];
        const callsSoFar = (req?.messages ?? [])
          .flatMap((message: Json) => (Array.isArray(message.content) ? message.content : []))
          .filter((block: Json) => block?.type === "tool_use").length;
        if (main && callsSoFar < calls.length) {
          const call = calls[callsSoFar]!;
          content = [{ type: "tool_use", id: `toolu_01Recorder${String(callsSoFar).padStart(12, "0")}`, name: call.name, input: call.input }];
        } else if (options.toolLoop && main && !toolUseSent && !answersTool) {
          toolUseSent = true;
          const cwd = workingDirectoryOf(req) ?? process.cwd();
          content = [{ type: "tool_use", id: TOOL_USE_ID, name: "Write", input: { file_path: `${cwd}/test.txt`, content: "Hello World" } }];
        }
        const model = options.replyModel ?? req?.model ?? "claude-recorder";
        const inputTokens = Math.ceil(text.length / 4);
        return req?.stream ? streamReply(model, content, inputTokens, options) : Response.json(messageOf(model, content, inputTokens, "done"));
      }
      save("unknown", entry);
      return Response.json(
        { type: "error", error: { type: "not_found_error", message: `${request.method} ${url.pathname} is not served by the recorder` } },
        { status: 404 },
      );
    },
  });
  // Switch behaviour between scenarios (the tool loop starts over).
  const configure = (changes: Partial<RecorderOptions>) => {
    Object.assign(options, changes);
    toolUseSent = false;
  };
  return { url: `http://127.0.0.1:${server.port}`, recorded, configure, stop: () => server.stop(true) };
}

function messageOf(model: string, content: Json[], inputTokens: number, phase: "start" | "done"): Json {
  const toolUse = content.some((block) => block.type === "tool_use");
  return {
    id: `msg_recorder${Date.now()}`,
    type: "message",
    role: "assistant",
    model,
    content: phase === "start" ? [] : content,
    stop_reason: phase === "start" ? null : toolUse ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: phase === "start" ? 1 : 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function streamReply(model: string, content: Json[], inputTokens: number, options: RecorderOptions): Response {
  const events: [string, Json][] = [];
  const start = messageOf(model, content, inputTokens, "start");
  if (options.noStartUsage) delete start.usage;
  if (!options.noMessageStart) events.push(["message_start", { type: "message_start", message: start }]);
  content.forEach((block, index) => {
    if (block.type === "text") {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }]);
      events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } }]);
    } else {
      events.push([
        "content_block_start",
        { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } },
      ]);
      const json = JSON.stringify(block.input);
      const half = Math.floor(json.length / 2);
      for (const part of [json.slice(0, half), json.slice(half)])
        events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: part } }]);
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  const done = messageOf(model, content, inputTokens, "done");
  events.push(["message_delta", { type: "message_delta", delta: { stop_reason: done.stop_reason, stop_sequence: null }, usage: { output_tokens: 12 } }]);
  events.push(["message_stop", { type: "message_stop" }]);
  const sse = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join("");
  return new Response(sse, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

function workingDirectoryOf(request: Json): string | undefined {
  const system = typeof request.system === "string" ? request.system : (request.system ?? []).map((block: Json) => block.text ?? "").join("\n");
  return /(?:Primary working directory|Working directory): (\S+)/.exec(system)?.[1];
}

function maskHeaders(headers: Headers): Record<string, string> {
  const out = Object.fromEntries(headers);
  for (const secret of ["x-api-key", "authorization"]) if (out[secret]) out[secret] = "<masked>";
  return out;
}

// Claude Code names a project's state directory after its path, non-alphanumerics turned into "-".
const projectSlug = (path: string) => path.replace(/[^a-zA-Z0-9]/g, "-");

async function recordScenarios(outDir: string, only: string[]) {
  const CLAUDE = resolve(import.meta.dir, "../node_modules/.bin/claude");
  const PLACEHOLDER = "/tmp/anyclaude-fixture";
  const home = mkdtempSync(join(tmpdir(), "anyclaude-record-"));
  const workdir = join(home, "project");
  mkdirSync(workdir);
  const recorder = startRecorder();
  const quiet = { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" };
  // name, arguments, extra environment, recorder behaviour
  const scenarios: [string, string[], Record<string, string>, Partial<RecorderOptions>][] = [
    ["plain-question", ["-p", "What is 2+2?"], quiet, {}],
    ["tool-loop", ["-p", "Create a new file called test.txt with 'Hello World'", "--allowedTools", "Write"], quiet, { toolLoop: true }],
    ["continue", ["-p", "--continue", "And what is 3+3?"], quiet, {}],
    // Without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC it also asks for a session title (no tools).
    ["with-title", ["-p", "What is 2+2?"], {}, {}],
    // A stream without message_start makes it retry the same request without `stream`.
    ["nonstreaming-fallback", ["-p", "What is 2+2?"], quiet, { noMessageStart: true }],
    // Tool search (2.1.2xx+): an MCP server's deferred tool loaded with ToolSearch, then called.
    [
      "tool-search-mcp",
      [
        "-p",
        "look up my shopping note",
        "--mcp-config",
        JSON.stringify({ mcpServers: { notes: { command: "node", args: [resolve(import.meta.dir, "../test/support/notes-mcp-server.mjs")] } } }),
        "--allowedTools",
        "mcp__notes__lookup_note",
      ],
      quiet,
      {
        toolCalls: [
          { name: "ToolSearch", input: { query: "select:mcp__notes__lookup_note,WebFetch" } },
          { name: "mcp__notes__lookup_note", input: { title: "shopping" } },
        ],
      },
    ],
  ].filter(([name]) => only.length === 0 || only.includes(name as string)) as typeof scenarios;
  const fixtures: [string, Recorded][] = [];
  for (const [scenario, args, env, behaviour] of scenarios) {
    const first = recorder.recorded.length;
    recorder.configure({ toolLoop: false, toolCalls: undefined, noMessageStart: false, ...behaviour });
    const started = performance.now();
    const child = Bun.spawn(["timeout", "120", CLAUDE, ...args], {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ANTHROPIC_BASE_URL: recorder.url, ANTHROPIC_API_KEY: "test-key", ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [exitCode, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const requests = recorder.recorded.slice(first);
    process.stdout.write(
      `${scenario}: exit ${exitCode} in ${seconds}s, ${requests.length} requests (${requests.map((entry) => `${entry.request.method} ${entry.request.path} ${entry.kind}`).join(", ")})\n  stdout: ${stdout.trim()}\n${stderr.trim() ? `  stderr: ${stderr.trim()}\n` : ""}`,
    );
    const main = requests.filter((entry) => entry.kind === "messages");
    const side = requests.filter((entry) => entry.kind !== "messages" && entry.kind !== "probe");
    main.forEach((entry, index) => fixtures.push([main.length === 1 ? scenario : `${scenario}-turn${index + 1}`, entry.request]));
    side.forEach((entry, index) => fixtures.push([`title-or-background-${scenario}${side.length === 1 ? "" : `-${index + 1}`}`, entry.request]));
  }
  const written = await Bun.file(join(workdir, "test.txt"))
    .text()
    .catch(() => "(missing)");
  process.stdout.write(`test.txt: ${JSON.stringify(written)}\n`);
  recorder.stop();
  mkdirSync(outDir, { recursive: true });
  for (const [name, request] of fixtures) {
    const text = JSON.stringify(request, null, 1)
      .replaceAll(workdir, `${PLACEHOLDER}/project`)
      .replaceAll(projectSlug(workdir), projectSlug(`${PLACEHOLDER}/project`))
      .replaceAll(home, PLACEHOLDER);
    writeFileSync(join(outDir, `${name}.request.json`), `${text}\n`);
  }
  process.stdout.write(`wrote ${fixtures.length} fixtures into ${outDir}: ${fixtures.map(([name]) => name).join(", ")}\n`);
  rmSync(home, { recursive: true, force: true });
}

if (import.meta.main) {
  const args = Bun.argv.slice(2);
  if (args[0] === "serve") {
    const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
    const recorder = startRecorder({
      port: Number(value("--port") ?? 0),
      outDir: value("--out") ?? mkdtempSync(join(tmpdir(), "claude-code-capture-")),
      toolLoop: args.includes("--tool-loop"),
      replyModel: value("--reply-model"),
      noStartUsage: args.includes("--no-start-usage"),
      noMessageStart: args.includes("--no-message-start"),
    });
    process.stdout.write(`${recorder.url} recording into ${value("--out") ?? "(temp)"}\n`);
  } else {
    await recordScenarios(args[0] ?? "test/fixtures/claude-code", args.slice(1));
  }
}

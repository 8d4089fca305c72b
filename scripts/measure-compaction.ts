// One-off measurement (issue 26, item 3): when does the real Claude Code compact on a local
// model's small context, through the anyclaude launcher as users run it? On the refused request
// (the daemon's 400 "prompt is too long") or earlier, by its own threshold? Between turns (one
// `-p` run per pasted text, then `--continue`) and mid tool loop (one run whose model reads file
// after file). The backend is the emulated LM Studio (test/emulators), which reports its loaded
// context and counts with the real Qwen3 tokenizer: what Claude Code decides depends only on what
// it reads (the counts, the 400), not on how fast a real server computes.
//
//   bun scripts/measure-compaction.ts [contexts, e.g. 16384,32768,131072] [extra env, e.g. CLAUDE_AUTOCOMPACT_PCT_OVERRIDE=10]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startLmStudioServer, textOf, type ChatBody, type ScriptedReply } from "../test/emulators";
import { freePort, runBinary, sandbox, useConfigFile } from "../test/support/compiled-binary";
import { pastedText } from "../test/support/pasted-text";
import { newestClaudeCode } from "../test/support/run-claude";

const contexts = (process.argv[2] ?? "16384,32768,131072").split(",").map(Number);
const extraEnv = Object.fromEntries(process.argv.slice(3).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
const COMPACTION = /Your task is to create a detailed summary/;
const AFTER = /This session is being continued from a previous conversation/;

type Row = { run: number; request: string; promptTokens: number; refused?: string };

// The emulated model: a summary when asked for one; in the tool loop, Read of the next file until
// `files` are read; otherwise one sentence.
function model(state: { files: number; read: number; dir: string }) {
  return (body: ChatBody): ScriptedReply => {
    const text = body.messages.map(textOf).join("\n");
    if (COMPACTION.test(text))
      return {
        text: "<analysis>The user pasted notes.</analysis>\n<summary>The user pasted several parts of notes about a daemon and asked for short replies.</summary>",
      };
    const reads = body.tools?.some((tool) => tool.function.name === "Read") && /READ THE FILES/.test(text);
    if (reads && state.read < state.files)
      return { toolCalls: [{ name: "Read", arguments: JSON.stringify({ file_path: join(state.dir, `part-${++state.read}.txt`) }) }] };
    return { text: "Noted." };
  };
}

async function measure(context: number, mode: "turns" | "tool loop"): Promise<Row[]> {
  const box = sandbox();
  const workdir = join(box.home, "project");
  mkdirSync(workdir);
  const state = { files: 0, read: 0, dir: workdir };
  const backend = await startLmStudioServer({ contextLength: context, respond: model(state) });
  const port = await freePort();
  useConfigFile(box, { port, backends: [{ name: "lmstudio", kind: "lmstudio", url: backend.url, tools: true }] });
  symlinkSync(newestClaudeCode().path, join(box.bin, "claude"));
  const env = { ...box.env, ...extraEnv };
  const logFile = join(box.home, ".local/state/anyclaude/anyclaude.log");
  const rows: Row[] = [];
  const turnTokens = Math.round(context / 8);
  let marks = { requests: 0, log: 0 };
  const collect = (run: number) => {
    const log = readFileSync(logFile, "utf8").split("\n");
    for (const line of log.slice(marks.log).filter((entry) => entry.includes("refused: 400")))
      rows.push({ run, request: "refused", promptTokens: 0, refused: line.replace(/^.*refused: /, "") });
    for (const request of backend.requests.slice(marks.requests)) {
      const text = (request.body.messages as ChatBody["messages"]).map(textOf).join("\n");
      const kind = COMPACTION.test(text) ? "compaction" : AFTER.test(text) ? "after compaction" : request.body.tools?.length ? "main" : "side";
      rows.push({ run, request: kind, promptTokens: request.promptTokens ?? 0 });
    }
    marks = { requests: backend.requests.length, log: log.length };
  };
  // Claude Code's own account (--debug): its compaction level and window, and why it compacted.
  const debugDir = join(box.home, ".claude/debug");
  const explain = (run: number, result: { exitCode: number; stdout: string; stderr: string }) => {
    const warnings = result.stderr.split("\n").filter((line) => line.trim() && !/\[anyclaude\] anyclaude (is running|started) at/.test(line));
    const files = (existsSync(debugDir) ? readdirSync(debugDir) : []).map((name) => join(debugDir, name));
    const lines = files
      .flatMap((file) => readFileSync(file, "utf8").split("\n"))
      .filter((line) => /autocompact: .*level=(?!ok)|Reactive compact|source=compact|effectiveWindow=/.test(line));
    for (const file of files) rmSync(file);
    const seen = [...new Set(lines.map((line) => line.replace(/^\S+ /, "").replace(/tokens=\S+ /, "")))];
    rows.push({
      run,
      request: `claude exit ${result.exitCode}${result.exitCode ? ` "${result.stdout.trim()}"` : ""}${warnings.length ? `, stderr: ${warnings.join(" / ")}` : ""}; ${seen.join(" | ")}`,
      promptTokens: 0,
      refused: "",
    });
  };
  try {
    if (mode === "turns") {
      for (let run = 1; run <= 14; run++) {
        const result = await runBinary(
          ["--", "-p", ...(run > 1 ? ["--continue"] : []), `${pastedText(run, turnTokens)}\n\nReply with one word.`, "--debug"],
          env,
          { cwd: workdir },
        );
        collect(run);
        explain(run, result);
        if (
          result.exitCode !== 0 ||
          (rows.some((row) => row.request === "after compaction") &&
            rows.filter((row) => row.request === "compaction").length >= 1 &&
            run > 2 &&
            !rows.slice(-3).some((row) => row.request === "compaction"))
        )
          break;
      }
    } else {
      state.files = 14;
      for (let part = 1; part <= state.files; part++) writeFileSync(join(workdir, `part-${part}.txt`), pastedText(100 + part, turnTokens));
      const result = await runBinary(
        ["--", "-p", "READ THE FILES part-1.txt to part-14.txt, one at a time, then reply with one word.", "--allowedTools", "Read", "--debug"],
        env,
        { cwd: workdir },
      );
      collect(1);
      explain(1, result);
    }
  } finally {
    await runBinary(["stop"], env);
    await backend.stop();
  }
  return rows;
}

console.log(`Claude Code ${newestClaudeCode().version}; extra env: ${JSON.stringify(extraEnv)}`);
for (const context of contexts) {
  for (const mode of ["turns", "tool loop"] as const) {
    const rows = await measure(context, mode);
    console.log(`\n## context ${context}, ${mode} (${Math.round(context / 8)} tokens a turn or file)\n`);
    console.log(
      rows
        .map(
          (row) =>
            `run ${row.run}: ${row.request}${row.refused !== undefined ? (row.refused ? ` (${row.refused})` : "") : ` ${row.promptTokens} tokens (${((100 * row.promptTokens) / context).toFixed(0)}%)`}`,
        )
        .join("\n"),
    );
  }
}

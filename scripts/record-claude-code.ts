// Records what the real Claude Code CLI sends, as test fixtures: it runs `claude -p` scenarios
// through an in-process anyclaude (in front of the emulators) and saves each /v1/messages request
// it receives. Paths and secrets are replaced so the fixtures are reproducible.
//   bun scripts/record-claude-code.ts [out-dir]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../src/config/resolve-config";
import { createApp } from "../src/server/create-app";
import { startLmStudioServer, startMlxLmServer } from "../test/emulators";
import { makeClaudeHome, runClaude } from "../test/support/run-claude";

const outDir = Bun.argv[2] ?? "test/fixtures/claude-code";
const PLACEHOLDER = "/tmp/anyclaude-fixture";

const [mlx, lmstudio] = await Promise.all([startMlxLmServer(), startLmStudioServer()]);
const { app } = createApp({ config: resolveConfig({ backends: [{ name: "lmstudio", kind: "lmstudio", url: lmstudio.url }, { name: "mlx-lm", kind: "mlx-lm", url: mlx.url }] }, {}), version: "recorder" });
const recorded: { name: string; request: unknown }[] = [];
let scenario = "";
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname.startsWith("/v1/messages")) {
      const body = await request.clone().json();
      recorded.push({ name: `${scenario}-${recorded.filter((entry) => entry.name.startsWith(scenario)).length + 1}`, request: { method: request.method, path: url.pathname + url.search, headers: maskHeaders(request.headers), body } });
    }
    return app.handle(request);
  },
});

const { home, workdir } = makeClaudeHome();
const run = (name: string, args: string[]) => {
  scenario = name;
  return runClaude(args, { baseUrl: `http://127.0.0.1:${server.port}`, home, workdir });
};
await run("plain-question", ["-p", "What is 2+2?"]);
await run("tool-loop", ["-p", "Create a new file called test.txt with 'Hello World'", "--allowedTools", "Write"]);
await run("continue", ["-p", "--continue", "And what is 3+3?"]);

mkdirSync(outDir, { recursive: true });
for (const { name, request } of recorded) {
  const text = JSON.stringify(request, null, 1).replaceAll(workdir, `${PLACEHOLDER}/project`).replaceAll(home, PLACEHOLDER);
  writeFileSync(join(outDir, `${name}.request.json`), `${text}\n`);
}
process.stdout.write(`recorded ${recorded.length} requests into ${outDir}: ${recorded.map((entry) => entry.name).join(", ")}\n`);
server.stop(true);
await Promise.all([mlx.stop(), lmstudio.stop()]);

function maskHeaders(headers: Headers): Record<string, string> {
  const out = Object.fromEntries(headers);
  for (const secret of ["x-api-key", "authorization"]) if (out[secret]) out[secret] = "<masked>";
  return out;
}

// `anyclaude route FILE.json`: the routing decision for a request body, without sending it.
import { readFileSync } from "node:fs";
import { ApiError } from "../api-error";
import { explainRoute } from "../routing/explain-route";
import { type CliContext, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";

export async function route(context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(context.args, { config: { type: "string" }, json: { type: "boolean" } });
  const file = positionals[0];
  if (!file) throw new CliError("usage: anyclaude route FILE.json", 2);
  const body = readBody(file);
  try {
    const decision = await explainRoute(readConfig(context, values).config, body);
    if (values.json) process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`);
    else process.stdout.write(formatDecision(decision));
    return 0;
  } catch (error) {
    if (error instanceof ApiError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
}

function readBody(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function formatDecision(decision: Awaited<ReturnType<typeof explainRoute>>): string {
  const decided = decision.backend
    ? [`backend: ${decision.backend}`, `reason: ${decision.reason}`, ...(decision.replica ? [`replica: ${decision.replica}`] : [])]
    : ["backend: none can serve it now", `why: ${decision.problem}`, `once up: ${decision.whenUp?.backend} (${decision.whenUp?.reason})`];
  const lines = [
    ...decided,
    `needs tools: ${decision.needsTools ? "yes" : "no"}${decision.needsTools || !decision.includeTools ? "" : " (tool list sent)"}`,
    `prompt: ~${decision.estimatedTokens} tokens`,
    `decided by: ${decision.source}`,
    "warm prefix per backend:",
    ...decision.backends.map(
      (backend) =>
        `  ${backend.name}: ${backend.warmTokens} tokens${backend.healthy ? "" : " (down)"}${backend.tools ? ", tools" : ""}${backend.replicaOf ? `, replica of ${backend.replicaOf}: ${backend.inFlight} in flight, ${backend.queuedTokens} tokens queued` : ""}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

#!/usr/bin/env bun
// The entry point: dispatch to one command, and the only place that exits the process.
import { logger } from "../logger";
import { BUILD_ID, VERSION } from "../version";
import type { CliContext } from "./cli-context";
import { ServiceError } from "../service/service-error";
import { CliError } from "./cli-error";
import { bench } from "./bench";
import { config } from "./config";
import { doctor } from "./doctor";
import { HELP } from "./help";
import { launch } from "./launch";
import { logs } from "./logs";
import { restart } from "./restart";
import { route } from "./route";
import { serve } from "./serve";
import { service } from "./service";
import { start } from "./start";
import { status } from "./status";
import { statusline } from "./statusline";
import { stop } from "./stop";

const COMMANDS: Record<string, (context: CliContext) => Promise<number>> = {
  serve,
  start,
  stop,
  restart,
  status,
  service,
  config,
  route,
  logs,
  statusline,
  bench,
  doctor,
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const env = process.env as Record<string, string | undefined>;
  if (first === "--version" || first === "-v") return print(`anyclaude ${VERSION} (build ${BUILD_ID})\n`);
  if (first === "--help" || first === "-h" || first === "help") return print(HELP);
  if (first === undefined || first === "--") return launch({ args: rest, env });
  if (first === "--no-statusline") return launch({ args: claudeArgs(rest), env }, { statusLine: false });
  const command = COMMANDS[first];
  if (!command && first.startsWith("-"))
    throw new CliError(`unknown option "${first}"; arguments for claude go after --, as in: anyclaude -- ${argv.join(" ")}`, 2);
  if (!command) throw new CliError(`unknown command "${first}"; see: anyclaude --help`, 2);
  if (wantsHelp(rest)) return print(HELP);
  return command({ args: rest, env });
}

// After `anyclaude --no-statusline`, only `-- claude args` may follow.
function claudeArgs(rest: string[]): string[] {
  if (rest.length === 0) return [];
  if (rest[0] !== "--") throw new CliError(`arguments for claude go after --, as in: anyclaude --no-statusline -- ${rest.join(" ")}`, 2);
  return rest.slice(1);
}

// `anyclaude serve --help` and the like; after `--` the words belong to someone else.
function wantsHelp(args: string[]): boolean {
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  return own.includes("--help") || own.includes("-h");
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

try {
  process.exitCode = await main(Bun.argv.slice(2));
} catch (error) {
  if (error instanceof CliError || error instanceof ServiceError) {
    logger.error(error.message);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  } else {
    logger.error(error);
    process.exitCode = 1;
  }
}

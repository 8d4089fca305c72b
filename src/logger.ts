// One tagged logger for the daemon and the CLI. ANYCLAUDE_DEBUG=1 shows every routing decision.
// Everything goes to stderr (consola sends info to stdout by default): stdout is for what a
// command prints, such as `status --json` or `service print`.
import { formatWithOptions } from "node:util";
import { type ConsolaReporter, createConsola } from "consola";

// Where `serve --log-file` sends the lines instead of stderr.
let logFile: { write(text: string): void } | undefined;

// Not on a terminal (the daemon's log file, CI): one line per message, with the time it was
// logged: `2026-11-30T03:40:13.123Z [info] [anyclaude] ...`.
const timestampedLines: ConsolaReporter = {
  log(logObj, context) {
    const message = formatWithOptions({ colors: false }, ...logObj.args);
    const tag = logObj.tag ? ` [${logObj.tag}]` : "";
    (logFile ?? context.options.stdout ?? process.stderr).write(`${logObj.date.toISOString()} [${logObj.type}]${tag} ${message}\n`);
  },
};

export const logger = createConsola({
  level: process.env.ANYCLAUDE_DEBUG === "1" ? 4 : 3,
  stdout: process.stderr,
  ...(process.stderr.isTTY ? {} : { reporters: [timestampedLines] }),
}).withTag("anyclaude");

// From now on every line goes to this file (the daemon's own, which it rotates), timestamped.
export function logToFile(file: { write(text: string): void }): void {
  logFile = file;
  logger.setReporters([timestampedLines]);
}

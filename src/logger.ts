// One tagged logger for the daemon and the CLI. ANYCLAUDE_DEBUG=1 shows every routing decision.
// Everything goes to stderr (consola sends info to stdout by default): stdout is for what a
// command prints, such as `status --json` or `service print`.
import { formatWithOptions } from "node:util";
import { type ConsolaReporter, createConsola } from "consola";

type Sink = { write(text: string): unknown };

// Where `serve --log-file` sends the lines instead of stderr, and where the log says that the
// file cannot be written (a full disk) and when it can again.
let logFile: Sink | undefined;
let fallback: Sink = process.stderr;
let failing: { since: string; lost: number } | undefined;

// One line is at most this long: a backend's 1 MB error page became a 1 MB line, and 25 of them
// rotated the whole log away. The head of a message says what happened.
export const MAX_LOG_LINE_CHARS = 2_000;

// Not on a terminal (the daemon's log file, CI): one line per message, with the time it was
// logged: `2026-11-30T03:40:13.123Z [info] [anyclaude] ...`.
const timestampedLines: ConsolaReporter = {
  log(logObj, context) {
    const message = capped(formatWithOptions({ colors: false }, ...logObj.args));
    const tag = logObj.tag ? ` [${logObj.tag}]` : "";
    writeLine(logFile ?? context.options.stdout ?? process.stderr, `${logObj.date.toISOString()} [${logObj.type}]${tag} ${message}\n`);
  },
};

function capped(message: string): string {
  if (message.length <= MAX_LOG_LINE_CHARS) return message;
  return `${message.slice(0, MAX_LOG_LINE_CHARS)} [... ${message.length - MAX_LOG_LINE_CHARS} more characters cut]`;
}

// Logging never fails what is being logged (a reply's last line is written as the reply ends): a
// write that throws (ENOSPC, a file removed) loses the line; the first loss is said once on the
// fallback, and so is the recovery.
function writeLine(sink: Sink, line: string): void {
  try {
    sink.write(line);
  } catch (error) {
    if (failing) return void failing.lost++;
    failing = { since: new Date().toISOString(), lost: 1 };
    return tell(
      `${line.slice(0, 24)} [error] [anyclaude] the log cannot be written (${error instanceof Error ? error.message : String(error)}); its lines are lost until it can\n`,
    );
  }
  if (!failing) return;
  const { since, lost } = failing;
  failing = undefined;
  const note = `${line.slice(0, 24)} [warn] [anyclaude] the log can be written again; ${lost} line${lost === 1 ? "" : "s"} since ${since} lost\n`;
  tell(note);
  writeLine(sink, note); // the gap, said in the log itself
}

function tell(text: string): void {
  try {
    fallback.write(text);
  } catch {
    // nowhere left to say it
  }
}

export const logger = createConsola({
  level: process.env.ANYCLAUDE_DEBUG === "1" ? 4 : 3,
  stdout: process.stderr,
  ...(process.stderr.isTTY ? {} : { reporters: [timestampedLines] }),
}).withTag("anyclaude");

// From now on every line goes to this file (the daemon's own, which it rotates), timestamped;
// what cannot be written there is said on `failures` (stderr: what launchd or systemd keep).
// Without a file: back to stderr.
export function logToFile(file: Sink | undefined, failures: Sink = process.stderr): void {
  logFile = file;
  fallback = failures;
  failing = undefined;
  logger.setReporters([timestampedLines]);
}

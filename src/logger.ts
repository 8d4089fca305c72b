// One tagged logger for the daemon and the CLI. ANYCLAUDE_DEBUG=1 shows every routing decision.
// Everything goes to stderr (consola sends info to stdout by default): stdout is for what a
// command prints, such as `status --json` or `service print`.
import { createConsola } from "consola";

export const logger = createConsola({ level: process.env.ANYCLAUDE_DEBUG === "1" ? 4 : 3, stdout: process.stderr }).withTag("anyclaude");

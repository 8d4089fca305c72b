// One tagged logger for the daemon and the CLI. ANYCLAUDE_DEBUG=1 shows every routing decision.
import { createConsola } from "consola";

export const logger = createConsola({ level: process.env.ANYCLAUDE_DEBUG === "1" ? 4 : 3 }).withTag("anyclaude");

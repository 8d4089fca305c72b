// The daemon's warnings while each test of the file runs, as logged.
import { afterEach, beforeEach } from "bun:test";
import type { ConsolaReporter } from "consola";
import { logger } from "../../src/logger";

export function capturedWarnings(): string[] {
  const warnings: string[] = [];
  const reporter: ConsolaReporter = { log: (entry) => void (entry.type === "warn" && warnings.push(entry.args.join(" "))) };
  beforeEach(() => logger.addReporter(reporter));
  afterEach(() => {
    logger.removeReporter(reporter);
    warnings.length = 0;
  });
  return warnings;
}

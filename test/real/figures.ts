// Figures the real-server suite measured, kept per run in .tmp/real-figures/ for the README
// (scripts/real/report.ts prints them as tables).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const DIR = resolve(import.meta.dir, "../../.tmp/real-figures");

export function saveFigures(name: string, figures: unknown): void {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`[figures] ${name}: ${JSON.stringify(figures)}`);
}

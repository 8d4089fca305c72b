// Runs every test with bun and ends with the plain line CI reads: "N passed, N failed".
// Counts come from bun's JUnit report rather than its console summary, which is not a stable format.
import { mkdirSync, readFileSync, existsSync } from "node:fs";

const reportPath = ".tmp/junit.xml";
mkdirSync(".tmp", { recursive: true });

// Integration tests start servers and compile binaries on loopback; give slow shared machines
// room. A flag, because bunfig.toml's `[test] timeout` is ignored (oven-sh/bun#7789).
const TEST_TIMEOUT_MS = 60_000;

const child = Bun.spawn(["bun", "test", `--timeout=${TEST_TIMEOUT_MS}`, "--reporter=junit", `--reporter-outfile=${reportPath}`, ...Bun.argv.slice(2)], {
  stdio: ["inherit", "inherit", "inherit"],
});
const exitCode = await child.exited;

const { passed, failed } = existsSync(reportPath) ? countResults(readFileSync(reportPath, "utf8")) : { passed: 0, failed: 1 };
const anyFailure = failed > 0 || exitCode !== 0;
process.stdout.write(`\n${passed} passed, ${anyFailure && failed === 0 ? 1 : failed} failed\n`);
process.exit(anyFailure ? 1 : 0);

function countResults(xml: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const testcase of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = testcase[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (!/<skipped\b/.test(body)) passed++;
  }
  return { passed, failed };
}

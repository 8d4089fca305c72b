import { expect, test } from "bun:test";

test("the whole project type-checks (tsc --noEmit)", () => {
  const result = Bun.spawnSync(["node_modules/.bin/tsc", "-p", "."], { stdout: "pipe", stderr: "pipe" });
  expect(result.stdout.toString() + result.stderr.toString()).toBe("");
  expect(result.exitCode).toBe(0);
});

// Issue 18: a daemon run by launchd or systemd never rotated its log; now it writes and rotates
// the file itself.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RotatingLogFile } from "./rotating-log-file";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function logDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "anyclaude-log-"));
  dirs.push(dir);
  return join(dir, "logs"); // not there yet
}

describe("RotatingLogFile", () => {
  test("at the size limit the log moves to .1 (and .1 to .2, the oldest dropped), and a new one starts", () => {
    const dir = logDir();
    const path = join(dir, "anyclaude.log");
    const log = new RotatingLogFile(path, { maxBytes: 100, oldFiles: 2 });
    const line = (n: number) => `line ${String(n).padStart(3, "0")} ${"x".repeat(30)}\n`; // 40 bytes
    for (let n = 1; n <= 10; n++) log.write(line(n));
    log.close();
    expect(readdirSync(dir).sort()).toEqual(["anyclaude.log", "anyclaude.log.1", "anyclaude.log.2"]);
    expect(readFileSync(path, "utf8")).toBe(line(9) + line(10));
    expect(readFileSync(`${path}.1`, "utf8")).toBe(line(7) + line(8));
    expect(readFileSync(`${path}.2`, "utf8")).toBe(line(5) + line(6));
    for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(100);
  });

  test("appends to the log there is, counting its size; 0600 in a 0700 directory, also one an older version made 0644", () => {
    const dir = logDir();
    const path = join(dir, "anyclaude.log");
    new RotatingLogFile(path).close();
    writeFileSync(path, "x".repeat(90));
    chmodSync(path, 0o644);
    const log = new RotatingLogFile(path, { maxBytes: 100, oldFiles: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    log.write("0123456789abc\n"); // 90 + 14 > 100: the old content moves out first
    log.close();
    expect(readFileSync(path, "utf8")).toBe("0123456789abc\n");
    expect(readFileSync(`${path}.1`, "utf8")).toBe("x".repeat(90));
    expect(existsSync(`${path}.2`)).toBe(false);
  });
});

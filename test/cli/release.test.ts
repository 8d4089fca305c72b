// `make release` and scripts/install.sh, run for real into temporary directories.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import packageJson from "../../package.json";
import { compiledBinary } from "../support/compiled-binary";

const ROOT = resolve(import.meta.dir, "../..");
const MACH_O_64 = "cffaedfe";

function withoutDownloadProgress(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^(Downloading \[\d+\]|Decompressing\.\.\.)\s*$/.test(line) && line.trim() !== "")
    .join("\n");
}

describe("release", () => {
  test("cross-compiles darwin-arm64, darwin-x64 and linux-x64 tarballs with SHA-256 sums and a formula", () => {
    const out = mkdtempSync(join(tmpdir(), "anyclaude-release-"));
    const formula = join(out, "anyclaude.rb");
    const run = Bun.spawnSync(["scripts/release.sh"], {
      cwd: ROOT,
      env: { ...process.env, RELEASE_OUT: out, FORMULA_OUT: formula },
      stdout: "pipe",
      stderr: "pipe",
    });
    // The first cross-compile for a target downloads its Bun runtime and says so on stderr.
    expect(withoutDownloadProgress(run.stderr.toString())).toBe("");
    expect(run.exitCode).toBe(0);
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/));
    expect(sums.map(([, file]) => file)).toEqual(
      ["darwin-arm64", "darwin-x64", "linux-x64"].map((target) => `anyclaude-${packageJson.version}-${target}.tar.gz`),
    );
    for (const [sum, file] of sums) {
      const tarball = join(out, file!);
      expect(new Bun.CryptoHasher("sha256").update(readFileSync(tarball)).digest("hex")).toBe(sum!);
      const unpacked = mkdtempSync(join(tmpdir(), "anyclaude-unpack-"));
      expect(Bun.spawnSync(["tar", "-xzf", tarball, "-C", unpacked]).exitCode).toBe(0);
      const magic = readFileSync(join(unpacked, "anyclaude")).subarray(0, 4).toString("hex");
      expect(magic).toBe(file!.includes("darwin") ? MACH_O_64 : "7f454c46");
    }
    const text = readFileSync(formula, "utf8");
    for (const [sum] of sums) expect(text).toContain(`sha256 "${sum}"`);
    expect(text).toContain('run [opt_bin/"anyclaude", "serve", "--log-file", var/"log/anyclaude.log"]');
    expect(text).toContain('bin.install "anyclaude"');
  }, 120_000);

  test("install.sh puts the binary in PREFIX/bin and it runs", () => {
    const prefix = mkdtempSync(join(tmpdir(), "anyclaude-prefix-"));
    const run = Bun.spawnSync(["scripts/install.sh", compiledBinary(), prefix], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect(run.exitCode).toBe(0);
    expect(existsSync(join(prefix, "bin/anyclaude"))).toBe(true);
    expect(run.stdout.toString()).toContain(`anyclaude ${packageJson.version}`);
    const missing = Bun.spawnSync(["scripts/install.sh", join(prefix, "nope"), prefix], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.toString()).toContain("make build");
  });
});

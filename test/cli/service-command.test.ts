// `anyclaude service`: the launchd agent and the systemd unit, with launchctl and systemctl
// replaced by stand-ins on PATH that record how they were called.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compiledBinary, runBinary, sandbox, standIn } from "../support/compiled-binary";
import { parsePlist } from "./parse-plist";

beforeAll(() => void compiledBinary());

describe("anyclaude service", () => {
  test("print --platform darwin: a launchd agent that runs `serve` at load and keeps it alive", async () => {
    const { env, home } = sandbox();
    const run = await runBinary(["service", "print", "--platform", "darwin"], env);
    expect(run.exitCode).toBe(0);
    const logs = join(home, "Library/Logs/anyclaude");
    // The daemon writes and rotates its log itself (issue 18); launchd keeps only its stderr apart.
    const plist = parsePlist(run.stdout);
    expect(plist).toMatchObject({
      Label: "dev.anyclaude.daemon",
      ProgramArguments: [compiledBinary(), "serve", "--log-file", join(logs, "anyclaude.log")],
      RunAtLoad: true,
      KeepAlive: true,
      StandardErrorPath: join(logs, "anyclaude.stderr.log"),
      EnvironmentVariables: { PATH: env.PATH },
    });
    expect(plist).not.toHaveProperty("StandardOutPath");
    expect(existsSync(join(home, "Library"))).toBe(false); // print changes nothing
  });

  test("print --platform linux: a systemd user unit", async () => {
    const { env, home } = sandbox();
    const run = await runBinary(["service", "print", "--platform", "linux"], env);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`\nExecStart=${compiledBinary()} serve --log-file ${join(home, ".local/state/anyclaude/anyclaude.log")}\n`);
    expect(run.stdout).not.toContain("StandardOutput="); // the daemon writes and rotates its log itself
    expect(run.stdout).toContain("\nRestart=on-failure\n");
    expect(run.stdout).toContain("\n[Install]\nWantedBy=default.target\n");
    expect(readdirSync(home)).toEqual(["bin"]);
  });

  test("install/uninstall on linux drive systemctl --user; reinstall replaces; uninstall leaves nothing", async () => {
    const { env, home, bin } = sandbox();
    standIn(bin, "systemctl", `echo "$@" >> "${home}/systemctl.calls"`);
    const unit = join(home, ".config/systemd/user/anyclaude.service");
    expect((await runBinary(["service", "install", "--platform", "linux"], env)).exitCode).toBe(0);
    expect(readFileSync(unit, "utf8")).toContain(`ExecStart=${compiledBinary()} serve`);
    expect((await runBinary(["service", "install", "--platform", "linux"], env)).exitCode).toBe(0);
    expect((await runBinary(["service", "uninstall", "--platform", "linux"], env)).exitCode).toBe(0);
    expect(existsSync(unit)).toBe(false);
    expect(readdirSync(join(home, ".config/systemd/user"))).toEqual([]);
    expect(readFileSync(join(home, "systemctl.calls"), "utf8").trim().split("\n")).toEqual([
      "--user daemon-reload",
      "--user enable --now anyclaude.service",
      "--user disable --now anyclaude.service",
      "--user daemon-reload",
      "--user enable --now anyclaude.service",
      "--user disable --now anyclaude.service",
      "--user daemon-reload",
    ]);
    const again = await runBinary(["service", "uninstall", "--platform", "linux"], env);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("no anyclaude service is installed");
  });

  test("install/uninstall on darwin bootstrap and boot out the agent", async () => {
    const { env, home, bin } = sandbox();
    standIn(bin, "launchctl", `echo "$@" >> "${home}/launchctl.calls"`);
    const plist = join(home, "Library/LaunchAgents/dev.anyclaude.daemon.plist");
    expect((await runBinary(["service", "install", "--platform", "darwin"], env)).exitCode).toBe(0);
    expect(parsePlist(readFileSync(plist, "utf8"))).toMatchObject({
      Label: "dev.anyclaude.daemon",
      ProgramArguments: [compiledBinary(), "serve", "--log-file", join(home, "Library/Logs/anyclaude/anyclaude.log")],
    });
    expect(statSync(join(home, "Library/Logs/anyclaude")).mode & 0o777).toBe(0o700); // launchd does not create it; prewarm.json holds prompts
    expect((await runBinary(["service", "uninstall", "--platform", "darwin"], env)).exitCode).toBe(0);
    expect(existsSync(plist)).toBe(false);
    const uid = process.getuid!();
    expect(readFileSync(join(home, "launchctl.calls"), "utf8").trim().split("\n")).toEqual([
      `bootstrap gui/${uid} ${plist}`,
      `bootout gui/${uid}/dev.anyclaude.daemon`,
    ]);
  });

  test("a bootstrap racing the previous bootout is retried", async () => {
    const { env, home, bin } = sandbox();
    // Fails the first two bootstraps the way launchd does while a bootout is still finishing.
    standIn(
      bin,
      "launchctl",
      `echo "$@" >> "${home}/launchctl.calls"; [ "$1" = bootstrap ] || exit 0; n=$(grep -c ^bootstrap "${home}/launchctl.calls"); [ "$n" -gt 2 ] || { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }`,
    );
    expect((await runBinary(["service", "install", "--platform", "darwin"], env)).exitCode).toBe(0);
    expect(readFileSync(join(home, "launchctl.calls"), "utf8").match(/^bootstrap/gm)).toHaveLength(3);
  });

  test("a failing systemctl is one clear line, exit 1, and no unit left behind", async () => {
    const { env, home, bin } = sandbox();
    standIn(bin, "systemctl", 'echo "Failed to connect to bus: No medium found" >&2; exit 1');
    const run = await runBinary(["service", "install", "--platform", "linux"], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    // On a terminal consola shows `code` as highlighting, without the backticks; in a log, as is.
    expect(run.stderr).toMatch(/`?systemctl --user daemon-reload`? failed \(exit 1\): Failed to connect to bus/);
    expect(existsSync(join(home, ".config/systemd/user/anyclaude.service"))).toBe(false);
  });

  test("a Homebrew service (brew services) is the one stop and logs use, and install leaves it alone", async () => {
    const { env, home, bin } = sandbox();
    standIn(bin, "systemctl", `echo "$@" >> "${home}/systemctl.calls"`);
    standIn(bin, "launchctl", `echo "$@" >> "${home}/launchctl.calls"`);
    const brewLog = join(home, "brew/var/log/anyclaude.log");
    mkdirSync(join(home, "brew/var/log"), { recursive: true });
    writeFileSync(brewLog, "from homebrew\n");
    mkdirSync(join(home, ".config/systemd/user"), { recursive: true });
    writeFileSync(
      join(home, ".config/systemd/user/homebrew.anyclaude.service"),
      `[Service]\nExecStart=/opt/brew/bin/anyclaude serve\nStandardOutput=append:${brewLog}\n`,
    );
    mkdirSync(join(home, "Library/LaunchAgents"), { recursive: true });
    writeFileSync(join(home, "Library/LaunchAgents/homebrew.mxcl.anyclaude.plist"), "<plist/>");

    expect((await runBinary(["logs"], env)).stdout).toBe("from homebrew\n");
    expect((await runBinary(["stop"], env)).exitCode).toBe(0);
    expect(readFileSync(join(home, "systemctl.calls"), "utf8")).toBe("--user stop homebrew.anyclaude.service\n");
    for (const platform of ["linux", "darwin"]) {
      const install = await runBinary(["service", "install", "--platform", platform], env);
      expect(install.exitCode).toBe(1);
      expect(install.stderr).toContain("anyclaude runs as a Homebrew service");
    }
    expect(existsSync(join(home, "launchctl.calls"))).toBe(false);
    expect(readdirSync(join(home, ".config/systemd/user"))).toEqual(["homebrew.anyclaude.service"]);

    // The formula now has the daemon write (and rotate) its log itself: --log-file names it.
    const ownLog = join(home, "brew/var/log/own.log");
    writeFileSync(ownLog, "written by the daemon\n");
    writeFileSync(
      join(home, ".config/systemd/user/homebrew.anyclaude.service"),
      `[Service]\nExecStart=/opt/brew/bin/anyclaude serve --log-file ${ownLog}\nStandardError=append:${join(home, "brew/var/log/anyclaude.stderr.log")}\n`,
    );
    expect((await runBinary(["logs"], env)).stdout).toBe("written by the daemon\n");
  });

  test("usage errors exit 2", async () => {
    const { env } = sandbox();
    expect((await runBinary(["service", "print", "--platform", "windows"], env)).exitCode).toBe(2);
    expect((await runBinary(["service"], env)).exitCode).toBe(2);
  });
});

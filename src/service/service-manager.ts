// Installs, removes, starts and stops the login service: a launchd agent on macOS, a systemd
// user unit on Linux. launchctl and systemctl run through an injectable runner.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ServiceError } from "./service-error";
import { ensurePrivateDir } from "../private-files";
import { renderLaunchdPlist } from "./render-launchd-plist";
import { renderSystemdUnit } from "./render-systemd-unit";
import { installedServicePaths, type Paths, type Platform, servicePaths, STDERR_FILE } from "./service-paths";

export type Runner = (command: string[]) => { exitCode: number; output: string };

export const runCommand: Runner = (command) => {
  try {
    const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
    return { exitCode: result.exitCode, output: (result.stdout.toString() + result.stderr.toString()).trim() };
  } catch (error) {
    return { exitCode: 127, output: `${command[0]} not found (${error instanceof Error ? error.message : String(error)})` };
  }
};

export class ServiceManager {
  // The service start/stop/logs work through: ours, or Homebrew's when only that one is installed.
  readonly paths: Paths;
  // The service `install` writes.
  readonly own: Paths;

  constructor(
    readonly platform: Platform,
    private readonly env: Record<string, string | undefined>,
    private readonly run: Runner = runCommand,
  ) {
    this.own = servicePaths(platform, env);
    this.paths = installedServicePaths(platform, env);
  }

  // The daemon writes and rotates its log itself (--log-file): launchd and systemd would append
  // its output to a file forever, and a file they hold open cannot be rotated under them.
  render(program: string[]): string {
    const serve = [...program, "serve", "--log-file", this.own.logFile];
    if (this.platform === "darwin")
      return renderLaunchdPlist({ program: serve, stderrFile: join(this.own.logDir, STDERR_FILE), path: this.env.PATH ?? "/usr/local/bin:/usr/bin:/bin" });
    return renderSystemdUnit({ program: serve });
  }

  isInstalled(): boolean {
    return existsSync(this.paths.serviceFile);
  }

  // Reinstalling replaces the old service cleanly: unloaded first, then written and loaded. A
  // service that failed to load is removed again, so `start` never relies on a dead one.
  install(program: string[]): void {
    this.refuseHomebrew();
    if (this.isInstalled()) this.unload();
    mkdirSync(dirname(this.paths.serviceFile), { recursive: true });
    ensurePrivateDir(this.paths.logDir); // the state directory too: prewarm.json holds prompts
    writeFileSync(this.paths.serviceFile, this.render(program));
    try {
      if (this.platform === "darwin") this.bootstrap();
      else {
        this.must(["systemctl", "--user", "daemon-reload"]);
        this.must(["systemctl", "--user", "enable", "--now", this.paths.name]);
      }
    } catch (error) {
      rmSync(this.paths.serviceFile, { force: true });
      throw error;
    }
  }

  uninstall(): void {
    this.refuseHomebrew();
    if (!this.isInstalled()) return;
    this.unload();
    rmSync(this.paths.serviceFile, { force: true });
    if (this.platform === "linux") this.run(["systemctl", "--user", "daemon-reload"]);
  }

  start(): void {
    if (this.platform === "darwin") {
      // Already loaded (bootstrap fails then): kickstart runs it again.
      if (this.run(["launchctl", "bootstrap", this.domain(), this.paths.serviceFile]).exitCode !== 0)
        this.must(["launchctl", "kickstart", `${this.domain()}/${this.paths.name}`]);
    } else this.must(["systemctl", "--user", "start", this.paths.name]);
  }

  // launchd would restart a killed agent (KeepAlive): stopping means unloading it.
  stop(): void {
    if (this.platform === "darwin") this.run(["launchctl", "bootout", `${this.domain()}/${this.paths.name}`]);
    else this.must(["systemctl", "--user", "stop", this.paths.name]);
  }

  describeStart(): string {
    return this.platform === "darwin" ? `launchctl bootstrap ${this.domain()} ${this.paths.serviceFile}` : `systemctl --user start ${this.paths.name}`;
  }

  // launchd finishes a bootout after launchctl returns; a bootstrap right behind it fails with
  // "Bootstrap failed: 5: Input/output error" until it has. Give it up to two seconds.
  private bootstrap(): void {
    const command = ["launchctl", "bootstrap", this.domain(), this.paths.serviceFile];
    let result = this.run(command);
    for (let attempt = 1; result.exitCode !== 0 && attempt < 10; attempt++) {
      Bun.sleepSync(200);
      result = this.run(command);
    }
    if (result.exitCode !== 0) throw commandFailed(command, result);
  }

  // Two agents would fight over one port; Homebrew's is managed with `brew services`.
  private refuseHomebrew(): void {
    if (this.paths.owner !== "homebrew") return;
    throw new ServiceError(
      `anyclaude runs as a Homebrew service (${this.paths.serviceFile}); manage it with brew services, or run \`brew services stop anyclaude\` first`,
    );
  }

  private unload(): void {
    if (this.platform === "darwin") this.run(["launchctl", "bootout", `${this.domain()}/${this.paths.name}`]);
    else this.run(["systemctl", "--user", "disable", "--now", this.paths.name]);
  }

  private domain(): string {
    return `gui/${process.getuid?.() ?? 501}`;
  }

  private must(command: string[]): void {
    const result = this.run(command);
    if (result.exitCode !== 0) throw commandFailed(command, result);
  }
}

function commandFailed(command: string[], result: ReturnType<Runner>): ServiceError {
  return new ServiceError(`\`${command.join(" ")}\` failed (exit ${result.exitCode}): ${result.output || "no output"}`);
}

// Where the service files and logs go, per platform, under the user's home; and which service is
// installed: ours (`anyclaude service install`) or Homebrew's (`brew services start anyclaude`).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export type Platform = "darwin" | "linux";

export const LAUNCHD_LABEL = "dev.anyclaude.daemon";
export const SYSTEMD_UNIT = "anyclaude.service";
// Under launchd, what the daemon could not log itself (a crash of the runtime); systemd keeps that
// in the journal.
export const STDERR_FILE = "anyclaude.stderr.log";

// name: the launchd label or the systemd unit that launchctl and systemctl are given.
export type Paths = { owner: "anyclaude" | "homebrew"; name: string; serviceFile: string; logDir: string; logFile: string };

export function servicePaths(platform: Platform, env: Record<string, string | undefined>): Paths {
  const home = env.HOME || homedir();
  if (platform === "darwin") {
    const logDir = join(home, "Library", "Logs", "anyclaude");
    return {
      owner: "anyclaude",
      name: LAUNCHD_LABEL,
      serviceFile: join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`),
      logDir,
      logFile: join(logDir, "anyclaude.log"),
    };
  }
  const logDir = join(env.XDG_STATE_HOME || join(home, ".local", "state"), "anyclaude");
  const configHome = env.XDG_CONFIG_HOME || join(home, ".config");
  return {
    owner: "anyclaude",
    name: SYSTEMD_UNIT,
    serviceFile: join(configHome, "systemd", "user", SYSTEMD_UNIT),
    logDir,
    logFile: join(logDir, "anyclaude.log"),
  };
}

// Ours when installed; else Homebrew's when `brew services` installed one (named by Homebrew's
// rule: homebrew.mxcl.<formula> for launchd, homebrew.<formula> for systemd), with the log it
// declares (`serve --log-file`, or where an older formula sent the daemon's output); else ours,
// not installed.
export function installedServicePaths(platform: Platform, env: Record<string, string | undefined>): Paths {
  const own = servicePaths(platform, env);
  if (existsSync(own.serviceFile)) return own;
  const name = platform === "darwin" ? "homebrew.mxcl.anyclaude" : "homebrew.anyclaude.service";
  const serviceFile = join(own.serviceFile, "..", platform === "darwin" ? `${name}.plist` : name);
  if (!existsSync(serviceFile)) return own;
  const text = readFileSync(serviceFile, "utf8");
  const logFileArg =
    platform === "darwin"
      ? /<string>--log-file<\/string>\s*<string>([^<]+)<\/string>/.exec(text)?.[1]
      : /^ExecStart=.*\s--log-file\s+"?([^"\n]+?)"?\s*$/m.exec(text)?.[1];
  const output =
    platform === "darwin" ? /<key>StandardOutPath<\/key>\s*<string>([^<]+)<\/string>/.exec(text)?.[1] : /^StandardOutput=append:(.+)$/m.exec(text)?.[1];
  const declared = logFileArg ?? output;
  const logFile = declared?.trim() ?? own.logFile;
  return { owner: "homebrew", name, serviceFile, logDir: join(logFile, ".."), logFile };
}

export function currentPlatform(): Platform {
  return process.platform === "darwin" ? "darwin" : "linux";
}

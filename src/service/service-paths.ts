// Where the service files and logs go, per platform, under the user's home.
import { homedir } from "node:os";
import { join } from "node:path";

export type Platform = "darwin" | "linux";

export const LAUNCHD_LABEL = "dev.anyclaude.daemon";
export const SYSTEMD_UNIT = "anyclaude.service";

export type Paths = { serviceFile: string; logDir: string; logFile: string };

export function servicePaths(platform: Platform, env: Record<string, string | undefined>): Paths {
  const home = env.HOME || homedir();
  if (platform === "darwin") {
    const logDir = join(home, "Library", "Logs", "anyclaude");
    return { serviceFile: join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`), logDir, logFile: join(logDir, "anyclaude.log") };
  }
  const logDir = join(env.XDG_STATE_HOME || join(home, ".local", "state"), "anyclaude");
  const configHome = env.XDG_CONFIG_HOME || join(home, ".config");
  return { serviceFile: join(configHome, "systemd", "user", SYSTEMD_UNIT), logDir, logFile: join(logDir, "anyclaude.log") };
}

export function currentPlatform(): Platform {
  return process.platform === "darwin" ? "darwin" : "linux";
}

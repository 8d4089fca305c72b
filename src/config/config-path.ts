// Where the config lives: $ANYCLAUDE_CONFIG, else $XDG_CONFIG_HOME/anyclaude/config.json, else
// ~/.config/anyclaude/config.json.
import { homedir } from "node:os";
import { join } from "node:path";
import type { Env } from "./resolve-config";

export function configPath(env: Env): string {
  if (env.ANYCLAUDE_CONFIG) return env.ANYCLAUDE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "anyclaude", "config.json");
}

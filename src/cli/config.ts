// `anyclaude config path|show|init|check`.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { configPath } from "../config/config-path";
import { CONFIG_TEMPLATE } from "../config/config-template";
import { maskSecrets } from "../config/mask-secrets";
import { logger } from "../logger";
import { type CliContext, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";

export async function config(context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(context.args, { config: { type: "string" }, force: { type: "boolean" } });
  const path = values.config ?? configPath(context.env);
  switch (positionals[0]) {
    case "path":
      process.stdout.write(`${path}\n`);
      return 0;
    case "show": {
      const loaded = readConfig(context, { config: path });
      process.stdout.write(`${JSON.stringify(maskSecrets(loaded.config), null, 2)}\n`);
      return 0;
    }
    case "init":
      if (existsSync(path) && !values.force) throw new CliError(`${path} already exists (use --force to overwrite)`);
      // The file is where an authToken and backend apiKeys go: readable by its owner only.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, CONFIG_TEMPLATE, { mode: 0o600 });
      chmodSync(path, 0o600); // an existing file (--force) keeps its mode otherwise
      logger.success(`wrote ${path}`);
      return 0;
    case "check": {
      const loaded = readConfig(context, { config: path });
      logger.success(loaded.exists ? `${path} is valid` : `${path} does not exist: the defaults apply`);
      return 0;
    }
    default:
      throw new CliError("usage: anyclaude config path|show|init|check [--config FILE]", 2);
  }
}

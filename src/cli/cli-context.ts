// What every command gets: its arguments, the environment, and the config they point to.
import { parseArgs } from "node:util";
import { loadConfig, type LoadedConfig } from "../config/load-config";
import { ConfigError } from "../config/resolve-config";
import { CliError } from "./cli-error";

export type CliContext = { args: string[]; env: Record<string, string | undefined> };

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

// Flags of one command; an unknown flag is a one-line error, not a stack trace.
export function parseFlags<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
}

export function readConfig(context: CliContext, flags: { config?: string; host?: string; port?: string } = {}): LoadedConfig {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new CliError(`--port ${flags.port} is not a port number`, 2);
  try {
    return loadConfig({ path: flags.config, env: context.env, overrides: { host: flags.host, port } });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`invalid config: ${error.message}`);
    throw error;
  }
}

// Where clients reach the daemon. A wildcard listen address is no address to connect to.
export function daemonUrl(loaded: LoadedConfig): string {
  const { host, port } = loaded.config;
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${target.includes(":") ? `[${target}]` : target}:${port}`;
}

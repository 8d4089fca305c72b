// The config file -> the effective config. Every problem is reported as FILE:LINE:COL: key: what,
// on the line of the offending key; problems from the environment name the variable instead.
import { existsSync, readFileSync } from "node:fs";
import * as v from "valibot";
import { locateIssue } from "../validation-error";
import { configPath } from "./config-path";
import { type Config, ConfigSchema } from "./config-schema";
import { JsonSyntaxError, type Location, parseLocatedJson } from "./parse-located-json";
import { ConfigError, type Env, resolveConfig } from "./resolve-config";

export type LoadedConfig = { config: Config; path: string; exists: boolean };

// overrides are command-line flags (`serve --host --port`): they win over the environment and the file.
export type LoadOptions = { path?: string; env: Env; overrides?: { host?: string; port?: number } };

export function loadConfig(options: LoadOptions): LoadedConfig {
  const path = options.path ?? configPath(options.env);
  const exists = existsSync(path);
  const located = parseFile(path, exists ? readText(path) : "{}");
  if (typeof located.value !== "object" || located.value === null || Array.isArray(located.value)) {
    throw new ConfigError(`${at(path, located.locations.get(""))}: the config must be a JSON object ({ ... })`);
  }
  const parsed = v.safeParse(ConfigSchema, located.value);
  if (!parsed.success) {
    const { key, message } = locateIssue(parsed.issues[0]);
    throw new ConfigError(`${at(path, nearest(located.locations, key))}: ${key || "config"}: ${describe(message)}`);
  }
  const { host, port } = options.overrides ?? {};
  const file = { ...parsed.output, ...(host !== undefined && { host }), ...(port !== undefined && { port }) };
  // A flag beats its environment variable, which resolveConfig would otherwise prefer over the file.
  const env = { ...options.env, ...(host !== undefined && { ANYCLAUDE_HOST: undefined }), ...(port !== undefined && { ANYCLAUDE_PORT: undefined }) };
  try {
    return { config: resolveConfig(file, env), path, exists };
  } catch (error) {
    if (!(error instanceof ConfigError) || !error.key || !exists || !isFileKey(error.key)) throw error;
    throw new ConfigError(`${at(path, located.locations.get(error.key))}: ${error.message}`);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseFile(path: string, text: string): ReturnType<typeof parseLocatedJson> {
  try {
    return parseLocatedJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new ConfigError(`${at(path, error.location)}: ${error.message}`);
    throw error;
  }
}

// Environment variables are upper case (ANYCLAUDE_PORT); config keys never are.
function isFileKey(key: string): boolean {
  return !/^[A-Z_]+$/.test(key);
}

// Valibot words an unknown key as "Invalid key: Expected never but received ..."; say what it means.
function describe(message: string): string {
  return message.includes("Expected never") ? "unknown key" : message;
}

// The line of the key itself, or of the closest enclosing key that exists in the file.
function nearest(locations: Map<string, Location>, key: string): Location | undefined {
  for (let path = key; ; ) {
    if (locations.has(path)) return locations.get(path);
    if (!path) return undefined;
    const parent = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
    path = parent === path ? "" : parent;
  }
}

function at(path: string, location: Location | undefined): string {
  return location ? `${path}:${location.line}:${location.column}` : path;
}

// The config file -> the effective config. Every problem is reported as FILE:LINE:COL: key: what.
import { existsSync, readFileSync } from "node:fs";
import * as v from "valibot";
import { configPath } from "./config-path";
import { type Config, ConfigSchema } from "./config-schema";
import { JsonSyntaxError, type Location, parseLocatedJson } from "./parse-located-json";
import { ConfigError, type Env, resolveConfig } from "./resolve-config";
import { locateIssue } from "../validation-error";

export type LoadedConfig = { config: Config; path: string; exists: boolean };

export type LoadOptions = { path?: string; env: Env; overrides?: { host?: string; port?: number } };

export function loadConfig(options: LoadOptions): LoadedConfig {
  const path = options.path ?? configPath(options.env);
  const exists = existsSync(path);
  const text = exists ? readFileSync(path, "utf8") : "{}";
  let located: ReturnType<typeof parseLocatedJson>;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new ConfigError(`${at(path, error.location)}: ${error.message}`);
    throw error;
  }
  const parsed = v.safeParse(ConfigSchema, located.value);
  if (!parsed.success) {
    const { key, message } = locateIssue(parsed.issues[0]);
    throw new ConfigError(`${at(path, nearest(located.locations, key))}: ${key || "config"}: ${describe(message)}`);
  }
  const file = { ...parsed.output, ...definedOnly(options.overrides ?? {}) };
  try {
    return { config: resolveConfig(file, options.env), path, exists };
  } catch (error) {
    if (error instanceof ConfigError && error.key && located.locations.has(error.key)) {
      throw new ConfigError(`${at(path, located.locations.get(error.key))}: ${error.message}`);
    }
    throw error;
  }
}

// Valibot words an unknown key as "Invalid key: Expected never but received ..."; say what it means.
function describe(message: string): string {
  return message.includes("Expected never") ? "unknown key" : message;
}

// The line of the key itself, or of the closest enclosing key that exists in the file.
function nearest(locations: Map<string, Location>, key: string): Location | undefined {
  for (let path = key; ; path = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "")) {
    if (locations.has(path)) return locations.get(path);
    if (!path) return undefined;
  }
}

function at(path: string, location: Location | undefined): string {
  return location ? `${path}:${location.line}:${location.column}` : path;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

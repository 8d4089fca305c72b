// Turns a validated config file plus the environment into the effective config: defaults filled
// in per backend kind, environment overrides applied, and every cross-reference checked.
import { type BackendConfig, type BackendKind, type Config, type ConfigFile, DEFAULT_PERSON, type Person } from "./config-schema";

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(key ? `${key}: ${message}` : message);
  }
}

export const DEFAULT_BACKENDS: NonNullable<ConfigFile["backends"]> = [
  { name: "lmstudio", kind: "lmstudio", url: "http://127.0.0.1:1234/v1", tools: true },
  { name: "mlx-lm", kind: "mlx-lm", url: "http://127.0.0.1:8081/v1", tools: "auto" },
];

// How many prompts each server's cache keeps: mlx-lm's LRU holds 10 since 0.28.4,
// LM Studio runs 4 llama.cpp slots by default. Tool calling is learned from the backend.
const KIND_DEFAULTS: Record<BackendKind, Pick<BackendConfig, "tools" | "images" | "cacheSlots">> = {
  "mlx-lm": { tools: "auto", images: false, cacheSlots: 10 },
  lmstudio: { tools: "auto", images: true, cacheSlots: 4 },
  openai: { tools: "auto", images: false, cacheSlots: 4 },
  anthropic: { tools: "auto", images: true, cacheSlots: 4 },
};

// Claude Code's requests are ~75 KB of prompt and tools plus the conversation; images and pasted
// files make them larger, but no local model's context holds 32 MB.
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

// A cold prefill of Claude Code's ~18k-token prompt takes 30-60 s on a Mac; leave room for it.
const DEFAULT_TIMEOUT_MS = 600_000;
// Once a model is decoding it never pauses this long: a stream silent for 2 minutes has stalled.
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

const ENV_URL_OVERRIDES = { LMSTUDIO_URL: "lmstudio", MLX_LM_URL: "mlx-lm" } as const;

export type Env = Record<string, string | undefined>;

export function resolveConfig(file: ConfigFile, env: Env): Config {
  const backends = (file.backends ?? DEFAULT_BACKENDS)
    .flatMap((backend, index) => expandReplicas(backend, index))
    .map((backend) => ({
      ...KIND_DEFAULTS[backend.kind],
      timeoutMs: DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      ...backend,
    }));
  applyUrlOverrides(backends, env);
  checkUniqueNames((file.backends ?? DEFAULT_BACKENDS).map((backend) => backend.name));
  // Routing may name a pool (every replica in it) or one replica.
  const names = [...new Set(backends.flatMap((backend) => (backend.replicaOf ? [backend.replicaOf, backend.name] : [backend.name])))];

  const routing = file.routing ?? {};
  // The contract's names when those backends exist; else the first backend that fits the role.
  // A replica stands for its pool.
  const role = (backend: BackendConfig | undefined) => backend && (backend.replicaOf ?? backend.name);
  const toolsBackend =
    routing.toolsBackend ??
    (names.includes("lmstudio")
      ? "lmstudio"
      : (role(backends.find((backend) => backend.tools === true)) ?? role(backends.find((backend) => backend.tools !== false)) ?? role(backends[0])!));
  const defaultBackend =
    routing.defaultBackend ?? (names.includes("mlx-lm") ? "mlx-lm" : (role(backends.find((backend) => backend.tools !== true)) ?? role(backends[0])!));
  const mode = env.ANYCLAUDE_MODE || routing.mode || "auto";
  const host = env.ANYCLAUDE_HOST || file.host || "127.0.0.1";
  const persons = resolvePersons(file, host);
  const config: Config = {
    host,
    port: parsePort(env.ANYCLAUDE_PORT) ?? file.port ?? 8082,
    authToken: file.authToken ?? persons[0]?.token,
    persons,
    backends,
    routing: {
      mode,
      toolsBackend,
      defaultBackend,
      affinity: routing.affinity ?? true,
      toolsWhen: routing.toolsWhen ?? "defined",
    },
    maxBodyBytes: file.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    prewarm: file.prewarm ?? true,
    coalescePrefills: file.coalescePrefills ?? true,
    pinSlots: file.pinSlots ?? true,
  };
  checkReferences(config, names, Boolean(env.ANYCLAUDE_MODE));
  return config;
}

type FileBackend = NonNullable<ConfigFile["backends"]>[number];

// A "replicas" entry is one backend per URL, "<name>#1", "<name>#2", ..., all in the pool <name>.
function expandReplicas(backend: FileBackend, index: number): (Omit<FileBackend, "url" | "replicas"> & { url: string; replicaOf?: string })[] {
  const { replicas, url, ...rest } = backend;
  if (replicas && url !== undefined)
    throw new ConfigError('give either "url" (one server) or "replicas" (several of the same model), not both', `backends[${index}].replicas`);
  if (replicas) return replicas.map((replica, number) => ({ ...rest, name: `${backend.name}#${number + 1}`, url: replica, replicaOf: backend.name }));
  if (url === undefined) throw new ConfigError('needs "url" (or "replicas": a list of URLs of servers of the same model)', `backends[${index}]`);
  return [{ ...rest, url }];
}

// "authToken" is the person "default"; each token names one person, so none may repeat. Off
// loopback each must be strong (checkTokenStrength).
function resolvePersons(file: ConfigFile, host: string): Person[] {
  const listed = file.authTokens ?? [];
  const named = Array.isArray(listed)
    ? listed.map((person, index) => ({ ...person, key: `authTokens[${index}]` }))
    : Object.entries(listed).map(([name, token]) => ({ name, token, key: `authTokens.${name}` }));
  const persons = [...(file.authToken ? [{ name: DEFAULT_PERSON, token: file.authToken, key: "authToken" }] : []), ...named];
  const names = new Map<string, string>();
  const tokens = new Map<string, string>();
  for (const { name, token, key } of persons) {
    if (names.has(name))
      throw new ConfigError(`the name "${name}" is taken twice (also ${names.get(name)}${name === DEFAULT_PERSON ? ', "authToken"\'s person' : ""})`, key);
    if (tokens.has(token)) throw new ConfigError(`the same token as ${tokens.get(token)}: each person needs a token of their own`, key);
    if (!isLoopback(host)) checkTokenStrength(token, key, host);
    names.set(name, key);
    tokens.set(token, key);
  }
  return persons.map(({ name, token }) => ({ name, token }));
}

// Off loopback anyone on the network may guess: a token must be long, not of one kind of
// character alone, and not a few characters repeated (`openssl rand -hex 32` always passes:
// 64 characters, digits and letters, 16 different ones but for a chance of 1 in 10^20 of fewer
// than 10). Failed attempts are slowed too (authorize.ts). On loopback any token will do.
const MIN_TOKEN_LENGTH = 32;
const MIN_DIFFERENT_CHARACTERS = 10;
const CHARACTER_KINDS = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

function checkTokenStrength(token: string, key: string, host: string): void {
  const kinds = CHARACTER_KINDS.filter((pattern) => pattern.test(token)).length;
  const different = new Set(token).size;
  if (token.length >= MIN_TOKEN_LENGTH && kinds >= 2 && different >= MIN_DIFFERENT_CHARACTERS) return;
  throw new ConfigError(
    `listening on ${host} (not loopback), a token needs at least ${MIN_TOKEN_LENGTH} characters, of at least two kinds (lowercase, uppercase, digits, others) and ${MIN_DIFFERENT_CHARACTERS} different ones; this one has ${token.length}, of ${kinds} kind${kinds === 1 ? "" : "s"}, ${different} different. Make one with: openssl rand -hex 32`,
    key,
  );
}

function applyUrlOverrides(backends: BackendConfig[], env: Env): void {
  for (const [variable, name] of Object.entries(ENV_URL_OVERRIDES)) {
    const url = env[variable];
    if (!url) continue;
    if (!URL.canParse(url)) throw new ConfigError(`"${url}" is not a URL`, variable);
    const backend = backends.find((candidate) => candidate.name === name);
    if (backend) backend.url = url;
  }
}

function parsePort(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`"${value}" is not a port number (1-65535)`, "ANYCLAUDE_PORT");
  }
  return port;
}

function checkUniqueNames(names: string[]): void {
  const seen = new Set<string>();
  for (const [index, name] of names.entries()) {
    if (seen.has(name)) throw new ConfigError(`duplicate backend name "${name}"`, `backends[${index}].name`);
    seen.add(name);
  }
}

function checkReferences(config: Config, names: string[], modeFromEnv: boolean): void {
  const known = `known backends: ${names.join(", ")}`;
  const { routing } = config;
  if (routing.mode !== "auto" && !names.includes(routing.mode)) {
    throw new ConfigError(`"${routing.mode}" is neither "auto" nor a backend name (${known})`, modeFromEnv ? "ANYCLAUDE_MODE" : "routing.mode");
  }
  for (const key of ["toolsBackend", "defaultBackend"] as const) {
    if (!names.includes(routing[key])) throw new ConfigError(`no backend named "${routing[key]}" (${known})`, `routing.${key}`);
  }
  if (!isLoopback(config.host) && config.persons.length === 0) {
    throw new ConfigError(`listening on ${config.host} (not loopback) requires "authToken" or "authTokens"`, "authToken");
  }
}

// Strictly: "localhost", an IPv4 literal in 127.0.0.0/8 (four decimal octets, 0-255, no leading
// zeros), "::1", or 127.x.y.z mapped into IPv6. A prefix test is not enough: "127.evil.example" and
// "127.0.0.1.nip.io" are names anyone can point anywhere (DNS rebinding).
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost" || name === "::1") return true;
  const octets = (name.startsWith("::ffff:") ? name.slice("::ffff:".length) : name).split(".");
  return octets.length === 4 && octets[0] === "127" && octets.every((octet) => /^(0|[1-9]\d{0,2})$/.test(octet) && Number(octet) <= 255);
}

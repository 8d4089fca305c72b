// The config file's schema. Unknown keys are errors (strict objects) so a typo never passes silently.
import * as v from "valibot";

export const BACKEND_KINDS = ["mlx-lm", "lmstudio", "openai", "anthropic"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const Url = v.pipe(v.string(), v.url("must be a URL such as http://127.0.0.1:1234/v1"));

export const BackendSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' or '-'")),
  kind: v.picklist(BACKEND_KINDS),
  url: v.optional(Url),
  // Several servers of the same model, one pool: each URL becomes a backend named "<name>#1",
  // "<name>#2", ... with this entry's other settings (instead of "url").
  replicas: v.optional(v.pipe(v.array(Url), v.minLength(1, "list at least one URL"))),
  // true, false, or "auto": learned from the backend (what its model was trained for, its template)
  tools: v.optional(v.union([v.boolean(), v.literal("auto")], 'use true, false or "auto"')),
  model: v.optional(v.string()),
  apiKey: v.optional(v.string()),
  timeoutMs: v.optional(PositiveInt),
  idleTimeoutMs: v.optional(PositiveInt),
  maxTokens: v.optional(PositiveInt),
  images: v.optional(v.boolean()),
  // Passed to the server's chat template with every request (llama-server, mlx-lm, vLLM), e.g.
  // {"preserve_thinking": true} for a template that can keep past reasoning.
  chatTemplateKwargs: v.optional(v.record(v.string(), v.unknown())),
  cacheSlots: v.optional(PositiveInt),
  // The context the server has loaded, in tokens, for one that does not tell (mlx_lm.server):
  // without it the daemon cannot answer "prompt is too long", which is what makes Claude Code
  // compact below its 100k compact-window floor. Said here, it wins over what a server reports.
  contextLength: v.optional(PositiveInt),
});

// A person's name in the log and status, as for a backend; a token as the client sends it.
const PersonName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' or '-'"));
const Token = v.pipe(v.string(), v.minLength(1, "must not be empty"));

// One token per person: {"alice": "...", "bob": "..."} or [{"name": "alice", "token": "..."}].
export const AuthTokensSchema = v.union(
  [v.record(PersonName, Token), v.array(v.strictObject({ name: PersonName, token: Token }))],
  'use {"name": "token", ...} or [{"name", "token"}, ...]',
);

export const RoutingSchema = v.strictObject({
  mode: v.optional(v.pipe(v.string(), v.minLength(1))),
  toolsBackend: v.optional(v.string()),
  defaultBackend: v.optional(v.string()),
  affinity: v.optional(v.boolean()),
  toolsWhen: v.optional(v.picklist(["defined", "used"])),
});

export const ConfigSchema = v.strictObject({
  host: v.optional(v.pipe(v.string(), v.minLength(1))),
  port: v.optional(v.pipe(PositiveInt, v.maxValue(65535))),
  authToken: v.optional(v.pipe(v.string(), v.minLength(1))),
  authTokens: v.optional(AuthTokensSchema),
  backends: v.optional(v.pipe(v.array(BackendSchema), v.minLength(1, "needs at least one backend"))),
  routing: v.optional(RoutingSchema),
  maxBodyBytes: v.optional(PositiveInt),
  // Warm the backends with Claude Code's recent prompt prefixes when they come up (src/prewarm/).
  prewarm: v.optional(v.boolean()),
  // Requests sharing a prefix with one a backend is computing wait for it (src/prefix/shared-prefill.ts).
  coalescePrefills: v.optional(v.boolean()),
  pinSlots: v.optional(v.boolean()),
});

export type ConfigFile = v.InferOutput<typeof ConfigSchema>;

// The effective config: every default filled in, every reference checked.
export type BackendConfig = Required<Pick<v.InferOutput<typeof BackendSchema>, "name" | "kind" | "url">> & {
  replicaOf?: string; // the pool it is a replica in (the config entry's name), for a "replicas" entry
  tools: boolean | "auto";
  images: boolean;
  cacheSlots: number;
  timeoutMs: number; // silence allowed before the first token (a cold prefill)
  idleTimeoutMs: number; // silence allowed once tokens flow
  model?: string;
  apiKey?: string;
  maxTokens?: number;
  contextLength?: number;
  chatTemplateKwargs?: Record<string, unknown>;
};

export type RoutingConfig = {
  mode: string; // "auto" or a backend name
  toolsBackend: string;
  defaultBackend: string;
  affinity: boolean;
  toolsWhen: "defined" | "used";
};

// Who may call the daemon, by name: each of "authTokens", and "authToken" as "default".
export type Person = { name: string; token: string };
export const DEFAULT_PERSON = "default";

export type Config = {
  host: string;
  port: number;
  authToken?: string; // what the CLI's own commands send: "authToken", else the first person's
  persons: Person[];
  backends: BackendConfig[];
  routing: RoutingConfig;
  maxBodyBytes: number;
  prewarm: boolean;
  coalescePrefills: boolean;
  pinSlots: boolean;
};

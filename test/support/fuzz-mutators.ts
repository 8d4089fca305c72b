// Seeded mutations of what reaches the daemon from both sides: Claude Code requests (recorded
// ones as seeds) and backend streams (recorded chunk fixtures as seeds). The same seed gives the
// same cases, so a failure found once is found again.
import { readdirSync, readFileSync } from "node:fs";

// mulberry32: small, fast and good enough to pick mutations.
export function random(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return { next, int, pick: <T>(items: readonly T[]) => items[int(items.length)]!, chance: (p: number) => next() < p };
}

export type Rng = { next(): number; int(below: number): number; pick<T>(items: readonly T[]): T; chance(p: number): boolean };

const FIXTURES = new URL("../fixtures/", import.meta.url);

export function requestSeeds(): Record<string, unknown>[] {
  const directory = new URL("claude-code/", FIXTURES);
  return readdirSync(directory)
    .filter((name) => name.endsWith(".request.json"))
    .map((name) => JSON.parse(readFileSync(new URL(name, directory), "utf8")).body);
}

export function streamSeeds(): string[][] {
  const directory = new URL("chunks/", FIXTURES);
  return readdirSync(directory).map((name) => readFileSync(new URL(name, directory), "utf8").split("\n").filter(Boolean));
}

const ODD_STRINGS = [
  "",
  "\u0000",
  "\ud800",
  "\udc00x",
  "\u202egnp.exe",
  "\u200b\u200d\ufeff",
  "👩‍👩‍👧‍👦".repeat(50),
  "ｔｏｏｌ",
  "\\",
  '"',
  "</s><|im_end|>",
  "\r\n\r\n",
  "x".repeat(10_000),
];
const ODD_VALUES = (rng: Rng): unknown[] => [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -0,
  3.14,
  "",
  [],
  {},
  [null],
  { type: null },
  rng.pick(ODD_STRINGS),
  Number.MAX_SAFE_INTEGER + 2,
];

// A path to a random node of a JSON value: every container and leaf is a candidate.
function randomPath(value: unknown, rng: Rng): (string | number)[] {
  const path: (string | number)[] = [];
  let node = value;
  while (node !== null && typeof node === "object" && rng.chance(0.8)) {
    const keys = Array.isArray(node) ? node.map((_, index) => index) : Object.keys(node);
    if (keys.length === 0) break;
    const key = rng.pick(keys as (string | number)[]);
    path.push(key);
    node = (node as Record<string | number, unknown>)[key];
  }
  return path;
}

function parentOf(root: unknown, path: (string | number)[]): { parent: Record<string | number, unknown> | unknown[]; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return { parent: node, key: path.at(-1)! };
}

function nested(depth: number, leaf: unknown, rng: Rng): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = rng.chance(0.5) ? [value] : { a: value };
  return value;
}

export type RequestCase = { name: string; body: string };

// One mutated request body (as sent: JSON text, or not JSON at all).
export function mutateRequest(seed: Record<string, unknown>, rng: Rng): RequestCase {
  const body = structuredClone(seed);
  body.stream = rng.chance(0.7); // Claude Code streams its main loop
  const names: string[] = [];
  const rounds = rng.chance(0.4) ? 0 : 1 + rng.int(2); // some requests intact: the backend side is fuzzed too
  for (let round = 0; round < rounds; round++) {
    const path = randomPath(body, rng);
    const at = parentOf(body, path);
    const kind = rng.pick(["drop", "duplicate", "retype", "unicode", "deep", "huge", "orphan-tool", "stream-flag"] as const);
    names.push(`${kind}@${path.join(".")}`);
    switch (kind) {
      case "drop":
        if (!at) break;
        if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 1);
        else delete at.parent[at.key];
        break;
      case "duplicate":
        if (!at) break;
        if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 0, structuredClone(at.parent[at.key as number]));
        else at.parent[`${at.key}`] = structuredClone(at.parent[at.key]); // same key: text-level duplicate below
        break;
      case "retype":
        if (at) (at.parent as Record<string | number, unknown>)[at.key] = rng.pick(ODD_VALUES(rng));
        break;
      case "unicode":
        if (at)
          (at.parent as Record<string | number, unknown>)[at.key] =
            `${rng.pick(ODD_STRINGS)}${String((at.parent as Record<string | number, unknown>)[at.key]).slice(0, 200)}${rng.pick(ODD_STRINGS)}`;
        break;
      case "deep":
        if (at) (at.parent as Record<string | number, unknown>)[at.key] = nested(rng.pick([10, 100, 511, 600, 5_000]), 1, rng);
        break;
      case "huge":
        if (at) (at.parent as Record<string | number, unknown>)[at.key] = rng.pick(["x", "é", "🙂", "\\n"]).repeat(rng.pick([100_000, 1_000_000, 3_000_000]));
        break;
      case "orphan-tool": {
        const messages = body.messages;
        if (!Array.isArray(messages) || messages.length === 0) break;
        const block = rng.chance(0.5)
          ? { type: "tool_result", tool_use_id: `toolu_orphan_${rng.int(1000)}`, content: "done" }
          : { type: "tool_use", id: `toolu_orphan_${rng.int(1000)}`, name: "Write", input: { file_path: "/tmp/x" } };
        const message = rng.pick(messages) as { content: unknown } | null;
        // An earlier round may have retyped the message to null or a string: nothing to append to.
        if (message === null || typeof message !== "object") break;
        message.content = Array.isArray(message.content) ? [...message.content, block] : [block];
        break;
      }
      case "stream-flag":
        body.stream = rng.chance(0.7);
        break;
    }
  }
  let text = JSON.stringify(body);
  const textual = rng.int(10);
  if (textual === 0) {
    text = text.slice(0, rng.int(text.length)); // truncated
    names.push("truncated");
  } else if (textual === 1) {
    const at = rng.int(text.length);
    text = `${text.slice(0, at)}${rng.pick(["}", "]", '"', ",", "\\", "\u0000", "NaN"])}${text.slice(at + 1)}`; // invalid
    names.push("invalid-json");
  } else if (textual === 2) {
    text = `{"model":"dup","model":${JSON.stringify(body.model ?? null)},${text.slice(1)}`; // duplicated key
    names.push("duplicate-key");
  }
  return { name: names.join(" "), body: text };
}

export type StreamCase = { name: string; contentType: string; text: string; status: number };

// One mutated OpenAI-compatible stream, as SSE text.
export function mutateStream(seed: string[], rng: Rng): StreamCase {
  let lines = [...seed];
  const kind = rng.pick([
    "as-is",
    "broken-chunk-json",
    "broken-tool-arguments",
    "stops",
    "html",
    "error-chunk",
    "garbage",
    "shuffled",
    "json-not-stream",
    "http-error",
  ] as const);
  switch (kind) {
    case "broken-chunk-json": {
      const at = rng.int(lines.length);
      lines[at] = lines[at]!.slice(0, rng.int(lines[at]!.length));
      break;
    }
    case "broken-tool-arguments":
      lines = lines.map((line) =>
        line.replace(
          /"arguments":"((?:[^"\\]|\\.)*)"/,
          (_, args: string) => `"arguments":${JSON.stringify(`${args.slice(0, Math.max(0, args.length - 3))}{{`)}`,
        ),
      );
      break;
    case "stops":
      lines = lines.slice(0, rng.int(lines.length));
      break;
    case "html":
      return { name: kind, contentType: "text/html", text: "<html><body><h1>502 Bad Gateway</h1></body></html>", status: 200 };
    case "error-chunk":
      lines.splice(
        rng.int(lines.length),
        0,
        JSON.stringify({
          error: rng.pick([
            { message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error" },
            { message: "Model crashed" },
            "plain string error",
            { code: 500 },
          ]),
        }),
      );
      break;
    case "garbage":
      lines.splice(rng.int(lines.length), 0, rng.pick(["\u0000\u0001\u0002", "data without prefix", "event: weird", "data: ", ":\n\n\n", "[DONE"]));
      break;
    case "shuffled":
      lines.sort(() => rng.next() - 0.5);
      break;
    case "json-not-stream":
      return { name: kind, contentType: "application/json", text: JSON.stringify({ error: { message: "stream is not supported" } }), status: 200 };
    case "http-error":
      return {
        name: kind,
        contentType: "application/json",
        text: JSON.stringify({ error: { message: "Trying to keep the first 40000 tokens when context the overflows." } }),
        status: rng.pick([400, 404, 429, 500, 503]),
      };
    case "as-is":
      break;
  }
  const text = lines
    .map((line) =>
      line.startsWith(":") || line.startsWith("data") || line.startsWith("event") || line.startsWith("\u0000") ? `${line}\n\n` : `data: ${line}\n\n`,
    )
    .join("");
  return { name: kind, contentType: "text/event-stream", text, status: 200 };
}

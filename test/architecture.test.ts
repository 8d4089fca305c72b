// Which folder of src/ may import which, read from the sources. A change that needs to break one
// of these changes the design, not this test.
// - No folder imports, at run time, one that imports it back (type-only imports are erased).
// - The HTTP framework stays in the HTTP surface: only src/server/ imports elysia.
// - Translation is pure (STYLE.md 3): src/translate/ and src/protocol/ import no module with
//   effects (the network, the log, the clock, files, the daemon's state), and call none.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

type Source = { path: string; folder: string; text: string };

function sources(dir = SRC): Source[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    if (!name.endsWith(".ts") || name.endsWith(".test.ts")) return [];
    return [{ path: relative(SRC, path), folder: folderOf(path), text: readFileSync(path, "utf8") }];
  });
}

// "translate" for src/translate/x.ts; "." for a file at the top of src/.
function folderOf(path: string): string {
  const inside = relative(SRC, path);
  return inside.includes("/") ? inside.slice(0, inside.indexOf("/")) : ".";
}

// What a file imports when it runs: `import type` and `export type` are erased.
function runtimeImports(source: Source): string[] {
  return [...source.text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+"([^"]+)"/gm)].map((match) => match[1]!);
}

function localFolder(source: Source, specifier: string): string | undefined {
  return specifier.startsWith(".") ? folderOf(resolve(SRC, dirname(source.path), specifier)) : undefined;
}

const all = sources();

describe("the layout of src/", () => {
  test("the sources are read (the test can fail)", () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((source) => source.folder === "translate")).toBe(true);
  });

  test("no two folders import each other, directly or around a circle", () => {
    const edges = new Map<string, Set<string>>();
    for (const source of all) {
      for (const specifier of runtimeImports(source)) {
        const target = localFolder(source, specifier);
        if (target && target !== source.folder && target !== "..")
          (edges.get(source.folder) ?? edges.set(source.folder, new Set()).get(source.folder)!).add(target);
      }
    }
    expect(circles(edges)).toEqual([]);
  });

  test("only the HTTP surface (src/server/) imports elysia", () => {
    const outside = all.filter((source) => source.folder !== "server" && runtimeImports(source).includes("elysia"));
    expect(outside.map((source) => source.path)).toEqual([]);
  });

  test("translation and wire formats import and call nothing with effects", () => {
    const PURE_IMPORTS = /^(valibot|\.\/|\.\.\/protocol\/|\.\.\/assert-never$|\.\.\/memoize-by-identity$)/;
    // Hashing is pure; everything else of Bun's, the clock, randomness and output are not.
    const EFFECTS =
      /\bfetch\(|Date\.now\(|new Date\(|performance\.now\(|Math\.random\(|randomUUID\(|setTimeout\(|setInterval\(|console\.|process\.|Bun\.(?!CryptoHasher\b|hash\b)/;
    const pure = all.filter((source) => source.folder === "translate" || source.folder === "protocol");
    const impureImports = pure.flatMap((source) =>
      runtimeImports(source)
        .filter((specifier) => !PURE_IMPORTS.test(specifier))
        .map((specifier) => `${source.path} imports ${specifier}`),
    );
    const effects = pure.flatMap((source) =>
      EFFECTS.test(withoutComments(source.text)) ? [`${source.path}: ${EFFECTS.exec(withoutComments(source.text))![0]}`] : [],
    );
    expect([...impureImports, ...effects]).toEqual([]);
  });
});

// Each circle in the folder graph once, as "a -> b -> a".
function circles(edges: Map<string, Set<string>>): string[] {
  const found = new Set<string>();
  const walk = (start: string, at: string, path: string[]) => {
    for (const next of edges.get(at) ?? []) {
      if (next === start) found.add([...path, start].join(" -> "));
      else if (!path.includes(next) && next > start) walk(start, next, [...path, next]);
    }
  };
  for (const start of edges.keys()) walk(start, start, [start]);
  return [...found].sort();
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

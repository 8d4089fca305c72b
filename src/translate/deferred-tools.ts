// Tool search (Claude Code 2.1.2xx+): most tools are sent with `defer_loading: true` and loaded
// into the conversation by a ToolSearch call, after which Claude Code lists each loaded tool in
// its alphabetical place. A local chat template renders the tool list at the top of the prompt,
// so that list changing would cost the server's cache of everything after it: upstream, the list
// stays what it was when the conversation started (no deferred tool, no placeholder), and a
// loaded tool's definition appears where it was loaded (normalize-content.ts).
import { deepFreeze, memoizeByIdentity } from "../memoize-by-identity";
import type { Tool } from "../protocol/anthropic";

export type ToolSet = {
  declared: readonly Tool[]; // sent upstream: every tool not deferred, in the client's order
  byName: ReadonlyMap<string, Tool>; // every tool, deferred ones included
};

// Once per tool list: requests that send the same list share it (src/server/tool-list-cache.ts).
export const splitTools = memoizeByIdentity((tools: Tool[]): ToolSet => {
  const declared = tools.some((tool) => tool.defer_loading) ? deepFreeze(tools.filter((tool) => !tool.defer_loading)) : tools;
  return { declared, byName: new Map(tools.map((tool) => [tool.name, tool])) };
});

// For servers whose tool-call parser knows only the tools in the request (llama-server builds its
// parser and grammar from them): the loaded tools follow the declared ones, in the order they were
// loaded, so the list only ever grows at its end and what came before it stays cached.
export function declaredWithLoaded(set: ToolSet, loaded: readonly string[]): readonly Tool[] {
  if (loaded.length === 0) return set.declared;
  const cache = loadedLists(set);
  const key = loaded.join("\u0000");
  let list = cache.get(key);
  if (!list) {
    list = deepFreeze([...set.declared, ...loaded.flatMap((name) => set.byName.get(name) ?? [])]);
    cache.set(key, list);
  }
  return list;
}

const loadedLists = memoizeByIdentity((_set: ToolSet) => new Map<string, readonly Tool[]>());

// ToolSearch's description promises the model each matched tool as one
// <function>{"description": ..., "name": ..., "parameters": ...}</function> line in a <functions> block.
export function functionsBlock(tools: readonly Tool[]): string {
  const lines = tools.map(
    (tool) => `<function>${JSON.stringify({ description: tool.description ?? "", name: tool.name, parameters: tool.input_schema ?? {} })}</function>`,
  );
  return `<functions>\n${lines.join("\n")}\n</functions>`;
}

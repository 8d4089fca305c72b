// Claude Code sends the same tool list (~60 KB of JSON, 80% of its request) with every request
// of a session. Each distinct list is parsed and validated once, frozen, and then shared by every
// request that sends the same text: what is derived from it (its prefix hash, its translation for
// each backend, their JSON) is computed once per list too (memoize-by-identity.ts).
import * as v from "valibot";
import { deepFreeze } from "../memoize-by-identity";
import { type Tool, ToolList } from "../protocol/anthropic";

// Lists in use at once: the main session's, its subagents' (other tools), another project's.
const CAPACITY = 8;

export class ToolListCache {
  private readonly lists = new Map<string, Tool[]>(); // by the list's exact text, oldest first

  // The list a text denotes, or undefined when it is not a valid tool list: the request is then
  // read whole, which says what is wrong with it.
  resolve(text: string): Tool[] | undefined {
    const known = this.lists.get(text);
    if (known) {
      this.lists.delete(text);
      this.lists.set(text, known);
      return known;
    }
    const parsed = v.safeParse(ToolList, parseOrUndefined(text));
    if (!parsed.success) return undefined;
    const list = deepFreeze(parsed.output);
    this.lists.set(text, list);
    if (this.lists.size > CAPACITY) this.lists.delete(this.lists.keys().next().value!);
    return list;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Claude Code sends the same tool list (~60 KB of JSON, 80% of its request) with every request
// of a session. Each distinct list is parsed and validated once, frozen, and then shared by every
// request that sends the same text: what is derived from it (its prefix hash, its translation for
// each backend, their JSON) is computed once per list too (memoize-by-identity.ts).
import * as v from "valibot";
import { deepFreeze } from "../memoize-by-identity";
import { type Tool, ToolList } from "../protocol/anthropic";
import type { Span } from "./scan-json";

// Lists in use at once: the main session's, its subagents' (other tools), another project's.
const CAPACITY = 8;

export class ToolListCache {
  private entries: { text: string; list: Tool[] }[] = []; // newest first

  // Where a known list's text ends, when one starts at `start` (see scanJson), else -1.
  knownEnd(body: string, start: number): number {
    const entry = this.entries.find(({ text }) => body.startsWith(text, start));
    return entry ? start + entry.text.length : -1;
  }

  // The list the text at `span` denotes, or undefined when it is not a valid tool list: the
  // request is then read whole, which says what is wrong with it.
  resolve(body: string, span: Span): Tool[] | undefined {
    const length = span.end - span.start;
    const known = this.entries.findIndex(({ text }) => text.length === length && body.startsWith(text, span.start));
    if (known >= 0) {
      const [entry] = this.entries.splice(known, 1);
      this.entries.unshift(entry!);
      return entry!.list;
    }
    const text = body.slice(span.start, span.end);
    const parsed = v.safeParse(ToolList, parseOrUndefined(text));
    if (!parsed.success) return undefined;
    const list = deepFreeze(parsed.output);
    this.entries = [{ text: detached(text), list }, ...this.entries.slice(0, CAPACITY - 1)];
    return list;
  }
}

// A copy of its own: JavaScriptCore's slice shares the whole string it was cut from, so a kept
// slice would keep the whole request body alive with it (measured: 20 slices of 70 KB cut from
// 5 MB strings kept 100 MB).
function detached(text: string): string {
  return new TextDecoder().decode(new TextEncoder().encode(text));
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

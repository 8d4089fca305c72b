// Claude Code sends the same tool list (~60 KB of JSON, 80% of its request) with every request
// of a session. Each distinct list is parsed and validated once, frozen, and then shared by every
// request that sends the same bytes: what is derived from it (its prefix hash, its translation for
// each backend, their JSON) is computed once per list too (memoize-by-identity.ts).
import * as v from "valibot";
import { deepFreeze } from "../memoize-by-identity";
import { type Tool, ToolList } from "../protocol/anthropic";
import { bytesAt, decodeUtf8, parseOrUndefined } from "./body-bytes";
import type { Span } from "./scan-json";

// Lists in use at once: the main session's, its subagents' (other tools), another project's.
const CAPACITY = 8;

export class ToolListCache {
  private entries: { bytes: Uint8Array; list: Tool[] }[] = []; // newest first

  // Where a known list ends, when one starts at `start` (see scanJson), else -1.
  knownEnd(body: Uint8Array, start: number): number {
    const entry = this.entries.find(({ bytes }) => bytesAt(body, start, bytes));
    return entry ? start + entry.bytes.length : -1;
  }

  // The list the bytes at `span` denote, or undefined when they are not a valid tool list: the
  // request is then read whole, which says what is wrong with it.
  resolve(body: Uint8Array, span: Span): Tool[] | undefined {
    const known = this.entries.findIndex(({ bytes }) => bytes.length === span.end - span.start && bytesAt(body, span.start, bytes));
    if (known >= 0) {
      const [entry] = this.entries.splice(known, 1);
      this.entries.unshift(entry!);
      return entry!.list;
    }
    const bytes = body.subarray(span.start, span.end);
    const parsed = v.safeParse(ToolList, parseOrUndefined(decodeUtf8(bytes)));
    if (!parsed.success) return undefined;
    const list = deepFreeze(parsed.output);
    // A copy (slice), not a view (subarray): the request body is handed back once read
    // (release-bytes.ts), and a view would have kept it alive, or been emptied with it.
    this.entries = [{ bytes: bytes.slice(), list }, ...this.entries.slice(0, CAPACITY - 1)];
    return list;
  }
}

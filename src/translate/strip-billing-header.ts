// Claude Code puts `x-anthropic-billing-header: cc_version=...; cch=<nonce>;` at the very top of
// its system prompt. It changes per session (or per request) and sits at token 0, so left in it
// would defeat every local prefix cache. It means nothing to a local model.
import type { MessagesRequest, TextBlock } from "../protocol/anthropic";

const BILLING_LINE = /^x-anthropic-billing-header:.*(?:\r?\n|$)/gm;

export function stripBillingHeader(system: MessagesRequest["system"]): MessagesRequest["system"] {
  if (system === undefined) return undefined;
  if (typeof system === "string") return system.replace(BILLING_LINE, "");
  return system.flatMap((block): TextBlock[] => {
    if (!block.text.includes("x-anthropic-billing-header:")) return [block];
    const text = block.text.replace(BILLING_LINE, "");
    return text.trim() === "" ? [] : [{ ...block, text }];
  });
}

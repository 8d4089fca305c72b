// The tool calls of a finished reply, as they may go to the client. Claude Code starts a tool as
// soon as the tool_use block's content_block_stop arrives, whatever the stop_reason turns out to be
// (2.1.197 and 2.1.332: each finished block goes to its streaming tool executor), so a call that
// is not whole and parseable must never go out as a tool_use block. Such a call becomes a short
// text note instead: the user sees what happened, and nothing runs with arguments the model never
// wrote. (A tool_use with input {} or {_raw} would run a tool that takes no required parameters
// for real, or fail its schema check with an error that blames the model's arguments.)
import type { Tool } from "../protocol/anthropic";
import { coerceToSchema } from "./coerce-tool-arguments";
import type { GeneratedToolCall } from "./reply";
import { parseJsonObject, repairToolArguments } from "./repair-tool-arguments";

export type HeldToolCall = { id: string; name: string; arguments: string };
// `clientJson`: the input as the client gets it (the arguments, unless typed by coerceToSchema).
export type SettledToolCall = GeneratedToolCall & { input: Record<string, unknown>; clientJson: string };

// `undeclaredTools`: tools the model may call that the server was not told of (deferred tools a
// conversation loaded, on a server that parses calls to any tool): their arguments get typed.
export type SettleOptions = { backend: string; cutAt?: number; undeclaredTools?: ReadonlyMap<string, Tool> } & ToolUseIds;

// The Messages API requires every tool_use id of a conversation to be unique, and the replay
// memory keys each call's bytes by its id; a backend's own ids need not be (one that repeats an
// id within a reply, or numbers its calls afresh every reply). `toolUseId`: an id of our own for
// the call at a position; `toolUseIdTaken`: whether the conversation already holds an id.
export type ToolUseIds = { toolUseId: (position: number) => string; toolUseIdTaken?: (id: string) => boolean };

export type SettledToolCalls = {
  calls: SettledToolCall[]; // what goes to the client; `arguments` are the bytes to replay
  notes: string[]; // one line per call that was dropped, for a text block
  warnings: string[]; // for the caller to log
  cutOff: boolean; // the token limit struck inside a call: the reply stops for max_tokens
};

// A settled call as the reply remembers it (for the replay memory).
export function generatedCall({ id, name, arguments: args, clientJson }: SettledToolCall): GeneratedToolCall {
  return { id, name, arguments: args, ...(clientJson === args ? {} : { clientJson }) };
}

// `cutAt`: the position of the call the model was writing when it hit the token limit, if it was.
export function settleToolCalls(held: HeldToolCall[], options: SettleOptions): SettledToolCalls {
  const settled: SettledToolCalls = { calls: [], notes: [], warnings: [], cutOff: false };
  const given = new Set<string>();
  held.forEach((call, position) => {
    const tool = call.name || "a tool";
    // A call the token limit struck inside goes out only as valid JSON: even a slip the repair
    // would mend may be where the model was still writing, and the reply stops for max_tokens.
    // (Any other call cut short is refused by the repair itself: repair-tool-arguments.ts.)
    if (position === options.cutAt && !parseJsonObject(call.arguments)) {
      settled.cutOff = true;
      settled.notes.push(`[tool call to ${tool} cut off by max_tokens; it was not run]`);
      settled.warnings.push(`backend "${options.backend}" hit max_tokens inside a call to ${tool}; the call was dropped`);
      return;
    }
    if (!call.name) {
      settled.notes.push("[a tool call without a tool name was dropped]");
      settled.warnings.push(`backend "${options.backend}" sent a tool call without a name; it was dropped`);
      return;
    }
    const args = repairToolArguments(call.arguments);
    const typed = ({ arguments: bytes, input }: { arguments: string; input: Record<string, unknown> }) => {
      const coerced = coerceToSchema(input, options.undeclaredTools?.get(call.name));
      const id = uniqueId(call.id, position, given, options);
      if (call.id && id !== call.id)
        settled.warnings.push(`backend "${options.backend}" reused the tool-call id ${JSON.stringify(call.id.slice(0, 100))}; the call goes out as ${id}`);
      return { id, name: call.name, arguments: bytes, input: coerced, clientJson: coerced === input ? bytes : JSON.stringify(coerced) };
    };
    switch (args.kind) {
      case "valid":
        settled.calls.push(typed(args));
        return;
      case "repaired":
        settled.calls.push(typed(args));
        settled.warnings.push(`backend "${options.backend}" wrote malformed JSON arguments for ${call.name}; repaired: ${args.arguments.slice(0, 200)}`);
        return;
      case "unparseable":
        settled.notes.push(`[the model wrote arguments for ${call.name} that are not valid JSON; the call was not run]`);
        settled.warnings.push(
          `backend "${options.backend}" wrote unparseable arguments for ${call.name}; the call was dropped: ${call.arguments.slice(0, 200)}`,
        );
        return;
      default:
        return args satisfies never;
    }
  });
  return settled;
}

// The backend's id when it is new to the conversation (templates that render ids get them back
// as they were), else one of our own, new too.
function uniqueId(wanted: string, position: number, given: Set<string>, ids: ToolUseIds): string {
  const taken = (id: string) => id === "" || given.has(id) || (ids.toolUseIdTaken?.(id) ?? false);
  let id = wanted;
  for (let attempt = 0; taken(id); attempt++) id = attempt === 0 ? ids.toolUseId(position) : `${ids.toolUseId(position)}_${attempt}`;
  given.add(id);
  return id;
}

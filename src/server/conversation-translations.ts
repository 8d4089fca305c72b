// Claude Code resends every message of a conversation with every request. Those the daemon has
// seen are the same frozen objects (conversation-cache.ts), and translate to what they did before
// as long as the replay memory answers what it did then. Per session, the last request's
// translation is kept as one run: the next request compares its messages with the run's by
// identity (a pointer each), asks the replay memory which of the run's questions it may answer
// otherwise now (a few keys, whatever the conversation's length), and translates only the
// messages after the longest run that still holds.
import { deepFreeze } from "../memoize-by-identity";
import { questionKey, type SessionLookup } from "../prefix/replay-memory";
import type { Message } from "../protocol/anthropic";
import type { ChatMessage } from "../protocol/openai";
import type { ReplayLookup, ReuseConversation } from "../translate/convert-to-openai-messages";

// As many sessions as the conversation cache keeps.
const SESSIONS = 64;

// A question the translation put to the replay memory, and its answer then.
// `input`: a tool call's, as the (frozen) message holds it.
type Asked = { tool: boolean; question: string; input?: unknown; key: string; answer: string | undefined };
type Run = {
  way: string;
  replay: SessionLookup; // the memory the answers came from
  version: number; // and its version then
  messages: Message[]; // those translated: as many as `ends` has
  out: ChatMessage[];
  ends: number[]; // where in `out` each message's translation ends
  asked: Asked[][]; // per message
  firstAsked: Map<string, number>; // a question's key -> the first message that asked it
};

export class ConversationTranslations {
  private readonly runs = new Map<string, Run>(); // least recently used first

  // way: what the translation depends on besides the messages and the replay memory's answers
  // (whether the backend takes images, whether its content keeps separators).
  reuse(session: string, way: string, replay: SessionLookup): ReuseConversation {
    return (messages, translate) => {
      const run: Run = this.runs.get(session) ?? { way, replay, version: 0, messages: [], out: [], ends: [], asked: [], firstAsked: new Map() };
      // Changed in place, not copied: a copy would cost as much as the conversation is long.
      // Safe as nothing else runs meanwhile; a translation that throws leaves the run its messages
      // translated so far, all valid.
      truncate(run, run.way === way ? keptCount(run, messages, replay) : 0);
      Object.assign(run, { way, replay, version: replay.version, messages });
      this.runs.delete(session);
      this.runs.set(session, run);
      if (this.runs.size > SESSIONS) this.runs.delete(this.runs.keys().next().value!);
      for (let index = run.ends.length; index < messages.length; index++) {
        const asked: Asked[] = [];
        // Frozen: shared with the requests after, and what is derived from a frozen message (its
        // serialization) may be kept, as it never changes.
        for (const message of translate(index, recording(replay, asked))) run.out.push(deepFreeze(message));
        run.ends.push(run.out.length);
        run.asked.push(asked);
        for (const { key } of asked) if (!run.firstAsked.has(key)) run.firstAsked.set(key, index);
      }
      return run.out.slice(); // the run changes with the next request; the caller's must not
    };
  }
}

// How many messages from the start are the run's own (frozen: a message no one can have changed)
// and get the same answers from the replay memory: those before the first to ask a question whose
// answer changed since.
function keptCount(run: Run, messages: Message[], replay: SessionLookup): number {
  let count = 0;
  while (count < messages.length && count < run.ends.length && messages[count] === run.messages[count] && Object.isFrozen(messages[count])) count++;
  const changed = run.replay === replay ? replay.changedSince(run.version) : undefined;
  if (changed) {
    for (const key of changed) count = Math.min(count, run.firstAsked.get(key) ?? count);
    return count;
  }
  // Another memory (the session's was pushed out, or had no replies then), or changes too long
  // ago to be known: every answer asked again.
  for (let index = 0; index < count; index++) {
    if (!run.asked[index]!.every((question) => ask(replay, question) === question.answer)) return index;
  }
  return count;
}

// The run cut to its first `kept` messages, their questions' first askers with them.
function truncate(run: Run, kept: number): void {
  for (let index = kept; index < run.asked.length; index++) {
    for (const { key } of run.asked[index]!) if (run.firstAsked.get(key) === index) run.firstAsked.delete(key);
  }
  run.out.length = run.ends[kept - 1] ?? 0;
  run.ends.length = kept;
  run.asked.length = kept;
}

function ask(replay: ReplayLookup, { tool, question, input }: Asked): string | undefined {
  return tool ? replay.toolArguments(question, input) : replay.text(question);
}

function recording(replay: ReplayLookup, asked: Asked[]): ReplayLookup {
  const answer = (tool: boolean, question: string, input?: unknown) => {
    const entry: Asked = { tool, question, input, key: questionKey(tool, question), answer: undefined };
    entry.answer = ask(replay, entry);
    asked.push(entry);
    return entry.answer;
  };
  return { toolArguments: (id, input) => answer(true, id, input), text: (text) => answer(false, text) };
}

// Claude Code resends every message of a conversation with every request. Those the daemon has
// seen are the same frozen objects (conversation-cache.ts), and translate to what they did before
// as long as the replay memory answers what it did then. Per session, the last request's
// translation is kept as one run: the next request compares its messages with the run's by
// identity (a pointer each), checks the replay memory's answers for those, and translates only
// the messages after the longest run that still holds.
import type { Message } from "../protocol/anthropic";
import type { ChatMessage } from "../protocol/openai";
import type { ReplayLookup, ReuseConversation } from "../translate/convert-to-openai-messages";

// As many sessions as the conversation cache keeps.
const SESSIONS = 64;

// A question the translation put to the replay memory, and its answer then.
type Asked = { tool: boolean; key: string; answer: string | undefined };
type Run = {
  way: string;
  messages: Message[];
  out: ChatMessage[];
  ends: number[]; // where in `out` each message's translation ends
  asked: Asked[][]; // per message
};

const NO_REPLAY: ReplayLookup = { toolArguments: () => undefined, text: () => undefined };

export class ConversationTranslations {
  private readonly runs = new Map<string, Run>(); // least recently used first

  // way: what the translation depends on besides the messages and the replay memory's answers
  // (whether the backend takes images, whether its content keeps separators).
  reuse(session: string, way: string, replay: ReplayLookup | undefined): ReuseConversation {
    const current = replay ?? NO_REPLAY;
    return (messages, translate) => {
      const run = this.runs.get(session);
      const kept = run && run.way === way ? keptCount(run, messages, current) : 0;
      const next: Run = { way, messages, out: run ? run.out.slice(0, run.ends[kept - 1] ?? 0) : [], ends: run?.ends.slice(0, kept) ?? [], asked: run?.asked.slice(0, kept) ?? [] };
      for (let index = kept; index < messages.length; index++) {
        const asked: Asked[] = [];
        // Shared with the requests after, never changed (frozen, they would serialize ~20% slower).
        next.out.push(...translate(index, recording(current, asked)));
        next.ends.push(next.out.length);
        next.asked.push(asked);
      }
      this.runs.delete(session);
      this.runs.set(session, next);
      if (this.runs.size > SESSIONS) this.runs.delete(this.runs.keys().next().value!);
      return next.out.slice();
    };
  }
}

// How many messages from the start are the run's own (frozen: a message no one can have changed)
// and get the same answers from the replay memory.
function keptCount(run: Run, messages: Message[], replay: ReplayLookup): number {
  let count = 0;
  while (count < messages.length && count < run.messages.length && messages[count] === run.messages[count] && Object.isFrozen(messages[count])) count++;
  for (let index = 0; index < count; index++) {
    if (!run.asked[index]!.every((question) => ask(replay, question) === question.answer)) return index;
  }
  return count;
}

function ask(replay: ReplayLookup, { tool, key }: Asked): string | undefined {
  return tool ? replay.toolArguments(key) : replay.text(key);
}

function recording(replay: ReplayLookup, asked: Asked[]): ReplayLookup {
  const answer = (tool: boolean, key: string) => {
    const question: Asked = { tool, key, answer: undefined };
    question.answer = ask(replay, question);
    asked.push(question);
    return question.answer;
  };
  return { toolArguments: (id) => answer(true, id), text: (text) => answer(false, text) };
}

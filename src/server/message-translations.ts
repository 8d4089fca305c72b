// Claude Code resends every message of a conversation with every request. Those the daemon has
// seen are the same frozen objects (conversation-cache.ts), and translate to what they did before
// as long as the replay memory answers what it did then: their translations are kept here, per
// object and per way of translating, frozen, so that a request translates only its new messages
// and their JSON is serialized once (serialize-body.ts).
import { deepFreeze } from "../memoize-by-identity";
import type { Message } from "../protocol/anthropic";
import type { ChatMessage } from "../protocol/openai";
import type { ReplayLookup, ReuseTranslation } from "../translate/convert-to-openai-messages";

// A question the translation put to the replay memory, and its answer then.
type Asked = { tool: boolean; key: string; answer: string | undefined };
type Kept = { messages: readonly ChatMessage[]; asked: Asked[] };

const NO_REPLAY: ReplayLookup = { toolArguments: () => undefined, text: () => undefined };

export class MessageTranslations {
  // Weak: a translation lives as long as the message it came from is kept or in use.
  private readonly kept = new WeakMap<Message, Map<string, Kept>>();

  // way: what the translation depends on besides the message and the replay memory's answers
  // (whether the backend takes images, whether its content keeps separators).
  reuse(way: string, replay: ReplayLookup | undefined): ReuseTranslation {
    const current = replay ?? NO_REPLAY;
    return (message, translate) => {
      if (!Object.isFrozen(message)) return translate(replay);
      const ways = this.kept.get(message) ?? new Map<string, Kept>();
      const kept = ways.get(way);
      if (kept && kept.asked.every((question) => ask(current, question) === question.answer)) return kept.messages;
      const asked: Asked[] = [];
      const messages = deepFreeze(translate(recording(current, asked)));
      ways.set(way, { messages, asked });
      this.kept.set(message, ways);
      return messages;
    };
  }
}

function ask(replay: ReplayLookup, { tool, key }: Asked): string | undefined {
  return tool ? replay.toolArguments(key) : replay.text(key);
}

function recording(replay: ReplayLookup, asked: Asked[]): ReplayLookup {
  const answer = (tool: boolean, key: string) => {
    const question = { tool, key, answer: undefined as string | undefined };
    question.answer = ask(replay, question);
    asked.push(question);
    return question.answer;
  };
  return { toolArguments: (id) => answer(true, id), text: (text) => answer(false, text) };
}

// Text a user pastes into a turn: plain prose, different for every seed (so no turn is cached
// from another), of a given size in Qwen3 tokens (the test models' tokenizer, as the emulated
// servers count), for sessions that must fill a small context at a known pace.
import { encodeTokens } from "../emulators/encode-tokens";

const WORDS = (
  "the config loader reads each backend entry and checks its url before the daemon starts serving requests " +
  "a slot keeps the prompt it computed so the next turn of the same conversation only pays for its new tokens " +
  "when the context is full the client summarizes what came before and carries on with a shorter prompt"
).split(" ");

export function pastedText(seed: number, tokens: number): string {
  let state = seed * 2_654_435_761 + 1;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648);
  const sentences: string[] = [`Notes, part ${seed}.`];
  // Sentence by sentence: the count of a join is the sum of its parts', to a token or two.
  let count = encodeTokens(sentences[0]!).length;
  while (true) {
    const length = 8 + ((next() >> 12) % 10);
    const words = Array.from({ length }, () => WORDS[(next() >> 12) % WORDS.length]!);
    const sentence = `${words[0]![0]!.toUpperCase()}${words.join(" ").slice(1)} (${seed}.${sentences.length}).`;
    const cost = encodeTokens(` ${sentence}`).length;
    if (count + cost > tokens) break;
    sentences.push(sentence);
    count += cost;
  }
  return sentences.join(" ");
}

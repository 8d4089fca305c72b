// The emulated servers count tokens with the same stand-in tokenizer `anyclaude bench` sizes its
// prompt with (about 3.5 characters a token, prefix-friendly, like a real BPE tokenizer).
export { tokenize } from "../../src/bench/approximate-tokens";

// Issue 9's sessions of the real Claude Code (claude-code.test.ts, vllm.test.ts): a warm-up run and
// its --continue, then a question and three --continue turns.
export const SESSION = [
  ["-p", "Say hello"],
  ["-p", "--continue", "And again"],
  ["-p", "What is 2+2?"],
  ["-p", "--continue", "And 3+3?"],
  ["-p", "--continue", "And 4+4?"],
  ["-p", "--continue", "And 5+5?"],
];

export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

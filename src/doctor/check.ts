// One line of `anyclaude doctor`. `required`: Claude Code cannot work through anyclaude while it
// fails (for a backend: unless another backend passes all of its own).
export type Check = { name: string; ok: boolean; required: boolean; detail: string; fix?: string };

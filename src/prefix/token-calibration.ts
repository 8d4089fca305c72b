// Token counts made close to what a backend counts, from what it counted before. The estimate
// behind every chain (estimate-tokens.ts: 3.5 characters a token) is off by the backend's
// tokenizer and its chat template: measured with Qwen3's tokenizer and Qwen3-Coder's template on
// Claude Code's recorded requests, 15% high for the whole prompt, 21% high without tools, and the
// template's tool preamble far above the tools' JSON for one small tool (264 counted, 76 estimated).
// So each backend's real prompt counts teach it two factors, cheaply, as a running median: real
// tokens per estimated token (from prompts without tools), and what the template adds per tool
// beyond its JSON (from prompts with tools, given that ratio). A conversation seen before is
// counted from its last real prompt count plus an estimate of only what came since.
import { median } from "../median";
import type { Segment } from "./prefix-chain";

// Replies counted per backend: enough for a median to ignore an odd one, few enough to follow a
// model reloaded with another template under the same name.
const SAMPLES = 15;

export type CountSample = { estimated: number; tools: number; real: number };
export type CountFactors = { ratio: number; perTool: number };

// Before any count: the plain estimate.
const UNCALIBRATED: CountFactors = { ratio: 1, perTool: 0 };

export class BackendCalibration {
  // Whether the backend answers count_tokens itself (ask-token-count.ts): undefined until asked.
  countsItself?: boolean;
  private readonly plain: number[] = []; // real / estimated, prompts without tools
  private readonly tooled: CountSample[] = [];
  private fitted?: CountFactors;

  record(sample: CountSample): void {
    if (!(sample.real > 0 && sample.estimated > 0)) return;
    if (sample.tools === 0) keepLast(this.plain, sample.real / sample.estimated);
    else keepLast(this.tooled, sample);
    this.fitted = undefined;
  }

  factors(): CountFactors {
    return (this.fitted ??= this.fit());
  }

  // A prompt the chain estimated at `estimated` tokens, `tools` of them declared.
  estimate(estimated: number, tools: number): number {
    const { ratio, perTool } = this.factors();
    return estimated > 0 ? Math.max(1, Math.round(estimated * ratio + tools * perTool)) : 0;
  }

  private fit(): CountFactors {
    if (this.plain.length === 0) {
      // Only prompts with tools seen so far: their ratio carries the template's tool overhead.
      return this.tooled.length === 0 ? UNCALIBRATED : { ratio: median(this.tooled.map((s) => s.real / s.estimated)), perTool: 0 };
    }
    const ratio = median(this.plain);
    return { ratio, perTool: this.tooled.length === 0 ? 0 : median(this.tooled.map((s) => (s.real - ratio * s.estimated) / s.tools)) };
  }
}

function keepLast<T>(values: T[], value: T): void {
  values.push(value);
  if (values.length > SAMPLES) values.shift();
}

// Where a conversation's prompt was last counted: on which backend (and model), how far its chain
// went, the hashes of its head and of its last segment then, and the estimated and real counts.
export type CountPoint = { backend: string; head: string; length: number; last: string; estimated: number; real: number };

export function countPoint(backend: string, segments: readonly Segment[], estimated: number, real: number): CountPoint {
  return { backend, head: segments[0]?.hash ?? "", length: segments.length, last: segments.at(-1)?.hash ?? "", estimated, real };
}

// A prompt that extends one counted before: that count, plus what is new since at the backend's
// ratio. Two hashes say whether it extends it (a conversation's head and the segment it ended
// with), not a pass over the chain; undefined when it does not (another conversation, a
// compaction, an edited turn).
export function estimateFromPoint(point: CountPoint, backend: string, segments: readonly Segment[], estimated: number, ratio: number): number | undefined {
  if (point.backend !== backend || segments.length < point.length || segments[0]?.hash !== point.head || segments[point.length - 1]?.hash !== point.last)
    return undefined;
  return point.real + Math.max(0, Math.round((estimated - point.estimated) * ratio));
}

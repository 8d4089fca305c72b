import { expect, test } from "bun:test";
import type { Segment } from "./prefix-chain";
import { BackendCalibration, countPoint, estimateFromPoint } from "./token-calibration";

test("before any count, the plain estimate", () => {
  expect(new BackendCalibration().estimate(1_000, 12)).toBe(1_000);
  expect(new BackendCalibration().estimate(0, 0)).toBe(0);
});

test("the ratio is the median of the backend's counts of prompts without tools: one odd count does not move it", () => {
  const calibration = new BackendCalibration();
  for (const [estimated, real] of [
    [3_515, 2_790],
    [3_604, 2_882],
    [400, 2_000],
    [3_526, 2_795],
  ] as const)
    calibration.record({ estimated, tools: 0, real });
  // Qwen3-Coder's template and Qwen3's tokenizer on Claude Code's recorded requests: ~0.79 a token.
  expect(calibration.factors().ratio).toBeCloseTo(0.795, 2);
  expect(calibration.estimate(3_628, 0)).toBeWithin(2_830, 2_940); // counted: 2,902
});

test("the template's overhead per tool is learned from prompts with tools, given that ratio", () => {
  const calibration = new BackendCalibration();
  calibration.record({ estimated: 3_515, tools: 0, real: 2_790 });
  calibration.record({ estimated: 21_478, tools: 24, real: 18_591 });
  const { ratio, perTool } = calibration.factors();
  expect(perTool).toBeCloseTo((18_591 - ratio * 21_478) / 24, 6);
  // One of those tools alone, counted 3,604 (the 3.5-characters estimate: 4,229).
  expect(Math.abs(calibration.estimate(4_229, 1) - 3_604) / 3_604).toBeLessThan(0.1);
  // Another Claude Code release's 11 tools, counted 11,776.
  expect(Math.abs(calibration.estimate(13_715, 11) - 11_776) / 11_776).toBeLessThan(0.03);
});

test("with only prompts with tools seen, their ratio carries the overhead", () => {
  const calibration = new BackendCalibration();
  calibration.record({ estimated: 21_478, tools: 24, real: 18_591 });
  expect(calibration.factors()).toEqual({ ratio: 18_591 / 21_478, perTool: 0 });
  expect(calibration.estimate(21_567, 24)).toBeWithin(18_600, 18_750); // counted: 18,683
});

test("the last samples only: a backend whose model was reloaded with another template follows", () => {
  const calibration = new BackendCalibration();
  for (let index = 0; index < 15; index++) calibration.record({ estimated: 1_000, tools: 0, real: 800 });
  for (let index = 0; index < 15; index++) calibration.record({ estimated: 1_000, tools: 0, real: 1_200 });
  expect(calibration.factors().ratio).toBe(1.2);
});

const segments = (...hashes: string[]): Segment[] => hashes.map((hash) => ({ hash, tokens: 100 }));

test("a prompt that extends one counted before: that count plus what is new, at the backend's ratio", () => {
  const point = countPoint("llama", segments("head", "m1", "m2"), 300, 240);
  expect(estimateFromPoint(point, "llama", segments("head", "m1", "m2", "reply", "m3"), 500, 0.8)).toBe(240 + 160);
  // The same prompt again (a retry): its count.
  expect(estimateFromPoint(point, "llama", segments("head", "m1", "m2"), 300, 0.8)).toBe(240);
});

test("a prompt that does not extend it is not counted from it", () => {
  const point = countPoint("llama", segments("head", "m1", "m2"), 300, 240);
  expect(estimateFromPoint(point, "llama", segments("head", "summary", "m3"), 300, 0.8)).toBeUndefined(); // compacted
  expect(estimateFromPoint(point, "llama", segments("head", "m1"), 200, 0.8)).toBeUndefined(); // shorter
  expect(estimateFromPoint(point, "llama", segments("other", "m1", "m2", "m3"), 400, 0.8)).toBeUndefined(); // another head
  expect(estimateFromPoint(point, "mlx", segments("head", "m1", "m2", "m3"), 400, 0.8)).toBeUndefined(); // another backend
});

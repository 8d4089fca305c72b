// How many prompt tokens an image takes, as the vision models local servers run count them: by
// its size in pixels, never by the length of its base64 text (a 300 KB screenshot is ~400k
// characters, which as prose would be ~114k tokens; Qwen2.5-VL sees it as 2,693).
import type { ImageBlock } from "../protocol/anthropic";
import { type ImageDimensions, readBase64, readImageDimensions } from "./image-dimensions";

// Qwen2.5-VL's image processor (the vision model LM Studio and mlx-vlm users run most; Qwen3-VL
// and Qwen2-VL count alike): 14-pixel patches merged 2x2, so every token is a 28x28 tile, and the
// image resized to between min_pixels and max_pixels, the defaults in Qwen/Qwen2.5-VL-7B-Instruct's
// preprocessor_config.json ("min_pixels": 3136, "max_pixels": 12845056).
const TILE = 28;
const MIN_PIXELS = 4 * TILE * TILE; // 3,136
const MAX_PIXELS = 16384 * TILE * TILE; // 12,845,056
const VISION_MARKERS = 2; // <|vision_start|> and <|vision_end|> around the image's tokens

// An image whose size we cannot know (by URL, or a header we cannot read) counts as a 1024x1024
// one: 1,371 tokens, between a small crop and a full-HD screenshot (2,693). Counting it as the
// largest image the model takes (16,386) would refuse small-context backends for every picture.
const UNKNOWN_SIZE: ImageDimensions = { width: 1024, height: 1024 };

export function countImageTokens(source: ImageBlock["source"]): number {
  const dimensions = source.type === "base64" ? readImageDimensions(readBase64(source.data)) : undefined;
  return visionTokens(dimensions ?? UNKNOWN_SIZE);
}

export function visionTokens(dimensions: ImageDimensions): number {
  const { width, height } = resizeForVision(dimensions);
  return (width / TILE) * (height / TILE) + VISION_MARKERS;
}

// Qwen's `smart_resize`, from its documented steps: each side rounded to the nearest multiple of
// 28 (at least 28); if that holds more than max_pixels, both sides scaled down by the same factor
// and floored to a multiple of 28; if fewer than min_pixels, scaled up and ceiled. The aspect
// ratio is kept as well as whole tiles allow. (Qwen refuses ratios over 200:1; we still count.)
export function resizeForVision({ width, height }: ImageDimensions): ImageDimensions {
  const rounded = { width: toTiles(width, roundHalfEven), height: toTiles(height, roundHalfEven) };
  if (rounded.width * rounded.height > MAX_PIXELS) {
    const scale = Math.sqrt((width * height) / MAX_PIXELS);
    return { width: toTiles(width / scale, Math.floor), height: toTiles(height / scale, Math.floor) };
  }
  if (rounded.width * rounded.height < MIN_PIXELS) {
    const scale = Math.sqrt(MIN_PIXELS / (width * height));
    return { width: toTiles(width * scale, Math.ceil), height: toTiles(height * scale, Math.ceil) };
  }
  return rounded;
}

function toTiles(pixels: number, round: (value: number) => number): number {
  return Math.max(TILE, round(pixels / TILE) * TILE);
}

// Python's round(), which the processor uses: halves go to the even neighbour (2.5 -> 2).
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

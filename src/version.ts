// Read at build time: `bun build --compile` inlines the JSON import and the source hash.
import packageJson from "../package.json";
import { sourceHash } from "./build-id" with { type: "macro" };

export const VERSION: string = packageJson.version;
export const BUILD_ID: string = sourceHash();

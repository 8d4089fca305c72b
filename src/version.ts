// Read at build time: `bun build --compile` inlines the JSON import into the binary.
import packageJson from "../package.json";

export const VERSION: string = packageJson.version;

#!/usr/bin/env bash
# `make release`: the binary for each platform as a tarball, their SHA-256 sums, and the
# Homebrew formula pointed at them.
#   RELEASE_URL    where the tarballs will be published (default: GitHub releases of anyclaude)
#   RELEASE_OUT    where the tarballs go (default: dist/release)
#   FORMULA_OUT    where the formula goes (default: Formula/anyclaude.rb)
set -euo pipefail
cd "$(dirname "$0")/.."

# The project's own Bun (an npm devDependency) unless one is named; macOS has shasum, not sha256sum.
bun=${BUN:-$( [ -x node_modules/.bin/bun ] && echo node_modules/.bin/bun || echo bun )}
if command -v sha256sum >/dev/null; then sha256=(sha256sum); else sha256=(shasum -a 256); fi

# bun build inlines process.env.NODE_ENV; a release is built like `make build`, without one.
unset NODE_ENV

version=$(node -p 'require("./package.json").version')
base_url=${RELEASE_URL:-https://github.com/anyclaude/anyclaude/releases/download/v$version}
out=${RELEASE_OUT:-dist/release}
formula=${FORMULA_OUT:-Formula/anyclaude.rb}
rm -rf "$out" && mkdir -p "$out"

for target in darwin-arm64 darwin-x64 linux-x64; do
  stage=$(mktemp -d)
  # As `make build` does: bytecode (healthy in ~40 ms, not ~100), ESM for main.ts's top-level await.
  "$bun" build --compile --minify --sourcemap --bytecode --format=esm --target="bun-$target" src/cli/main.ts --outfile "$stage/anyclaude" >/dev/null
  cp README.md "$stage/"
  tar -C "$stage" -czf "$out/anyclaude-$version-$target.tar.gz" anyclaude README.md
  rm -rf "$stage"
done

(cd "$out" && "${sha256[@]}" ./*.tar.gz | sed 's# \./# #' > SHA256SUMS)
sha() { awk -v file="anyclaude-$version-$1.tar.gz" '$2 == file { print $1 }' "$out/SHA256SUMS"; }

sed -e "s#@VERSION@#$version#g" -e "s#@BASE_URL@#$base_url#g" \
    -e "s#@SHA_DARWIN_ARM64@#$(sha darwin-arm64)#" -e "s#@SHA_DARWIN_X64@#$(sha darwin-x64)#" -e "s#@SHA_LINUX_X64@#$(sha linux-x64)#" \
    scripts/anyclaude.rb.in > "$formula"

echo "release $version in $out:"
cat "$out/SHA256SUMS"
echo "formula: $formula"

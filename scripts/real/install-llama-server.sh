#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the llama.cpp tree that PyPI's llama-cpp-python source
# distribution carries (the registries are the only network these machines reach), into a cache
# outside the clone keyed by that version. Prints the binary's path on stdout when done.
set -euo pipefail
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache="${ANYCLAUDE_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude-real}/llama-server-$version"
binary="$cache/bin/llama-server"
if [[ -x "$binary" && -f "$cache/templates/Qwen3-Coder.jinja" ]]; then echo "$binary"; exit 0; fi

log() { echo "[llama-server $version] $*" >&2; }
work="$cache.build"
rm -rf "$work" && mkdir -p "$work"
log "downloading llama-cpp-python $version source distribution from PyPI"
python3 -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work" >&2
tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
src="$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)"
log "configuring (CPU, no web UI, no network features)"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON >"$work/configure.log" 2>&1 \
  || { tail -30 "$work/configure.log" >&2; exit 1; }
log "building llama-server (about 15 minutes on 2 cores; log: $work/build.log)"
cmake --build "$work/build" --target llama-server -j"$(nproc)" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; exit 1; }
rm -rf "$cache" && mkdir -p "$cache/bin" "$cache/templates"
cp "$work/build/bin/llama-server" "$binary"
cp "$src"/models/templates/*.jinja "$cache/templates/"
cp -r "$src/gguf-py" "$cache/gguf-py"
rm -rf "$work"
log "ready: $binary"
echo "$binary"

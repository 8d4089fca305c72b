#!/usr/bin/env bash
# Installs mlx_lm.server (PyPI's mlx-lm on MLX's Linux CPU build) into a virtualenv in a cache
# outside the clone, keyed by both versions. Usage: install-mlx-lm.sh MLX_LM_VERSION MLX_VERSION.
# Prints the mlx_lm.server path on stdout when done.
set -euo pipefail
mlx_lm_version="$1"
mlx_version="$2"
cache="${ANYCLAUDE_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude-real}/mlx-lm-$mlx_lm_version-mlx-$mlx_version"
server="$cache/bin/mlx_lm.server"
if [[ -x "$server" && -f "$cache/.complete" ]]; then echo "$server"; exit 0; fi

log() { echo "[mlx-lm $mlx_lm_version] $*" >&2; }
rm -rf "$cache"
log "creating a virtualenv and installing mlx[cpu]==$mlx_version mlx-lm==$mlx_lm_version from PyPI"
python3 -m venv "$cache"
# The model maker needs safetensors and numpy too; mlx-lm brings transformers for its tokenizer.
"$cache/bin/pip" install --quiet --disable-pip-version-check "mlx[cpu]==$mlx_version" "mlx-lm==$mlx_lm_version" safetensors numpy >&2
"$cache/bin/python" -c "import mlx.core, mlx_lm" >&2
touch "$cache/.complete"
log "ready: $server"
echo "$server"

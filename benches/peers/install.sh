#!/usr/bin/env bash
# Installs the peers `strata-bench run` compares Strata with:
#
# - target/peers-venv: a Python venv with pinned duckdb and drain3;
# - ripgrep: from PATH if present, else `apt-get install -y ripgrep` (as
#   root), else `cargo install ripgrep --root target/peers-bin`.
#
# gzip and zstd are used from PATH (`apt-get install -y zstd` when missing and
# root). Safe to run again: it installs only what is missing. Prints one
# line per peer; exits non-zero only if nothing usable could be set up for a
# peer the caller then skips.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/target/peers-venv"
bin="$repo/target/peers-bin"

DUCKDB_VERSION=2.0.1
DRAIN3_VERSION=0.9.11
status=0

as_root_apt() {
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 && return 0
    apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

# Python peers: duckdb and drain3, pinned.
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" || status=1
fi
if [[ -x "$venv/bin/python" ]]; then
    have() { "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
    want=()
    have duckdb "$DUCKDB_VERSION" || want+=("duckdb==$DUCKDB_VERSION")
    have drain3 "$DRAIN3_VERSION" || want+=("drain3==$DRAIN3_VERSION")
    if ((${#want[@]})); then
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${want[@]}" || status=1
    fi
    have duckdb "$DUCKDB_VERSION" && echo "duckdb $DUCKDB_VERSION: $venv/bin/python"
    have drain3 "$DRAIN3_VERSION" && echo "drain3 $DRAIN3_VERSION: $venv/bin/python"
fi

# ripgrep.
rg_path="$(command -v rg || true)"
if [[ -z "$rg_path" && -x "$bin/bin/rg" ]]; then
    rg_path="$bin/bin/rg"
fi
if [[ -z "$rg_path" ]] && as_root_apt ripgrep; then
    rg_path="$(command -v rg || true)"
fi
if [[ -z "$rg_path" ]] && command -v cargo >/dev/null; then
    cargo install --quiet --locked ripgrep --root "$bin" && rg_path="$bin/bin/rg"
fi
if [[ -n "$rg_path" ]]; then
    echo "ripgrep: $rg_path ($("$rg_path" --version | head -n 1))"
else
    echo "ripgrep: not installed" >&2
    status=1
fi

# Compressors.
command -v zstd >/dev/null || as_root_apt zstd || true
for tool in gzip zstd; do
    if command -v "$tool" >/dev/null; then
        echo "$tool: $(command -v "$tool")"
    else
        echo "$tool: not installed" >&2
        status=1
    fi
done
exit $status

#!/usr/bin/env bash
# Installs Drain3 into target/peers-venv (once) and runs drain3_bench.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/target/peers-venv"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import drain3" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check drain3==0.9.11
fi
exec "$venv/bin/python" "$here/drain3_bench.py" "${1:-$repo/../shared/data/loghub-2k}"

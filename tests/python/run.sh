#!/usr/bin/env bash
# Independent Python gRPC client test of `strata serve`.
#
# Builds a virtualenv (once), generates Python stubs from proto/proto, starts
# the server on a free loopback port with a fresh data directory and runs
# client_test.py against it (ingest, then queries over the memtable); stops
# it with SIGTERM (which flushes), starts it again on the same data directory
# and runs the queries again (now over segments). The server is always
# stopped and the temporary directory removed. Last line:
# `python-client: N passed, M failed`; the exit status is 0 only if M is 0.
#
#   tests/python/run.sh                 # after `cargo build`
#   STRATA_BIN=target/release/strata tests/python/run.sh
#
# Environment: STRATA_BIN (default target/debug/strata), STRATA_PY_VENV
# (default target/py-venv), STRATA_PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${STRATA_PY_VENV:-$repo/target/py-venv}"
bin="${STRATA_BIN:-$repo/target/debug/strata}"
python="${STRATA_PYTHON:-python3}"

# Pinned, mutually compatible for CPython 3.11: grpcio-tools 1.84.0 generates
# code for protobuf 7.35.1+ and depends on protobuf >=7.35.1,<8.
pins=(grpcio==1.84.0 grpcio-tools==1.84.0 protobuf==7.36.2 pyarrow==25.0.1)

fail() {
    echo "run.sh: $*" >&2
    echo "python-client: 0 passed, 1 failed"
    exit 1
}

if [[ ! -x "$bin" ]]; then
    fail "strata binary not found at $bin (run \`cargo build\` first or set STRATA_BIN)"
fi

# --- virtualenv -------------------------------------------------------------
marker="$venv/.strata-pins"
if [[ ! -x "$venv/bin/python" || ! -f "$marker" || "$(cat "$marker")" != "${pins[*]}" ]]; then
    echo "run.sh: installing ${pins[*]} into $venv" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" || fail "could not create a virtualenv at $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" \
        || fail "pip install ${pins[*]} failed"
    echo "${pins[*]}" > "$marker"
fi
py="$venv/bin/python"

# --- temp dir, server, cleanup ----------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/strata-py.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- stubs --------------------------------------------------------------------
stubs="$tmp/stubs"
mkdir -p "$stubs"
well_known="$("$py" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
(cd "$repo" && "$py" -m grpc_tools.protoc -I proto/proto -I "$well_known" \
    --python_out="$stubs" --grpc_python_out="$stubs" \
    strata/v1/logs.proto strata/v1/service.proto) || fail "protoc failed"

# --- server -------------------------------------------------------------------
# start_server N: starts `strata serve` on $tmp/data (kept across restarts)
# and sets $addr from its first stdout line; returns 1 if that never comes.
start_server() {
    local out="$tmp/server$1.out" err="$tmp/server$1.err" line
    "$bin" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$out" 2>"$err" &
    server_pid=$!
    addr=""
    for _ in $(seq 1 600); do                  # up to 60 s for the first line
        if [[ -s "$out" ]]; then
            line="$(head -n 1 "$out")"
            if [[ "$line" =~ ^strata\ listening\ on\ (127\.0\.0\.1:[0-9]+)\ \(data\ dir\ .*\)$ ]]; then
                addr="${BASH_REMATCH[1]}"
                echo "run.sh: server $1 at $addr (pid $server_pid)" >&2
                return 0
            fi
            if [[ "$(wc -l < "$out")" -ge 1 ]]; then   # a whole line, and not that one
                echo "run.sh: unexpected first stdout line from strata serve: $line" >&2
                break
            fi
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "run.sh: strata serve exited early" >&2
            break
        fi
        sleep 0.1
    done
    tail -n 20 "$err" >&2 || true
    return 1
}

# stop_server: SIGTERM (the server flushes its memtable and exits 0);
# returns 1 if it does not exit within 30 s or exits non-zero.
stop_server() {
    local rc=0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "run.sh: strata serve did not exit within 30 s of SIGTERM; killing it" >&2
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
        return 1
    fi
    wait "$server_pid" || rc=$?
    server_pid=""
    if [[ $rc -ne 0 ]]; then
        echo "run.sh: strata serve exited with status $rc after SIGTERM" >&2
        return 1
    fi
    return 0
}

# --- client -------------------------------------------------------------------
passed=0
failed=0
# run_client N LABEL ARGS...: runs client_test.py against $addr and adds its
# counts (a run without a summary line counts as one failure).
run_client() {
    local n="$1" label="$2" status summary
    shift 2
    set +e
    PYTHONPATH="$stubs${PYTHONPATH:+:$PYTHONPATH}" "$py" -u "$here/client_test.py" \
        --addr "$addr" --label "$label" "$@" | tee "$tmp/client$n.out"
    status=${PIPESTATUS[0]}
    set -e
    summary="$(grep -E "^$label: [0-9]+ passed, [0-9]+ failed\$" "$tmp/client$n.out" | tail -n 1 || true)"
    if [[ "$summary" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        if [[ $status -ne 0 && ${BASH_REMATCH[2]} -eq 0 ]]; then
            failed=$((failed + 1))
        fi
    else
        echo "FAIL  $label: client_test.py exited with status $status and no summary"
        failed=$((failed + 1))
    fi
    if [[ $status -ne 0 ]]; then
        echo "run.sh: server stderr (last 30 lines):" >&2
        tail -n 30 "$tmp/server$n.err" >&2 || true
    fi
}

# Phase 1: ingest, then query (records in the memtable).
start_server 1 || fail "strata serve did not report its listen address"
echo "== phase 1: ingest, then query the memtable"
run_client 1 memtable

# Phase 2: stop (flush), reopen the same data directory, query again
# (records in Parquet segments with their full-text index).
if stop_server; then
    echo "ok    server exits 0 on SIGTERM"
    passed=$((passed + 1))
else
    echo "FAIL  server exits 0 on SIGTERM (see above)"
    failed=$((failed + 1))
fi
if start_server 2; then
    echo "== phase 2: restarted on the same data directory, query the flushed segments"
    run_client 2 reopened --after-restart
    stop_server || true
else
    echo "FAIL  strata serve did not come back up on the same data directory"
    failed=$((failed + 1))
fi

echo "python-client: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

"""DuckDB, the peer of `strata-bench run` for storage, search and SQL.

Takes the corpus's NDJSON and DuckDB's Parquet paths as arguments, writes
the Parquet unless it exists, prints one JSON line
`{"version", "parquet_bytes", "convert_seconds"}`, then answers commands,
one JSON object per line on standard input, each with one JSON line on
standard output (progress goes to standard error), until standard input
ends:

    {"op": "warm", "sql": "SELECT ..."}   -> {"ms": 12.3, "rows": 100}
    {"op": "cold", "sql": "SELECT ..."}   -> {"ms": 45.6, "rows": 100}
    {"op": "count", "sql": "SELECT count(*) ..."} -> {"count": 2153}

A command that fails answers {"error": "..."}. `strata-bench run` sends
them interleaved with Strata's and ripgrep's samples, so that the systems
compared are measured at the same moments of a shared machine.

The Parquet file is DuckDB's own: `read_json` of the NDJSON (schema
inferred from every record: nested objects become STRUCTs, `attributes` a
MAP) written with `COPY ... (FORMAT parquet, COMPRESSION zstd)`; it is
reused when it exists. Queries run against the view `logs` over it, in an
in-memory database with the session time zone UTC.

- warm: one connection for every warm command (the caller runs each query
  once untimed first);
- cold: the Parquet file dropped from the OS page cache (posix_fadvise
  DONTNEED) and a new in-memory database, then the timed query (opening not
  timed).

Times cover execute and fetchall, in milliseconds.

    target/peers-venv/bin/python benches/peers/duckdb_bench.py CORPUS.ndjson CORPUS.duckdb.parquet
"""
import json
import os
import sys
import time

import duckdb


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def connect(parquet):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW logs AS SELECT * FROM read_parquet('{parquet}')")
    return con


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def timed(con, sql):
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return (time.perf_counter() - start) * 1e3, rows


def convert(ndjson, parquet):
    """Writes DuckDB's Parquet of the corpus unless it exists; returns seconds or None."""
    if os.path.exists(parquet):
        return None
    log(f"duckdb: writing {parquet}")
    tmp = parquet + ".tmp"
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT * FROM read_json('{ndjson}', format = 'newline_delimited', "
        f"sample_size = -1)) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)"
    )
    con.close()
    os.replace(tmp, parquet)
    return time.perf_counter() - start


def answer(con, parquet, cmd):
    op = cmd["op"]
    if op == "warm":
        ms, rows = timed(con, cmd["sql"])
        return {"ms": ms, "rows": len(rows)}
    if op == "cold":
        cold = connect(parquet)
        try:
            evict(parquet)
            ms, rows = timed(cold, cmd["sql"])
        finally:
            cold.close()
        return {"ms": ms, "rows": len(rows)}
    if op == "count":
        return {"count": con.execute(cmd["sql"]).fetchone()[0]}
    return {"error": f"unknown op {op!r}"}


def main():
    ndjson, parquet = sys.argv[1], sys.argv[2]
    convert_seconds = convert(ndjson, parquet)
    reply(
        {
            "version": duckdb.__version__,
            "parquet_bytes": os.path.getsize(parquet),
            "convert_seconds": convert_seconds,
        }
    )
    con = connect(parquet)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = answer(con, parquet, json.loads(line))
        except Exception as e:  # the caller reports it and stops asking
            out = {"error": f"{type(e).__name__}: {e}"}
        reply(out)
    con.close()


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

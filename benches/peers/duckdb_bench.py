"""DuckDB, the peer of `strata-bench run` for storage, search and SQL.

Reads a JSON job on standard input, prints JSON results on standard output
(progress goes to standard error):

    {"ndjson": "corpus.ndjson", "parquet": "corpus.duckdb.parquet",
     "warm_samples": 30, "cold_samples": 3, "sql_runs": 3,
     "searches": [{"name": "...", "timed": "SELECT ...", "count": "SELECT count(*) ..."}],
     "sql": [{"name": "...", "sql": "SELECT ..."}]}

The Parquet file is DuckDB's own: `read_json` of the NDJSON (schema
inferred from every record: nested objects become STRUCTs, `attributes` a
MAP) written with `COPY ... (FORMAT parquet, COMPRESSION zstd)`; it is
reused when it exists. Queries run against the view `logs` over it, in an
in-memory database with the session time zone UTC.

- warm: one connection; each query runs once untimed, then
  `warm_samples` (searches) or `sql_runs` (SQL) timed runs;
- cold: per sample, the Parquet file dropped from the OS page cache
  (posix_fadvise DONTNEED) and a new in-memory database, then the timed
  query (opening not timed).

Times cover execute and fetchall, in milliseconds.

    target/peers-venv/bin/python benches/peers/duckdb_bench.py < job.json
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


def main():
    job = json.load(sys.stdin)
    parquet = job["parquet"]
    convert_seconds = convert(job["ndjson"], parquet)
    out = {
        "version": duckdb.__version__,
        "parquet_bytes": os.path.getsize(parquet),
        "convert_seconds": convert_seconds,
        "searches": [],
        "sql": [],
    }
    for q in job["searches"]:
        log(f"duckdb: search {q['name']}")
        cold = []
        for _ in range(job["cold_samples"]):
            con = connect(parquet)
            evict(parquet)
            cold.append(timed(con, q["timed"])[0])
            con.close()
        con = connect(parquet)
        _, rows = timed(con, q["timed"])
        warm = [timed(con, q["timed"])[0] for _ in range(job["warm_samples"])]
        count = con.execute(q["count"]).fetchone()[0]
        con.close()
        out["searches"].append(
            {"name": q["name"], "warm_ms": warm, "cold_ms": cold, "rows": len(rows), "matches": count}
        )
    con = connect(parquet)
    for q in job["sql"]:
        log(f"duckdb: sql {q['name']}")
        _, rows = timed(con, q["sql"])
        ms = [timed(con, q["sql"])[0] for _ in range(job["sql_runs"])]
        out["sql"].append({"name": q["name"], "ms": ms, "rows": len(rows)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

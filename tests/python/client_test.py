#!/usr/bin/env python3
"""Independent Python gRPC client test of `strata serve` (strata.v1).

Generates ~3000 deterministic records, ingests them as typed records and as
NDJSON, then checks Search, Sql and error codes against brute-force oracles
computed here from what was sent. Every check is counted; a failure is
printed and the run goes on. The last line is

    python-client: N passed, M failed

and the exit status is 0 only when M is 0.

Needs grpcio, pyarrow and stubs generated from proto/proto on PYTHONPATH
(run.sh does all of that).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import json
import random
import re
import sys
import traceback

import grpc
import pyarrow as pa
import pyarrow.ipc
from google.protobuf import json_format, struct_pb2

from strata.v1 import logs_pb2, service_pb2, service_pb2_grpc

RPC_TIMEOUT_S = 120.0

# --- data ---------------------------------------------------------------------

AGENTS = ["agent-planner-1", "agent-coder-2", "agent-reviewer-3", "agent-runner-4"]
WORKSPACES = ["ws-a", "ws-b"]
SERVICES = ["retriever", "executor", "gateway"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"]
LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"]
LEVEL_WEIGHTS = [5, 15, 50, 15, 12, 3]
WORDS = [
    "connection", "refused", "timeout", "retry", "cache", "miss", "database",
    "query", "token", "limit", "exceeded", "planner", "step", "tool", "call",
    "failed", "succeeded", "user", "request", "upstream", "latency", "budget",
    "agent", "memory",
]
# Separators between words: all split words for the tokenizer, "_" included
# (it is not alphanumeric).
SEPARATORS = [" ", " ", " ", " ", ", ", ": ", "-", "/", "_", " (", ") "]

# 2026-03-10T12:00:00Z in microseconds; records spread over the next hour.
BASE_US = int(dt.datetime(2026, 3, 10, 12, 0, 0, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
HOUR_US = 3600 * 1_000_000
# The newest instant: a group of "timeout" records shares it (ties).
TIE_US = BASE_US + HOUR_US - 250_000

N_TYPED = 2000
N_NDJSON = 1000
TYPED_BAD_AGENT_AT = 500
TYPED_BAD_LEVEL_AT = 1500
NDJSON_BLANK_AT = 300
NDJSON_MALFORMED_AT = 700


@dataclasses.dataclass
class Rec:
    log_id: str
    agent_id: str
    ts_us: int
    level: str
    message: str
    service: str
    workspace: str
    duration_ms: float
    region: str
    attempt: int
    source: str  # "typed" or "ndjson"
    offset_hours: int = 0  # for NDJSON: timezone offset used in the RFC 3339 text

    @property
    def attributes(self) -> dict:
        return {"region": self.region, "attempt": self.attempt}


def tokens(text: str) -> list[str]:
    """Words as the server's text search sees them: lowercase, split on
    non-alphanumeric characters."""
    return [t for t in re.split(r"[^0-9a-z]+", text.lower()) if t]


class Generator:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.timestamps: list[int] = []

    def log_id(self) -> str:
        while True:
            i = "py%016x" % self.rng.getrandbits(64)
            if i not in self.ids:
                self.ids.add(i)
                return i

    def word(self) -> str:
        w = self.rng.choice(WORDS)
        r = self.rng.random()
        if r < 0.15:
            return w.capitalize()
        if r < 0.22:
            return w.upper()
        return w

    def message(self, must_have: str | None = None) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.10:
            msg = f"Connection refused to db-{rng.randrange(10)}:5432 after {rng.randrange(1, 6)} retries"
        elif r < 0.15:
            msg = f"Upstream refused the connection; will retry in {rng.randrange(100, 900)}ms"
        else:
            parts = [self.word()]
            for _ in range(rng.randint(2, 8)):
                parts.append(rng.choice(SEPARATORS))
                parts.append(self.word())
            msg = "".join(parts)
            if rng.random() < 0.3:
                msg += f" id={rng.randrange(100000)}"
        if must_have is not None and must_have not in tokens(msg):
            msg = f"{msg} {must_have.upper() if rng.random() < 0.5 else must_have}"
        return msg

    def timestamp(self) -> int:
        rng = self.rng
        if self.timestamps and rng.random() < 0.05:
            ts = rng.choice(self.timestamps)  # a tie with an earlier record
        else:
            ts = BASE_US + rng.randrange(HOUR_US - 1_000_000)
        self.timestamps.append(ts)
        return ts

    def record(self, source: str, ts_us: int | None = None, must_have: str | None = None) -> Rec:
        rng = self.rng
        rec = Rec(
            log_id=self.log_id(),
            agent_id=rng.choice(AGENTS),
            ts_us=self.timestamp() if ts_us is None else ts_us,
            level=rng.choices(LEVELS, LEVEL_WEIGHTS)[0],
            message=self.message(must_have),
            service=rng.choice(SERVICES),
            workspace=rng.choice(WORKSPACES),
            duration_ms=round(rng.uniform(0.5, 5000.0), 3),
            region=rng.choice(REGIONS),
            attempt=rng.randint(1, 5),
            source=source,
        )
        if source == "ndjson":
            rec.offset_hours = rng.choice([0, 0, 2, -5])
        return rec

    def batch(self, source: str, n: int, ties: int) -> list[Rec]:
        recs = [self.record(source) for _ in range(n - ties)]
        for _ in range(ties):
            tie = self.record(source, ts_us=TIE_US, must_have="timeout")
            recs.insert(self.rng.randrange(len(recs) + 1), tie)
        return recs


def to_proto(r: Rec) -> logs_pb2.LogRecord:
    attrs = struct_pb2.Struct()
    attrs.update(r.attributes)
    return logs_pb2.LogRecord(
        log_id=r.log_id,
        agent_id=r.agent_id,
        timestamp_us=r.ts_us,
        log_level=r.level,
        message=r.message,
        service=r.service,
        context=logs_pb2.Context(workspace_id=r.workspace, environment="production"),
        metrics=logs_pb2.Metrics(duration_ms=r.duration_ms),
        attributes=attrs,
    )


def rfc3339(ts_us: int, offset_hours: int) -> str:
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=ts_us)
    if offset_hours == 0:
        return t.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return t.astimezone(dt.timezone(dt.timedelta(hours=offset_hours))).isoformat(timespec="microseconds")


def to_json(r: Rec) -> str:
    return json.dumps(
        {
            "log_id": r.log_id,
            "agent_id": r.agent_id,
            "timestamp": rfc3339(r.ts_us, r.offset_hours),
            "log_level": r.level,
            "message": r.message,
            "service": r.service,
            "context": {"workspace_id": r.workspace, "environment": "production"},
            "metrics": {"duration_ms": r.duration_ms},
            "attributes": r.attributes,
        },
        separators=(",", ":"),
    )


# --- checks -------------------------------------------------------------------


class CheckFailed(Exception):
    pass


def ensure(cond: bool, msg: str) -> None:
    if not cond:
        raise CheckFailed(msg)


class Runner:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, fn) -> bool:
        try:
            fn()
        except CheckFailed as e:
            self._fail(name, str(e))
            return False
        except grpc.RpcError as e:
            self._fail(name, f"RPC error {e.code().name}: {e.details()}")
            return False
        except Exception as e:  # a bug or an unexpected response shape
            self._fail(name, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
            return False
        self.passed += 1
        print(f"ok    {name}")
        return True

    def _fail(self, name: str, detail: str) -> None:
        self.failed += 1
        print(f"FAIL  {name}: {detail}")


def diff_ids(got, want, limit: int = 5) -> str:
    got, want = set(got), set(want)
    missing = sorted(want - got)
    extra = sorted(got - want)
    return (
        f"got {len(got)} ids, want {len(want)}; "
        f"missing {len(missing)} {missing[:limit]}; unexpected {len(extra)} {extra[:limit]}"
    )


def newest_first(recs):
    return sorted(recs, key=lambda r: (-r.ts_us, r.log_id))


def oldest_first(recs):
    return sorted(recs, key=lambda r: (r.ts_us, r.log_id))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--addr", required=True, help="host:port of strata serve")
    ap.add_argument(
        "--after-restart",
        action="store_true",
        help="skip ingest: the server was restarted on the data directory of an earlier run",
    )
    ap.add_argument("--label", default="python client", help="word(s) before the summary counts")
    args = ap.parse_args()

    run = Runner()
    channel = grpc.insecure_channel(
        args.addr,
        options=[
            ("grpc.max_receive_message_length", 64 << 20),
            ("grpc.max_send_message_length", 64 << 20),
        ],
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=30)
    except grpc.FutureTimeoutError:
        print(f"FAIL  connect: no connection to {args.addr} within 30 s")
        print(f"{args.label}: 0 passed, 1 failed")
        return 1
    stub = service_pb2_grpc.LogServiceStub(channel)

    gen = Generator(7)
    typed = gen.batch("typed", N_TYPED, ties=4)
    nd = gen.batch("ndjson", N_NDJSON, ties=2)
    everything = typed + nd
    by_id = {r.log_id: r for r in everything}
    assert len(by_id) == len(everything)

    # --- Ingest: typed records ------------------------------------------------
    protos = [to_proto(r) for r in typed]
    bad_agent = to_proto(gen.record("typed"))
    bad_agent.log_id = "pyinvalidagent"
    bad_agent.agent_id = ""
    bad_level = to_proto(gen.record("typed"))
    bad_level.log_id = "pyinvalidlevel"
    bad_level.log_level = "loud"
    protos.insert(TYPED_BAD_AGENT_AT, bad_agent)
    protos.insert(TYPED_BAD_LEVEL_AT, bad_level)
    assert protos[TYPED_BAD_AGENT_AT].agent_id == "" and protos[TYPED_BAD_LEVEL_AT].log_level == "loud"

    def ingest_typed():
        resp = stub.Ingest(
            service_pb2.IngestRequest(records=service_pb2.LogRecords(records=protos)),
            timeout=RPC_TIMEOUT_S,
        )
        got = [(j.index, j.reason) for j in resp.rejected]
        ensure(resp.accepted == N_TYPED, f"accepted {resp.accepted}, want {N_TYPED}; rejected {got}")
        ensure(
            [i for i, _ in got] == [TYPED_BAD_AGENT_AT, TYPED_BAD_LEVEL_AT],
            f"rejected indexes {got}, want [{TYPED_BAD_AGENT_AT}, {TYPED_BAD_LEVEL_AT}]",
        )
        ensure("agent_id" in got[0][1], f"reason for the empty agent_id: {got[0][1]!r}")
        ensure("log_level" in got[1][1] and "loud" in got[1][1], f"reason for log_level 'loud': {got[1][1]!r}")

    if not args.after_restart:
        run.check("ingest typed: 2000 accepted, indexes 500 (agent_id) and 1500 (log_level) rejected", ingest_typed)

    # --- Ingest: NDJSON ---------------------------------------------------------
    lines = [to_json(r) for r in nd]
    lines.insert(NDJSON_BLANK_AT, "")  # skipped, but counts as a line index
    lines.insert(NDJSON_MALFORMED_AT, '{"log_id":"pymalformed","agent_id":"agent-x","message":"cut')
    body = ("\n".join(lines) + "\n").encode()

    def ingest_ndjson():
        resp = stub.Ingest(service_pb2.IngestRequest(ndjson=body), timeout=RPC_TIMEOUT_S)
        got = [(j.index, j.reason) for j in resp.rejected]
        ensure(resp.accepted == N_NDJSON, f"accepted {resp.accepted}, want {N_NDJSON}; rejected {got}")
        ensure([i for i, _ in got] == [NDJSON_MALFORMED_AT], f"rejected {got}, want index {NDJSON_MALFORMED_AT}")
        ensure(got[0][1].strip() != "", "empty rejection reason")

    if not args.after_restart:
        run.check("ingest ndjson: 1000 accepted, malformed line 700 rejected (blank line 300 counted)", ingest_ndjson)

    # --- Search -----------------------------------------------------------------
    def search(query: str, **kw) -> list[logs_pb2.LogRecord]:
        req = service_pb2.SearchRequest(query=query, **kw)
        return list(stub.Search(req, timeout=RPC_TIMEOUT_S).records)

    def has_word(w):
        return lambda r: w in tokens(r.message)

    def has_phrase(a, b):
        def f(r):
            t = tokens(r.message)
            return any(t[i] == a and t[i + 1] == b for i in range(len(t) - 1))
        return f

    def and_not(a, b):
        return lambda r: a in tokens(r.message) and b not in tokens(r.message)

    def everything_found():
        resp = stub.Search(service_pb2.SearchRequest(query="", limit=10000), timeout=RPC_TIMEOUT_S)
        got = [r.log_id for r in resp.records]
        ensure(set(got) == set(by_id) and len(got) == len(by_id), diff_ids(got, by_id))
        want = [r.log_id for r in newest_first(everything)]
        ensure(got == want, "all records are there but not newest first, ties by log_id ascending")
        if args.after_restart:
            # SIGTERM flushes the memtable: the records are now in segments.
            ensure(
                resp.segments_scanned + resp.segments_pruned >= 1,
                f"segments_scanned {resp.segments_scanned}, segments_pruned {resp.segments_pruned}: "
                "the records were not flushed to segments on shutdown",
            )

    where_from = "segments" if args.after_restart else "memtable"
    run.check(f"search '' (matches all) limit 10000: all {len(by_id)} records, from the {where_from}", everything_found)

    cases = [
        ("timeout", None, has_word("timeout")),
        ('"connection refused"', "ws-a", has_phrase("connection", "refused")),
        ("retry AND NOT cache", None, and_not("retry", "cache")),
    ]
    for query, ws, pred in cases:
        want = newest_first(r for r in everything if pred(r) and (ws is None or r.workspace == ws))
        assert 0 < len(want) < len(everything), (query, len(want))
        where = f" in {ws}" if ws else ""
        kw = {"limit": 10000}
        if ws:
            kw["workspace_id"] = ws
        result: dict[str, list] = {}

        def ids(query=query, kw=kw, want=want, result=result):
            recs = search(query, **kw)
            result["recs"] = recs
            got = [r.log_id for r in recs]
            ensure(len(got) == len(set(got)), f"{len(got) - len(set(got))} duplicate ids in the response")
            ensure(set(got) == {r.log_id for r in want}, diff_ids(got, [r.log_id for r in want]))

        ok = run.check(f"search {query!r}{where}: {len(want)} ids equal the oracle", ids)

        def order(want=want, result=result):
            ensure(ok, "skipped: the id set was wrong")
            got = [r.log_id for r in result["recs"]]
            want_ids = [r.log_id for r in want]
            if got != want_ids:
                first = next(i for i, (a, b) in enumerate(zip(got, want_ids)) if a != b)
                context = [(r.log_id, r.ts_us) for r in want[max(0, first - 1) : first + 2]]
                raise CheckFailed(
                    f"first difference at position {first}: got {got[first]}, want {want_ids[first]} "
                    f"(oracle around it, id and timestamp_us: {context})"
                )

        run.check(f"search {query!r}{where}: newest first, ties by log_id ascending", order)

        if query == "timeout":
            def fields(result=result):
                bad = []
                for p in result.get("recs", []):
                    r = by_id.get(p.log_id)
                    if r is None:
                        continue  # reported by the id check
                    problems = compare_record(p, r)
                    if problems:
                        bad.append(f"{p.log_id}: {'; '.join(problems)}")
                ensure(result.get("recs"), "no records to compare")
                ensure(not bad, f"{len(bad)} record(s) differ from what was sent, e.g. {bad[:3]}")

            run.check("search 'timeout': every returned record equals the one sent (all fields)", fields)

    top = newest_first(r for r in everything if has_word("timeout")(r))[:5]
    assert sum(r.ts_us == TIE_US for r in top) == 5  # the tie group is the newest

    def limit5():
        got = [r.log_id for r in search("timeout", limit=5)]
        want = [r.log_id for r in top]
        ensure(got == want, f"got {got}, want {want}")

    run.check("search 'timeout' limit 5: the 5 newest (one tied timestamp, by log_id)", limit5)

    bottom = oldest_first(r for r in everything if has_word("timeout")(r))[:5]

    def oldest5():
        got = [r.log_id for r in search("timeout", limit=5, order=service_pb2.ORDER_OLDEST_FIRST)]
        want = [r.log_id for r in bottom]
        ensure(got == want, f"got {got}, want {want}")

    run.check("search 'timeout' limit 5 ORDER_OLDEST_FIRST: the 5 oldest", oldest5)

    probe = next(r for r in nd if r.offset_hours != 0)

    def by_log_id():
        recs = search(f"log_id:{probe.log_id}", limit=10)
        ensure([r.log_id for r in recs] == [probe.log_id], f"got {[r.log_id for r in recs]}")
        problems = compare_record(recs[0], probe)
        ensure(not problems, "; ".join(problems))

    run.check(
        f"search log_id:{probe.log_id} (NDJSON, UTC{probe.offset_hours:+d}:00 timestamp) returns it intact",
        by_log_id,
    )

    # --- Sql --------------------------------------------------------------------
    def sql(statement: str) -> pa.Table:
        chunks = [m.arrow_ipc for m in stub.Sql(service_pb2.SqlRequest(sql=statement), timeout=RPC_TIMEOUT_S)]
        return pa.ipc.open_stream(b"".join(chunks)).read_all()

    def level_counts():
        t = sql("SELECT log_level, count(*) AS n FROM logs GROUP BY log_level")
        got = dict(zip(t.column("log_level").to_pylist(), t.column("n").to_pylist()))
        want = dict(collections.Counter(r.level for r in everything))
        ensure(got == want, f"got {sorted(got.items())}, want {sorted(want.items())}")

    run.check("sql: count(*) GROUP BY log_level equals the oracle", level_counts)

    def all_ids():
        t = sql("SELECT log_id FROM logs")
        got = t.column("log_id").to_pylist()
        ensure(len(got) == len(set(got)), f"{len(got) - len(set(got))} duplicate log_ids")
        ensure(set(got) == set(by_id), diff_ids(got, by_id))

    run.check(f"sql: SELECT log_id returns all {len(by_id)} accepted ids (no rejected ones)", all_ids)

    def timestamps():
        t = sql("SELECT log_id, timestamp FROM logs")
        ts = t.column("timestamp")
        ensure(pa.types.is_timestamp(ts.type) and ts.type.unit == "us", f"timestamp column type {ts.type}")
        got = dict(zip(t.column("log_id").to_pylist(), ts.cast(pa.int64()).to_pylist()))
        bad = [(i, got.get(i), r.ts_us, r.source, r.offset_hours) for i, r in by_id.items() if got.get(i) != r.ts_us]
        ensure(not bad, f"{len(bad)} timestamps differ (id, got, want, source, utc offset): {bad[:5]}")

    run.check("sql: every timestamp equals the one sent, in microseconds (typed and RFC 3339)", timestamps)

    def columns():
        t = sql(
            "SELECT log_id, agent_id, workspace_id, service, duration_ms, "
            "json_get_str(attributes, 'region') AS region FROM logs"
        )
        rows = zip(*(t.column(c).to_pylist() for c in ["log_id", "agent_id", "workspace_id", "service", "duration_ms", "region"]))
        bad = []
        for log_id, agent, ws, service, dur, region in rows:
            r = by_id.get(log_id)
            want = None if r is None else (r.agent_id, r.workspace, r.service, r.duration_ms, r.region)
            if (agent, ws, service, dur, region) != want:
                bad.append((log_id, (agent, ws, service, dur, region), want))
        ensure(t.num_rows == len(by_id), f"{t.num_rows} rows, want {len(by_id)}")
        ensure(not bad, f"{len(bad)} rows differ (id, got, want): {bad[:3]}")

    run.check("sql: agent_id, workspace_id, service, duration_ms, json_get_str(attributes,'region')", columns)

    # --- errors -----------------------------------------------------------------
    def expect_invalid(call):
        try:
            call()
        except grpc.RpcError as e:
            ensure(e.code() == grpc.StatusCode.INVALID_ARGUMENT, f"code {e.code().name} ({e.details()}), want INVALID_ARGUMENT")
            return
        raise CheckFailed("the call succeeded, want INVALID_ARGUMENT")

    run.check("search 'foo AND': INVALID_ARGUMENT", lambda: expect_invalid(lambda: search("foo AND", limit=10)))
    run.check(
        "sql on an unknown column: INVALID_ARGUMENT",
        lambda: expect_invalid(lambda: sql("SELECT no_such_column FROM logs")),
    )

    def ddl_refused():
        try:
            sql("DROP TABLE logs")
        except grpc.RpcError:
            pass
        else:
            raise CheckFailed("DROP TABLE logs succeeded")
        n = sql("SELECT count(*) AS n FROM logs").column("n").to_pylist()
        ensure(n == [len(by_id)], f"after DROP TABLE: count {n}, want {len(by_id)}")

    run.check("sql DROP TABLE logs is refused and the table is intact", ddl_refused)

    # --- health (grpc.health.v1, encoded by hand: no extra package) --------------
    health = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )

    def health_check(service: str):
        def f():
            name = service.encode()
            req = (b"\x0a" + bytes([len(name)]) + name) if name else b""  # HealthCheckRequest{service}
            resp = health(req, timeout=10)
            ensure(resp == b"\x08\x01", f"response bytes {resp!r}, want status SERVING (08 01)")
        return f

    run.check("health: overall SERVING", health_check(""))
    run.check("health: strata.v1.LogService SERVING", health_check("strata.v1.LogService"))

    channel.close()
    print(f"{args.label}: {run.passed} passed, {run.failed} failed")
    return 0 if run.failed == 0 else 1


def compare_record(p: logs_pb2.LogRecord, r: Rec) -> list[str]:
    """Differences between a returned record and the one sent."""
    problems = []

    def same(name, got, want):
        if got != want:
            problems.append(f"{name} {got!r} != {want!r}")

    same("agent_id", p.agent_id, r.agent_id)
    same("timestamp_us", p.timestamp_us, r.ts_us)
    same("log_level", p.log_level, r.level)
    same("message", p.message, r.message)
    same("service", p.service if p.HasField("service") else None, r.service)
    same("context.workspace_id", p.context.workspace_id, r.workspace)
    same("context.environment", p.context.environment if p.context.HasField("environment") else None, "production")
    same("metrics.duration_ms", p.metrics.duration_ms if p.metrics.HasField("duration_ms") else None, r.duration_ms)
    same("attributes", json_format.MessageToDict(p.attributes) if p.HasField("attributes") else None, r.attributes)
    same("has error", p.HasField("error"), False)
    return problems


if __name__ == "__main__":
    sys.exit(main())

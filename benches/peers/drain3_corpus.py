"""Drain3 on the messages of `strata-bench run`'s corpus.

Reads the messages file (one JSON string a line, in corpus order), then
`runs` times: a fresh default-configured miner learns every message and
matches every message once (drain3_bench.learn_and_match). Prints JSON on
standard output:

    {"version": "0.9.11", "learn_per_sec": [...], "match_per_sec": [...], "templates": N}

    target/peers-venv/bin/python benches/peers/drain3_corpus.py MESSAGES [RUNS]
"""
import contextlib
import importlib.metadata
import json
import sys

from drain3_bench import learn_and_match


def main(path, runs):
    with open(path, encoding="utf-8") as f:
        msgs = [json.loads(line) for line in f]
    out = {"version": importlib.metadata.version("drain3"), "learn_per_sec": [], "match_per_sec": []}
    for _ in range(runs):
        # drain3 prints notices on stdout: keep stdout for the JSON
        with contextlib.redirect_stdout(sys.stderr):
            learn, match, templates = learn_and_match(msgs, rounds=1)
        out["learn_per_sec"].append(learn)
        out["match_per_sec"].append(match)
        out["templates"] = templates
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)

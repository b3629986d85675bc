"""Drain3 (the Python reference miner) on the Content column of Loghub-2k.

Prints one line per dataset: messages/s for learning (add_log_message from
an empty miner) and for matching against the learned templates (match), the
same two figures `strata-bench patterns` prints for Strata's miner.

    benches/peers/run_drain3.sh /work/shared/data/loghub-2k
"""
import csv
import sys
import time
from pathlib import Path

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig


def contents(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [row["Content"] for row in csv.DictReader(f)]


def learn_and_match(msgs, rounds):
    """One default-configured miner: learns every message (add_log_message
    from empty), then matches every message `rounds` times. Returns
    (learn msg/s, match msg/s, templates learnt)."""
    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    start = time.perf_counter()
    for m in msgs:
        miner.add_log_message(m)
    learn = len(msgs) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(rounds):
        for m in msgs:
            miner.match(m)
    match = rounds * len(msgs) / (time.perf_counter() - start)
    return learn, match, len(miner.drain.clusters)


def main(root):
    root = Path(root)
    names = sorted(p.name for p in root.iterdir() if p.is_dir())
    print("| dataset | Drain3 learn msg/s | Drain3 match msg/s |")
    print("|---|---|---|")
    for name in names:
        msgs = contents(root / name / f"{name}_2k.log_structured.csv")
        learn, match, _ = learn_and_match(msgs, rounds=5)
        print(f"| {name} | {learn:,.0f} | {match:,.0f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/loghub-2k")

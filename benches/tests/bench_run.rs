//! `strata-bench run` end to end on a small corpus, without peers.
//!
//! Needs the `strata` binary next to `strata-bench` (both are built by
//! `cargo build --workspace --bins` and `cargo test --workspace`).

use std::path::Path;
use std::process::Command;

/// Figures the table must hold, each with a number in Strata's column.
const FIGURES: &[&str] = &[
    "ingest: records/s",
    "ingest: MB/s of NDJSON",
    "ingest: wall time",
    "ingest: peak RSS",
    "storage: Parquet (",
    "storage: full-text index",
    "storage: Parquet + index",
    "storage: whole data dir",
    "search warm p50 / p99: rare term",
    "search cold p50 / p99: rare term",
    "search warm p50 / p99: common term",
    "search cold p50 / p99: common term",
    "search warm p50 / p99: phrase",
    "search cold p50 / p99: phrase",
    "search warm p50 / p99: trace id lookup",
    "search cold p50 / p99: trace id lookup",
    "search warm p50 / p99: agent's last 100 errors",
    "search cold p50 / p99: agent's last 100 errors",
    "search warm p50 / p99: term within one hour",
    "search cold p50 / p99: term within one hour",
    "matches: rare term",
    "matches: common term",
    "matches: phrase",
    "matches: trace id lookup",
    "matches: agent's last 100 errors",
    "matches: term within one hour",
    "SQL (warm, median of 2): per-minute level distribution",
    "SQL (warm, median of 2): top 20 templates",
    "SQL (warm, median of 2): p99 duration_ms by service",
    "pattern mining: learn",
    "pattern mining: match",
    "pattern mining: templates found",
];

/// Cells of the table rows whose figure starts with `prefix`.
fn rows<'a>(md: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    md.lines()
        .filter(|l| l.starts_with(&format!("| {prefix}")))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect()
}

/// The leading integer of a cell ("6,992,197 B (350 B/record)" → 6992197).
fn leading_int(cell: &str) -> u64 {
    let digits: String = cell
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number at the start of {cell:?}"))
}

/// Bytes of the `.parquet` and `.index` files under `dir`.
fn segment_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            total += segment_bytes(&path);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("parquet" | "index")
        ) {
            total += std::fs::metadata(&path).unwrap().len();
        }
    }
    total
}

#[test]
fn run_writes_every_figure_and_counts_storage_from_disk() {
    let bench = Path::new(env!("CARGO_BIN_EXE_strata-bench"));
    let strata = bench.with_file_name("strata");
    assert!(
        strata.is_file(),
        "{} is missing: build it first (cargo build --workspace --bins)",
        strata.display()
    );
    let work = tempfile::tempdir().unwrap();
    let md = work.path().join("BENCH.md");
    std::fs::write(&md, "# Benchmarks\n\nhand-written text stays\n").unwrap();
    let out = Command::new(bench)
        .args(["run", "--records", "5000", "--runs", "1", "--skip-peers"])
        .args(["--strata-warm-samples", "7", "--sql-samples", "2"])
        .arg("--work-dir")
        .arg(work.path())
        .arg("--md")
        .arg(&md)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "strata-bench run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = std::fs::read_to_string(&md).unwrap();
    assert!(doc.starts_with(
        "# Benchmarks\n\nhand-written text stays\n\n<!-- strata-bench run: begin -->\n"
    ));
    assert!(doc.trim_end().ends_with("<!-- strata-bench run: end -->"));
    assert!(
        doc.contains(
            "samples (as measured): ingest ×1; search warm ×7 (Strata) and no peer measured, \
             cold ×1, per query; SQL ×2; mining ×1"
        ),
        "the samples taken are counted and are the ones asked for:\n{doc}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("| storage: Parquet + index |"),
        "the table is printed too"
    );

    for figure in FIGURES {
        let found = rows(&doc, figure);
        assert!(!found.is_empty(), "no row for {figure:?} in\n{doc}");
        for cells in found {
            assert_eq!(cells.len(), 5, "{cells:?}");
            assert!(
                cells[1].starts_with(|c: char| c.is_ascii_digit()),
                "{figure:?}: Strata's cell has no number: {cells:?}"
            );
            if !figure.starts_with("ingest") && !figure.starts_with("storage") {
                // every peer cell says the peer was skipped, and why
                assert_eq!(cells[3], "skipped: --skip-peers", "{cells:?}");
            }
        }
    }
    assert!(!doc.contains("WARNING"), "{doc}");

    // Strata finds what the corpus scan counted for each query
    for cells in rows(&doc, "matches: ") {
        let strata = cells[1];
        let corpus = strata
            .split("(corpus: ")
            .nth(1)
            .unwrap_or_else(|| panic!("no corpus count in {strata:?}"));
        assert_eq!(leading_int(strata), leading_int(corpus), "{cells:?}");
        assert!(
            leading_int(corpus) > 0,
            "queries are picked to match: {cells:?}"
        );
    }

    // the storage figure is the bytes of the segment files on disk
    let on_disk = segment_bytes(&work.path().join("data"));
    assert!(on_disk > 0);
    for cells in rows(&doc, "storage: Parquet + index") {
        assert_eq!(leading_int(cells[1]), on_disk, "{cells:?}");
    }
    let parquet = leading_int(rows(&doc, "storage: Parquet (")[0][1]);
    let index = leading_int(rows(&doc, "storage: full-text index")[0][1]);
    assert_eq!(parquet + index, on_disk);
}

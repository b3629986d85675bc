//! The real `strata` binary: ingest with rejections, `kill -9` mid-ingest,
//! sql and search from the command line.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use strata_engine::sample::{SampleConfig, generate, to_ndjson_line};

mod common;

fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

fn write_corpus(path: &Path, n: usize, seed: u64) -> Vec<String> {
    let records = generate(
        &SampleConfig {
            total: n,
            seed,
            ..SampleConfig::default()
        },
        n,
    );
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut ids = Vec::with_capacity(n);
    for r in &records {
        writeln!(f, "{}", to_ndjson_line(r)).unwrap();
        ids.push(r.log_id.clone());
    }
    f.flush().unwrap();
    ids
}

/// log_id -> count, read through `strata sql` in NDJSON.
fn stored_ids(data_dir: &Path) -> HashMap<String, usize> {
    let out = strata()
        .args(["sql", "--data-dir"])
        .arg(data_dir)
        .args(["--format", "ndjson", "-c", "SELECT log_id FROM logs"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ids = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["log_id"].as_str().unwrap().to_string();
        *ids.entry(id).or_insert(0) += 1;
    }
    ids
}

#[test]
fn kill_9_mid_ingest_keeps_every_acknowledged_record_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("logs.ndjson");
    let ids = write_corpus(&file, 120_000, 7);
    // small flush threshold: the kill often lands inside a flush
    let config = dir.path().join("strata.toml");
    std::fs::write(
        &config,
        "[engine]\nflush_bytes = 4000000\nmax_unflushed_bytes = 64000000\n",
    )
    .unwrap();
    for (round, kill_after) in [(0, 5usize), (1, 17), (2, 31)] {
        let data = dir.path().join(format!("data-{round}"));
        let mut child = strata()
            .args(["ingest", "--checkpoints", "--batch", "1000", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut durable = 0usize;
        let mut seen = 0;
        while let Some(Ok(line)) = lines.next() {
            if let Some(rest) = line.strip_prefix("durable ") {
                durable = rest.rsplit(' ').next().unwrap().parse().unwrap();
                seen += 1;
                if seen == kill_after {
                    child.kill().unwrap(); // SIGKILL
                    break;
                }
            }
        }
        // lines printed before the kill took effect are acknowledged too
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("durable ") {
                durable = rest.rsplit(' ').next().unwrap().parse().unwrap();
            }
        }
        child.wait().unwrap();
        assert!(
            durable > 0 && durable < ids.len(),
            "round {round}: durable {durable}"
        );

        let stored = stored_ids(&data);
        for id in &ids[..durable] {
            assert_eq!(stored.get(id), Some(&1), "round {round}: acknowledged {id}");
        }
        assert!(
            stored.values().all(|&n| n == 1),
            "round {round}: duplicates"
        );
        let known: std::collections::HashSet<&String> = ids.iter().collect();
        assert!(
            stored.keys().all(|k| known.contains(k)),
            "round {round}: unknown ids"
        );
    }
}

#[test]
fn ingest_reports_rejections_by_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.ndjson");
    let good = r#"{"agent_id":"a1","timestamp":"2026-01-05T10:00:00Z","log_level":"info","message":"hello world","context":{"workspace_id":"w1"}}"#;
    let lines = [
        good.to_string(),
        r#"{"agent_id":"a1","timestamp":"2026-01-05T10:00:00Z","log_level":"shout","message":"m","context":{"workspace_id":"w1"}}"#.to_string(),
        good.replace("hello", "second"),
        "{not json".to_string(),
        good.replace(r#""agent_id":"a1","#, ""),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let data = dir.path().join("data");
    let out = strata()
        .args(["ingest", "--data-dir"])
        .arg(&data)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let name = file.display().to_string();
    for (line, reason) in [
        (2, "unknown log_level"),
        (4, "invalid JSON"),
        (5, "missing agent_id"),
    ] {
        assert!(
            stdout.contains(&format!("rejected {name}:{line}: ")) && stdout.contains(reason),
            "line {line} ({reason}) in:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("accepted 2 record(s), rejected 3"),
        "{stdout}"
    );
    assert_eq!(stored_ids(&data).len(), 2);

    // search from the command line
    let search = |format: &str| {
        let out = strata()
            .args(["search", "--data-dir"])
            .arg(&data)
            .args(["--format", format, "second OR hello"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    let text = search("ndjson");
    assert_eq!(text.lines().count(), 2, "{text}");
    // the table shows five columns of both records
    let text = search("table");
    let header = text.lines().find(|l| l.contains("timestamp")).unwrap_or("");
    let shown: Vec<&str> = header
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        shown,
        ["timestamp", "log_level", "agent_id", "service", "message"],
        "{text}"
    );
    assert!(
        text.contains("second world") && text.contains("hello world"),
        "{text}"
    );

    // a second process on the same data directory gets a clear error
    let mut holder = strata()
        .args(["sql", "--data-dir"])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = strata()
        .args(["sql", "--data-dir"])
        .arg(&data)
        .args(["-c", "SELECT 1"])
        .output()
        .unwrap();
    let _ = holder.kill();
    let _ = holder.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("locked by another strata process"), "{err}");
}

#[test]
fn cli_commands_work_through_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut server, url) = common::start_server(&data);

    // tail first, so it sees what is ingested next
    let mut tail = strata()
        .args(["tail", "--server", &url, "--format", "ndjson", "hello"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let file = dir.path().join("in.ndjson");
    let good = r#"{"agent_id":"a1","timestamp":"2026-01-05T10:00:00Z","log_level":"info","message":"hello world","context":{"workspace_id":"w1"}}"#;
    std::fs::write(
        &file,
        format!("{good}\n{{oops\n{}\n", good.replace("hello", "second")),
    )
    .unwrap();
    let out = strata()
        .args(["ingest", "--server", &url])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(":2: invalid JSON"), "{stdout}");
    assert!(
        stdout.contains("accepted 2 record(s), rejected 1"),
        "{stdout}"
    );

    let mut line = String::new();
    BufReader::new(tail.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = tail.kill();
    let _ = tail.wait();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["message"], "hello world", "{line}");

    let out = strata()
        .args([
            "search",
            "--server",
            &url,
            "--format",
            "ndjson",
            "second OR hello",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let messages: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["message"].to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{text}");

    let out = strata()
        .args(["sql", "--server", &url, "--format", "csv", "-c"])
        .arg("SELECT count(*) AS n FROM logs WHERE search(message, 'world')")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "n\n2\n");

    let _ = server.kill();
    let _ = server.wait();
}

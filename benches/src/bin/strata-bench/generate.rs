//! `strata-bench gen`: generated agent-platform logs as StructuredLog
//! NDJSON, optionally with injected anomalies and their ground truth.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use strata_engine::sample::{Anomaly, SampleConfig, SampleGenerator, to_ndjson_line};

/// Flags of `strata-bench gen`.
#[derive(Args)]
pub struct GenArgs {
    /// Records to write.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Seed of the generator (same seed, same bytes).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file ('-' for standard output).
    #[arg(long, default_value = "-")]
    out: String,
    /// Start of the time window the records fill, RFC 3339.
    #[arg(long, default_value = "2026-01-05T00:00:00Z", value_parser = parse_start)]
    start: i64,
    /// Length of that window: a whole number and a unit among us, ms, s, m,
    /// h, d (90m, 24h, 7d). The records follow a daily traffic curve over it.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    duration: i64,
    /// Anomalies to inject: none, all (one of each kind) or a comma-separated
    /// list of volume_spike, error_burst, new_template, latency_shift,
    /// broken_sequence. Entities and windows are drawn from the seed; the
    /// windows lie inside the generated range and do not overlap.
    #[arg(long, default_value = "none", value_parser = parse_plan)]
    anomalies: Plan,
    /// File for the ground truth of the anomalies, one JSON line each:
    /// {"type", "entity", "entity_kind", "start_us", "end_us", "start",
    /// "end", "details"}. Required when --anomalies is not none.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
}

/// A parsed `--anomalies` list.
#[derive(Debug, Clone)]
struct Plan(Vec<Anomaly>);

fn parse_plan(spec: &str) -> Result<Plan, String> {
    Anomaly::parse_list(spec)
        .map(Plan)
        .map_err(|e| e.to_string())
}

fn parse_start(text: &str) -> Result<i64, String> {
    strata_engine::ndjson::parse_timestamp_text(text)
}

/// `90m`, `24h`, `7d`, … in microseconds; must be positive.
fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let unit_us: i64 = match unit {
        "us" => 1,
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => {
            return Err(format!(
                "duration {text:?} needs a whole number and a unit among us, ms, s, m, h, d (e.g. 24h)"
            ));
        }
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_us))
        .filter(|&us| us > 0)
        .ok_or_else(|| format!("duration {text:?} is not a positive length that fits"))
}

/// Writes the records, then the ground truth.
/// `records` records of seed `seed`, without anomalies, over the default
/// window, written to `out` (what `strata-bench run` ingests).
pub fn write_ndjson(records: usize, seed: u64, out: &str) -> Result<(), String> {
    run(GenArgs {
        records,
        seed,
        out: out.to_string(),
        start: strata_engine::sample::DEFAULT_START_US,
        duration: strata_engine::sample::DEFAULT_DURATION_US,
        anomalies: Plan(Vec::new()),
        truth: None,
    })
}

pub fn run(args: GenArgs) -> Result<(), String> {
    let anomalies = args.anomalies.0;
    if !anomalies.is_empty() && args.truth.is_none() {
        return Err(
            "--anomalies needs --truth FILE, where the ground truth of the anomalies goes".into(),
        );
    }
    let mut generator = SampleGenerator::try_new(SampleConfig {
        seed: args.seed,
        start_us: args.start,
        duration_us: args.duration,
        total: args.records,
        anomalies,
        ..SampleConfig::default()
    })
    .map_err(|e| e.to_string())?;

    let out_err = |e: std::io::Error| format!("{}: {e}", args.out);
    let sink: Box<dyn Write> = if args.out == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(File::create(&args.out).map_err(out_err)?)
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    let mut left = args.records;
    while left > 0 {
        let n = left.min(10_000);
        for r in generator.generate(n) {
            w.write_all(to_ndjson_line(&r).as_bytes())
                .map_err(out_err)?;
            w.write_all(b"\n").map_err(out_err)?;
        }
        left -= n;
    }
    w.flush().map_err(out_err)?;

    if let Some(path) = &args.truth {
        let truth_err = |e: std::io::Error| format!("{}: {e}", path.display());
        let mut w = BufWriter::new(File::create(path).map_err(truth_err)?);
        for truth in generator.ground_truth() {
            w.write_all(truth.to_json_line().as_bytes())
                .map_err(truth_err)?;
            w.write_all(b"\n").map_err(truth_err)?;
        }
        w.flush().map_err(truth_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use strata_engine::sample::{DEFAULT_DURATION_US, DEFAULT_START_US, GroundTruth};

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: GenArgs,
    }

    fn parse(flags: &[&str]) -> Result<GenArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("gen").chain(flags.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn defaults_are_the_generators() {
        let args = parse(&[]).unwrap();
        assert_eq!(
            (args.start, args.duration),
            (DEFAULT_START_US, DEFAULT_DURATION_US)
        );
        assert!(args.anomalies.0.is_empty() && args.truth.is_none());
    }

    #[test]
    fn durations_parse() {
        let cases = [
            ("24h", Some(86_400_000_000)),
            ("90m", Some(5_400_000_000)),
            ("7d", Some(604_800_000_000)),
            ("30s", Some(30_000_000)),
            ("250ms", Some(250_000)),
            ("0h", None),
            ("h", None),
            ("24", None),
            ("1.5h", None),
            ("-3h", None),
            ("999999999999d", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text).ok(), expected, "{text}");
        }
    }

    #[test]
    fn bad_flags_are_refused() {
        for flags in [
            &["--anomalies", "volume_spike,meteor"][..],
            &["--start", "yesterday"],
            &["--duration", "1 fortnight"],
        ] {
            assert!(parse(flags).is_err(), "{flags:?}");
        }
        let args = parse(&["--anomalies", "all", "--records", "10"]).unwrap();
        let e = run(args).unwrap_err();
        assert!(e.contains("--truth"), "{e}");
    }

    #[test]
    fn writes_records_and_their_truth() {
        let dir = tempfile::tempdir().unwrap();
        let (out, truth) = (
            dir.path().join("logs.ndjson"),
            dir.path().join("truth.jsonl"),
        );
        let args = parse(&[
            "--records",
            "6000",
            "--start",
            "2026-03-01T06:00:00Z",
            "--duration",
            "6h",
            "--anomalies",
            "error_burst,new_template",
            "--out",
            out.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ])
        .unwrap();
        run(args).unwrap();
        let records = std::fs::read_to_string(&out).unwrap();
        let decoded = strata_engine::ndjson::decode_batch(records.as_bytes(), 1 << 20);
        assert!(decoded.rejections.is_empty());
        assert_eq!(decoded.records.len(), 6_000);
        let (first, last) = (
            decoded.records[0].timestamp_us,
            decoded.records[5_999].timestamp_us,
        );
        let truth: Vec<GroundTruth> = std::fs::read_to_string(&truth)
            .unwrap()
            .lines()
            .map(|l| GroundTruth::from_json_line(l).unwrap())
            .collect();
        assert_eq!(truth.len(), 2);
        for t in &truth {
            assert!(first <= t.start_us && t.end_us <= last, "{t:?}");
        }
        let said = decoded
            .records
            .iter()
            .filter(|r| {
                r.message
                    .contains(strata_engine::sample::NEW_TEMPLATE_LITERAL)
            })
            .count() as u64;
        assert_eq!(truth[1].details.records, Some(said));
    }
}

//! Injected anomalies, each checked by a brute-force count over the
//! generated records (never by the generator's own bookkeeping).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::DateTime;
use serde_json::Value;

use super::*;
use crate::record::{LogLevel, StructuredLog};

const MINUTE_US: i64 = 60_000_000;
const HOUR_US: i64 = 60 * MINUTE_US;
const TOTAL: usize = 100_000;

/// Records and truth of one run with every kind of anomaly.
struct Corpus {
    config: SampleConfig,
    records: Vec<StructuredLog>,
    truth: Vec<GroundTruth>,
}

impl Corpus {
    fn new(seed: u64) -> Self {
        let config = SampleConfig {
            seed,
            total: TOTAL,
            anomalies: Anomaly::parse_list("all").unwrap(),
            ..SampleConfig::default()
        };
        let mut generator = SampleGenerator::new(config.clone());
        let records = generator.generate(TOTAL);
        let truth = generator.ground_truth();
        Corpus {
            config,
            records,
            truth,
        }
    }

    fn truth(&self, kind: AnomalyKind) -> &GroundTruth {
        self.truth
            .iter()
            .find(|t| t.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} in {:?}", self.truth))
    }

    fn first_us(&self) -> i64 {
        self.records[0].timestamp_us
    }

    fn last_us(&self) -> i64 {
        self.records[self.records.len() - 1].timestamp_us
    }
}

/// The seed-42 corpus, built once for every test of this file.
fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| Corpus::new(42))
}

fn median(values: &mut [f64]) -> f64 {
    assert!(!values.is_empty());
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn share(hits: usize, of: usize) -> f64 {
    hits as f64 / of.max(1) as f64
}

fn check_volume_spike(c: &Corpus) {
    let truth = c.truth(AnomalyKind::VolumeSpike);
    let window = truth.window();
    // Per-minute counts of the agent, on minutes aligned to the window's
    // start and wholly inside the generated range.
    let mut per_minute: HashMap<i64, usize> = HashMap::new();
    for r in c.records.iter().filter(|r| r.agent_id == truth.entity) {
        *per_minute
            .entry((r.timestamp_us - window.start_us).div_euclid(MINUTE_US))
            .or_default() += 1;
    }
    let first = (c.first_us() - window.start_us).div_euclid(MINUTE_US) + 1;
    let last = (c.last_us() - window.start_us).div_euclid(MINUTE_US) - 1;
    let window_minutes = window.len_us() / MINUTE_US;
    let (mut inside, mut outside) = (0usize, Vec::new());
    for m in first..last {
        let n = per_minute.get(&m).copied().unwrap_or(0);
        if (0..window_minutes).contains(&m) {
            inside += n;
        } else {
            outside.push(n as f64);
        }
    }
    let inside = inside as f64 / window_minutes as f64;
    let outside = median(&mut outside);
    assert!(outside >= 1.0, "{}: median {outside}/min", truth.entity);
    assert!(
        inside >= 5.0 * outside,
        "{}: {inside:.1}/min inside, median {outside}/min outside",
        truth.entity
    );
}

fn check_error_burst(c: &Corpus) {
    let truth = c.truth(AnomalyKind::ErrorBurst);
    let window = truth.window();
    let (mut inside, mut outside) = ([0usize; 2], [0usize; 2]);
    for r in &c.records {
        if r.service.as_deref() != Some(truth.entity.as_str()) {
            continue;
        }
        let counts = if window.contains(r.timestamp_us) {
            &mut inside
        } else {
            &mut outside
        };
        counts[0] += 1;
        if r.log_level >= LogLevel::Error {
            counts[1] += 1;
            let error = r.error.as_ref().expect("an error record carries ErrorInfo");
            assert!(
                error.error_type.is_some() && error.error_code.is_some(),
                "{r:?}"
            );
        }
    }
    let (share_in, share_out) = (share(inside[1], inside[0]), share(outside[1], outside[0]));
    assert!(inside[0] >= 50, "{}: {inside:?}", truth.entity);
    assert!(share_out > 0.0, "{}: {outside:?}", truth.entity);
    assert!(
        share_in >= 3.0 * share_out,
        "{}: error share {share_in:.3} inside, {share_out:.3} outside",
        truth.entity
    );
}

fn check_new_template(c: &Corpus) {
    let truth = c.truth(AnomalyKind::NewTemplate);
    let window = truth.window();
    let said: Vec<&StructuredLog> = c
        .records
        .iter()
        .filter(|r| r.message.contains(NEW_TEMPLATE_LITERAL) || r.message.contains("libcrypto"))
        .collect();
    for r in &said {
        assert!(window.contains(r.timestamp_us), "outside its window: {r:?}");
        assert_eq!(r.service.as_deref(), Some(truth.entity.as_str()), "{r:?}");
        assert!(r.message.starts_with(NEW_TEMPLATE_LITERAL), "{}", r.message);
    }
    assert!(said.len() >= 10, "{} records say it", said.len());
    assert_eq!(truth.details.records, Some(said.len() as u64));
}

fn check_latency_shift(c: &Corpus) {
    let truth = c.truth(AnomalyKind::LatencyShift);
    let window = truth.window();
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    for r in &c.records {
        if r.service.as_deref() != Some(truth.entity.as_str()) {
            continue;
        }
        if let Some(ms) = r.metrics.duration_ms {
            if window.contains(r.timestamp_us) {
                inside.push(ms);
            } else {
                outside.push(ms);
            }
        }
    }
    assert!(
        inside.len() >= 20,
        "{}: {} inside",
        truth.entity,
        inside.len()
    );
    let (m_in, m_out) = (median(&mut inside), median(&mut outside));
    assert!(
        m_in >= 3.0 * m_out,
        "{}: median {m_in} ms inside, {m_out} ms outside",
        truth.entity
    );
}

/// Per execution: its agent, first timestamp, whether it logged its end.
fn executions(records: &[StructuredLog]) -> HashMap<&str, (&str, i64, bool)> {
    let mut out: HashMap<&str, (&str, i64, bool)> = HashMap::new();
    for r in records {
        let Some(id) = r.execution_id.as_deref() else {
            continue;
        };
        let entry = out
            .entry(id)
            .or_insert((r.agent_id.as_str(), r.timestamp_us, false));
        let attributes: Value = serde_json::from_str(r.attributes.as_deref().unwrap()).unwrap();
        if r.parent_span_id.is_none() && attributes.get("status").is_some() {
            entry.2 = true;
        }
    }
    out
}

fn check_broken_sequence(c: &Corpus) {
    let truth = c.truth(AnomalyKind::BrokenSequence);
    let window = truth.window();
    let listed: HashSet<&str> = truth
        .details
        .execution_ids
        .as_ref()
        .unwrap()
        .iter()
        .map(String::as_str)
        .collect();
    let executions = executions(&c.records);
    // Executions starting this close to the end may still be running.
    let settled_before = c.records[c.records.len() * 97 / 100].timestamp_us;
    let mut started_inside = HashSet::new();
    let (mut outside, mut outside_ended) = (0, 0);
    for (&id, &(agent, start_us, ended)) in &executions {
        if agent == truth.entity && window.contains(start_us) {
            started_inside.insert(id);
            assert!(!ended, "{id} logged its end");
        } else if start_us < settled_before {
            outside += 1;
            outside_ended += usize::from(ended);
        }
    }
    assert!(listed.len() >= 5, "{} broken executions", listed.len());
    assert_eq!(listed, started_inside);
    assert!(
        share(outside_ended, outside) >= 0.99,
        "{outside_ended} of {outside} other executions ended"
    );
}

#[test]
fn volume_spike_multiplies_the_agents_per_minute_count() {
    check_volume_spike(corpus());
}

#[test]
fn error_burst_makes_the_services_records_mostly_errors() {
    check_error_burst(corpus());
}

#[test]
fn new_template_is_said_only_inside_its_window() {
    check_new_template(corpus());
    let plain = generate(&SampleConfig::default(), TOTAL);
    assert!(
        plain
            .iter()
            .all(|r| !r.message.contains(NEW_TEMPLATE_LITERAL) && !r.message.contains("libcrypto"))
    );
}

#[test]
fn latency_shift_multiplies_the_services_durations() {
    check_latency_shift(corpus());
}

#[test]
fn broken_sequence_executions_miss_their_end() {
    check_broken_sequence(corpus());
}

/// Every check over more seeds: `cargo test -p strata-engine --lib
/// anomaly_checks_hold_across_seeds -- --ignored`.
#[test]
#[ignore = "slow: builds ten corpora"]
fn anomaly_checks_hold_across_seeds() {
    for seed in 0..10 {
        let c = Corpus::new(seed);
        check_volume_spike(&c);
        check_error_burst(&c);
        check_new_template(&c);
        check_latency_shift(&c);
        check_broken_sequence(&c);
        check_timeline(&c);
    }
}

/// Timestamps never decrease, and the records still fill the range: the
/// spike's extra records do not push the last ones past its end nor leave
/// its end empty.
fn check_timeline(c: &Corpus) {
    assert!(
        c.records
            .windows(2)
            .all(|w| w[0].timestamp_us <= w[1].timestamp_us)
    );
    let (start, duration) = (c.config.start_us, c.config.duration_us);
    assert!(c.first_us() >= start && c.last_us() < start + duration);
    assert!(
        c.last_us() >= start + duration - duration / 100,
        "ends {} µs early",
        start + duration - c.last_us()
    );
}

#[test]
fn anomalies_keep_timestamps_in_order_and_records_valid() {
    let c = corpus();
    check_timeline(c);
    let mut ids = HashSet::new();
    for r in &c.records {
        r.validate().unwrap_or_else(|e| panic!("{e}: {r:?}"));
        assert!(ids.insert(r.log_id.as_str()), "duplicate {}", r.log_id);
    }
}

#[test]
fn windows_are_disjoint_and_inside_the_generated_range() {
    let c = corpus();
    assert_eq!(c.truth.len(), AnomalyKind::ALL.len());
    let mut windows: Vec<Window> = c.truth.iter().map(GroundTruth::window).collect();
    windows.sort_by_key(|w| w.start_us);
    for w in &windows {
        assert!(w.len_us() >= MINUTE_US, "{w:?}");
        assert!(
            c.first_us() <= w.start_us && w.end_us <= c.last_us(),
            "{w:?}"
        );
    }
    for pair in windows.windows(2) {
        assert!(pair[0].end_us <= pair[1].start_us, "{pair:?}");
    }
}

#[test]
fn anomalies_are_deterministic_and_windows_depend_on_the_seed() {
    let c = corpus();
    let mut generator = SampleGenerator::new(c.config.clone());
    // In chunks, to cross the pending record a spike leaves behind.
    let mut again = Vec::new();
    for n in [1, 999, 7, 50_000, TOTAL - 51_007] {
        again.extend(generator.generate(n));
    }
    assert!(again == c.records, "same seed, other records");
    assert_eq!(generator.ground_truth(), c.truth);

    let other = SampleGenerator::new(SampleConfig {
        seed: 43,
        ..c.config.clone()
    })
    .ground_truth();
    for (a, b) in c.truth.iter().zip(&other) {
        assert_ne!(a.window(), b.window(), "{} kept its window", a.kind);
    }
}

#[test]
fn truth_does_not_depend_on_how_much_is_generated() {
    let c = corpus();
    let mut generator = SampleGenerator::new(c.config.clone());
    generator.generate(TOTAL + 5_000);
    assert_eq!(generator.ground_truth(), c.truth);
}

#[test]
fn truth_lines_have_the_documented_shape() {
    let c = corpus();
    for truth in &c.truth {
        let line = truth.to_json_line();
        let v: Value = serde_json::from_str(&line).unwrap();
        // Keys in the documented order (serde_json's map sorts them, so
        // look at the text).
        let mut at = 0;
        for key in [
            "type",
            "entity",
            "entity_kind",
            "start_us",
            "end_us",
            "start",
            "end",
            "details",
        ] {
            let quoted = format!("\"{key}\":");
            let found = line[at..].find(&quoted).map(|i| at + i);
            at = found.unwrap_or_else(|| panic!("{key} missing or out of order: {line}"));
        }
        assert_eq!(v.as_object().unwrap().len(), 8, "{line}");
        assert_eq!(v["type"], truth.kind.name());
        let field = match truth.kind {
            AnomalyKind::VolumeSpike | AnomalyKind::BrokenSequence => "agent_id",
            _ => "service",
        };
        assert_eq!(v["entity_kind"], field, "{line}");
        for (text, us) in [("start", "start_us"), ("end", "end_us")] {
            let parsed = DateTime::parse_from_rfc3339(v[text].as_str().unwrap()).unwrap();
            assert_eq!(Some(parsed.timestamp_micros()), v[us].as_i64(), "{line}");
        }
        let back = GroundTruth::from_json_line(&line).unwrap();
        assert_eq!(&back, truth);
    }
    let broken = serde_json::to_value(c.truth(AnomalyKind::BrokenSequence)).unwrap();
    assert_eq!(broken["details"]["missing_step"], MISSING_STEP);
    assert!(broken["details"]["execution_ids"].is_array());
    assert!(matches!(
        GroundTruth::from_json_line("{\"type\":\"meteor\"}"),
        Err(crate::Error::GroundTruth { .. })
    ));
}

#[test]
fn explicit_entities_and_windows_are_used_and_checked() {
    let window = Window {
        start_us: DEFAULT_START_US + 3_600_000_000,
        end_us: DEFAULT_START_US + 4_200_000_000,
    };
    let explicit = |kind, entity: &str| Anomaly {
        kind,
        entity: Some(entity.to_owned()),
        window: Some(window),
    };
    let config = |anomalies| SampleConfig {
        total: 10_000,
        anomalies,
        ..SampleConfig::default()
    };
    let generator = SampleGenerator::try_new(config(vec![
        explicit(AnomalyKind::LatencyShift, "auth"),
        Anomaly::new(AnomalyKind::ErrorBurst),
    ]))
    .unwrap();
    let truth = generator.ground_truth();
    assert_eq!(
        (truth[0].entity.as_str(), truth[0].window()),
        ("auth", window)
    );
    assert_ne!(truth[1].window(), window);

    let cases = [
        (
            "unknown service",
            explicit(AnomalyKind::ErrorBurst, "billing"),
        ),
        (
            "agent named as service",
            explicit(AnomalyKind::ErrorBurst, "agent-qa-1"),
        ),
        (
            "unknown agent",
            explicit(AnomalyKind::VolumeSpike, "agent-nobody-1"),
        ),
        (
            "empty window",
            Anomaly {
                window: Some(Window {
                    start_us: 5,
                    end_us: 5,
                }),
                ..Anomaly::new(AnomalyKind::NewTemplate)
            },
        ),
    ];
    for (name, anomaly) in cases {
        match SampleGenerator::try_new(config(vec![anomaly])) {
            Err(crate::Error::Config(message)) => assert!(!message.is_empty(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn anomaly_lists_parse() {
    let kinds = |spec| -> Vec<AnomalyKind> {
        Anomaly::parse_list(spec)
            .unwrap()
            .into_iter()
            .map(|a| a.kind)
            .collect()
    };
    assert!(kinds("none").is_empty());
    assert!(kinds("").is_empty());
    assert_eq!(kinds("all"), AnomalyKind::ALL);
    assert_eq!(
        kinds("latency_shift, volume_spike"),
        [AnomalyKind::LatencyShift, AnomalyKind::VolumeSpike]
    );
    for kind in AnomalyKind::ALL {
        assert_eq!(kind.name().parse::<AnomalyKind>().unwrap(), kind);
    }
    assert!(Anomaly::parse_list("volume_spike,bogus").is_err());
    assert!(Anomaly::parse_list("all,none").is_err());
}

#[test]
fn no_anomalies_means_no_truth() {
    let generator = SampleGenerator::new(SampleConfig::default());
    assert!(generator.ground_truth().is_empty());
}

#[test]
fn degenerate_configs_with_anomalies_still_generate_valid_records() {
    let all = Anomaly::parse_list("all").unwrap();
    let cases = [
        SampleConfig {
            agents: 1,
            workspaces: 1,
            duration_us: 10,
            total: 50,
            anomalies: all.clone(),
            ..SampleConfig::default()
        },
        SampleConfig {
            duration_us: 0,
            total: 0,
            anomalies: all.clone(),
            ..SampleConfig::default()
        },
        SampleConfig {
            start_us: i64::MAX - 10,
            total: 100,
            anomalies: all.clone(),
            ..SampleConfig::default()
        },
        SampleConfig {
            start_us: -HOUR_US,
            duration_us: HOUR_US,
            total: 5_000,
            anomalies: [all.clone(), all].concat(),
            ..SampleConfig::default()
        },
    ];
    for c in cases {
        let mut generator = SampleGenerator::new(c.clone());
        let records = generator.generate(3_000);
        assert_eq!(records.len(), 3_000);
        for r in &records {
            r.validate().unwrap();
        }
        assert!(
            records
                .windows(2)
                .all(|w| w[0].timestamp_us <= w[1].timestamp_us),
            "{c:?}"
        );
        let truth = generator.ground_truth();
        assert_eq!(truth.len(), c.anomalies.len());
        for t in truth {
            assert!(t.start_us <= t.end_us, "{t:?}");
            serde_json::from_str::<Value>(&t.to_json_line()).unwrap();
        }
    }
}

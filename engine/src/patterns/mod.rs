//! Pattern analytics over the rows of a time range: the algorithms behind the
//! pattern table functions and the gRPC `Patterns` API.
//!
//! Every row carries the `template_id` the template miner gave it at ingest.
//! The caller borrows one [`PatternRow`] per row from the Arrow columns of a
//! scan (nothing is copied) and hands the slice to one of five analyses:
//!
//! ```text
//! scan(time range) ─> Arrow columns ─> &[PatternRow] (borrowed)
//!   ├─> message_patterns   per template: count, share, first/last seen, tf-idf significance
//!   ├─> error_patterns     error/fatal rows per template: error types, services, fatal count
//!   ├─> sequence_patterns  PrefixSpan over per-execution template sequences: support, confidence, lift
//!   ├─> temporal_patterns  hour-of-day histogram, per-minute series, bursts (overall and per template)
//!   └─> new_templates      templates in a window that a baseline window never saw
//! ```
//!
//! ```
//! use strata_engine::patterns::{PatternRow, Severity, message_patterns, new_templates};
//! let row = |ts: i64, template_id: u64, level: &'static str, message: &'static str| PatternRow {
//!     timestamp_us: ts, template_id, level, service: Some("api"),
//!     execution_id: None, error_type: None, message,
//! };
//! let window = [row(1, 7, "info", "user 1 logged in"), row(2, 9, "error", "db timeout after 3s")];
//! let top = message_patterns(&window, 0.0, 10);
//! assert_eq!(top.len(), 2);
//! let new = new_templates(&window, &[row(0, 7, "info", "user 2 logged in")]);
//! assert_eq!((new[0].template_id, new[0].severity), (9, Severity::High));
//! ```
//!
//! Core types:
//! - [`PatternRow`]: the borrowed input row; [`Severity`]: how urgent a finding is.
//! - [`MessagePattern`], [`ErrorPattern`], [`SequencePattern`],
//!   [`TemporalProfile`] (with [`Burst`]s) and [`NewTemplate`]: the outputs,
//!   all `Serialize`, all deterministic for a given input (ties are broken by
//!   `template_id`, never by hash order).
//!
//! Shared conventions:
//! - Frequencies are `f64` in `[0, 1]`; an empty input gives an empty result;
//!   thresholds that are NaN select nothing (the query layer validates input).
//! - Every analysis is O(n) or O(n log n) in the rows, except
//!   [`sequence_patterns`], whose mining also grows with the patterns it
//!   finds; it returns at most [`MAX_SEQUENCE_PATTERNS`], the top ones.
//! - Examples are at most [`MAX_EXAMPLES`] distinct messages, the first ones
//!   met in input order, each cut to [`MAX_EXAMPLE_BYTES`] on a char boundary.
//! - Levels are matched case-insensitively; `warning` is `warn`, `err` is
//!   `error`, `critical`/`crit`/`panic`/`emergency` are `fatal`, anything
//!   unknown counts as `info`.
//! - Time is UTC microseconds; minutes and hours are floor-aligned
//!   (`div_euclid`), so times before 1970 work too.

mod error_pattern;
mod message_pattern;
mod new_template;
mod sequence_pattern;
mod temporal_profile;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;

pub use error_pattern::{
    ErrorPattern, HIGH_MIN_COUNT, HIGH_SERVICES, HIGH_SHARE, MEDIUM_MIN_COUNT, MEDIUM_SHARE,
    error_patterns,
};
pub use message_pattern::{MessagePattern, NOISY_MIN_ROWS, NOISY_SHARE, message_patterns};
pub use new_template::{NewTemplate, new_templates};
pub use sequence_pattern::{MAX_SEQUENCE_PATTERNS, SequencePattern, sequence_patterns};
pub use temporal_profile::{
    Burst, MIN_BASELINE_PER_MINUTE, TEMPLATE_BURST_MIN_ROWS, TemporalProfile, temporal_patterns,
};

/// At most this many distinct example messages per pattern.
pub const MAX_EXAMPLES: usize = 3;
/// An example message longer than this is cut (on a char boundary) and ends in `…`.
pub const MAX_EXAMPLE_BYTES: usize = 512;

const US_PER_MINUTE: i64 = 60_000_000;
const US_PER_HOUR: i64 = 3_600_000_000;

/// One log row as the analyses see it, borrowed from the scan's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternRow<'a> {
    /// Event time, UTC microseconds since the epoch.
    pub timestamp_us: i64,
    /// Template the miner assigned at ingest.
    pub template_id: u64,
    /// `trace|debug|info|warn|error|fatal` (case-insensitive, aliases accepted).
    pub level: &'a str,
    pub service: Option<&'a str>,
    /// Groups rows into executions for [`sequence_patterns`]; rows without one are skipped there.
    pub execution_id: Option<&'a str>,
    pub error_type: Option<&'a str>,
    /// The rendered message, used for examples.
    pub message: &'a str,
}

/// How urgent a finding is, least urgent first (so `Ord` sorts by urgency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The level classes the analyses care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Quiet,
    Warn,
    Error,
    Fatal,
}

impl Level {
    fn of(level: &str) -> Level {
        const ALIASES: &[(&str, Level)] = &[
            ("warn", Level::Warn),
            ("warning", Level::Warn),
            ("error", Level::Error),
            ("err", Level::Error),
            ("fatal", Level::Fatal),
            ("critical", Level::Fatal),
            ("crit", Level::Fatal),
            ("panic", Level::Fatal),
            ("emergency", Level::Fatal),
        ];
        ALIASES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(level))
            .map_or(Level::Quiet, |&(_, l)| l)
    }
}

/// Row counts by level class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LevelMix {
    warn: u64,
    error: u64,
    fatal: u64,
}

impl LevelMix {
    fn add(&mut self, level: &str) {
        match Level::of(level) {
            Level::Quiet => {}
            Level::Warn => self.warn += 1,
            Level::Error => self.error += 1,
            Level::Fatal => self.fatal += 1,
        }
    }

    /// The most severe level class present: fatal → Critical, error → High,
    /// warn → Medium; `None` when every row is trace/debug/info.
    fn severity(self) -> Option<Severity> {
        if self.fatal > 0 {
            Some(Severity::Critical)
        } else if self.error > 0 {
            Some(Severity::High)
        } else if self.warn > 0 {
            Some(Severity::Medium)
        } else {
            None
        }
    }
}

/// Up to [`MAX_EXAMPLES`] distinct messages, in the order first met.
#[derive(Debug, Clone, Default)]
struct Examples<'a>(Vec<&'a str>);

impl<'a> Examples<'a> {
    fn offer(&mut self, message: &'a str) {
        if self.0.len() < MAX_EXAMPLES && !self.0.contains(&message) {
            self.0.push(message);
        }
    }

    fn first(&self) -> Option<&'a str> {
        self.0.first().copied()
    }

    fn into_strings(self) -> Vec<String> {
        self.0
            .into_iter()
            .map(|m| truncate(m, MAX_EXAMPLE_BYTES))
            .collect()
    }
}

/// `s` cut to at most `max` bytes on a char boundary, with `…` appended when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Counts by name, most frequent first, ties by name.
fn ranked<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().map(|(k, c)| (k.to_owned(), c)).collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// `part / whole`, 0 when `whole` is 0.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A percentage for messages: one decimal below 10 %, none above.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// Hasher for integer keys the engine assigns (template ids, minute numbers):
/// FxHash's rotate-xor-multiply. Fast, not DoS-resistant: never use it for
/// strings a user supplies (execution ids, services), which keep std's SipHash.
#[derive(Debug, Clone, Copy, Default)]
struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0xF135_7AEA_2E62_A9C5);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_i64(&mut self, n: i64) {
        self.add(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        // The multiply leaves the high bits best mixed; the table indexes by the low ones.
        self.0.rotate_left(26)
    }
}

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

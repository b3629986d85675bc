//! `error_patterns`: the templates of error and fatal records.

use std::collections::HashMap;

use serde::Serialize;

use super::{Examples, IdMap, Level, PatternRow, Severity, percent, ranked, ratio, truncate};

/// An error template needs at least this many records to be `High`…
pub const HIGH_MIN_COUNT: u64 = 10;
/// …and either this share of all error records…
pub const HIGH_SHARE: f64 = 0.25;
/// …or to be spread over at least this many services.
pub const HIGH_SERVICES: usize = 3;
/// `Medium` needs this many records or [`MEDIUM_SHARE`] of the error records.
pub const MEDIUM_MIN_COUNT: u64 = 10;
pub const MEDIUM_SHARE: f64 = 0.10;

/// One template's error and fatal records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorPattern {
    pub template_id: u64,
    /// Error plus fatal records of this template.
    pub count: u64,
    /// `count` over all error plus fatal records.
    pub frequency: f64,
    /// Most frequent first, ties by name; records without an error type are not counted here.
    pub error_types: Vec<(String, u64)>,
    /// Most frequent first, ties by name; records without a service are not counted here.
    pub services: Vec<(String, u64)>,
    /// How many of `count` are fatal.
    pub fatal: u64,
    pub examples: Vec<String>,
    /// Critical: any fatal record. High: at least [`HIGH_MIN_COUNT`] records
    /// and either [`HIGH_SHARE`] of the error records or [`HIGH_SERVICES`]
    /// services. Medium: [`MEDIUM_MIN_COUNT`] records or [`MEDIUM_SHARE`] of
    /// the error records. Low: otherwise.
    pub severity: Severity,
    /// What happened, where, and a first thing to check, chosen from the
    /// error type (or else the example) by keyword: timeouts, connectivity,
    /// auth, rate limits, memory, input/code defects.
    pub recommendation: String,
}

#[derive(Default)]
struct Acc<'a> {
    count: u64,
    fatal: u64,
    error_types: HashMap<&'a str, u64>,
    services: HashMap<&'a str, u64>,
    examples: Examples<'a>,
}

/// Templates of error/fatal rows whose share of those rows is at least
/// `min_frequency`, most records first (ties by `template_id`).
pub fn error_patterns(rows: &[PatternRow], min_frequency: f64) -> Vec<ErrorPattern> {
    let mut total = 0u64;
    let mut accs: IdMap<u64, Acc> = IdMap::default();
    for row in rows {
        let level = Level::of(row.level);
        if level < Level::Error {
            continue;
        }
        total += 1;
        let acc = accs.entry(row.template_id).or_default();
        acc.count += 1;
        acc.fatal += u64::from(level == Level::Fatal);
        if let Some(t) = row.error_type {
            *acc.error_types.entry(t).or_default() += 1;
        }
        if let Some(s) = row.service {
            *acc.services.entry(s).or_default() += 1;
        }
        acc.examples.offer(row.message);
    }

    let mut out: Vec<ErrorPattern> = accs
        .into_iter()
        .filter(|(_, acc)| ratio(acc.count, total) >= min_frequency)
        .map(|(template_id, acc)| {
            let frequency = ratio(acc.count, total);
            let error_types = ranked(acc.error_types);
            let services = ranked(acc.services);
            let severity = severity(acc.count, acc.fatal, frequency, services.len());
            let recommendation = recommend(
                template_id,
                acc.count,
                acc.fatal,
                frequency,
                &error_types,
                &services,
                acc.examples.first().unwrap_or_default(),
            );
            ErrorPattern {
                template_id,
                count: acc.count,
                frequency,
                error_types,
                services,
                fatal: acc.fatal,
                examples: acc.examples.into_strings(),
                severity,
                recommendation,
            }
        })
        .collect();
    out.sort_unstable_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.template_id.cmp(&b.template_id))
    });
    out
}

fn severity(count: u64, fatal: u64, frequency: f64, services: usize) -> Severity {
    if fatal > 0 {
        Severity::Critical
    } else if count >= HIGH_MIN_COUNT && (frequency >= HIGH_SHARE || services >= HIGH_SERVICES) {
        Severity::High
    } else if count >= MEDIUM_MIN_COUNT || frequency >= MEDIUM_SHARE {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Keyword (lowercase substring) → first thing to check. First match wins.
const ADVICE: &[(&[&str], &str)] = &[
    (
        &["timeout", "timed out", "deadline"],
        "check the latency of the dependency it waits on and the timeout budget",
    ),
    (
        &[
            "connection",
            "connect",
            "refused",
            "unreachable",
            "reset by peer",
            "dns",
            "socket",
        ],
        "check that the dependency is up and reachable (network, DNS, connection pool)",
    ),
    (
        &[
            "unauthorized",
            "unauthenticated",
            "forbidden",
            "permission",
            "authenticat",
            "authoriz",
            "credential",
            "401",
            "403",
        ],
        "check credentials, token expiry and permissions",
    ),
    (
        &[
            "rate limit",
            "ratelimit",
            "too many requests",
            "429",
            "throttl",
            "quota",
        ],
        "back off with jittered retries, or raise the quota",
    ),
    (
        &["out of memory", "outofmemory", "oom", "memory"],
        "check memory limits and look for a leak or an oversized input",
    ),
    (
        &[
            "null",
            "nil pointer",
            "keyerror",
            "typeerror",
            "valueerror",
            "indexerror",
            "index out of",
            "parse",
            "invalid",
            "validation",
            "schema",
        ],
        "this looks like a code or input defect: validate the input and fix the failing path",
    ),
];

fn advice(error_type: Option<&str>, example: &str) -> &'static str {
    let find = |text: &str| {
        let text = text.to_lowercase();
        ADVICE
            .iter()
            .find(|(keys, _)| keys.iter().any(|k| text.contains(k)))
            .map(|(_, a)| *a)
    };
    error_type
        .and_then(find)
        .or_else(|| find(example))
        .unwrap_or("inspect the example and its stack trace")
}

fn recommend(
    template_id: u64,
    count: u64,
    fatal: u64,
    frequency: f64,
    error_types: &[(String, u64)],
    services: &[(String, u64)],
    example: &str,
) -> String {
    let fatal = if fatal > 0 {
        format!(", {fatal} fatal")
    } else {
        String::new()
    };
    let error_type = error_types.first().map(|(t, _)| t.as_str());
    let what = error_type
        .map(|t| format!(", mostly {t}"))
        .unwrap_or_default();
    let where_ = match services {
        [] => String::new(),
        [(s, _)] => format!(" in service {s}"),
        [(s, _), rest @ ..] => format!(" in service {s} (and {} more)", rest.len()),
    };
    format!(
        "Error template {template_id}: {count} record(s) ({} of errors{fatal}){what}{where_}; {}. Example: \"{}\"",
        percent(frequency),
        advice(error_type, example),
        truncate(example, 120),
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::row;
    use super::*;

    fn rows() -> Vec<PatternRow<'static>> {
        let r = |ts, t, level, error_type, service, message| PatternRow {
            error_type,
            service,
            message,
            ..row(ts, t, level)
        };
        vec![
            r(
                1,
                10,
                "error",
                Some("Timeout"),
                Some("api"),
                "call to db timed out after 3s",
            ),
            r(
                2,
                10,
                "error",
                Some("Timeout"),
                Some("db"),
                "call to db timed out after 5s",
            ),
            r(
                3,
                10,
                "error",
                None,
                Some("api"),
                "call to db timed out after 3s",
            ),
            r(4, 10, "fatal", Some("Timeout"), Some("api"), "giving up"),
            r(
                5,
                11,
                "ERROR",
                Some("ConnectionRefused"),
                Some("web"),
                "connect to cache refused",
            ),
            r(6, 12, "info", Some("Timeout"), Some("api"), "ok"),
            r(7, 12, "warn", None, None, "slow"),
        ]
    }

    #[test]
    fn aggregates_error_and_fatal_rows_per_template() {
        let got = error_patterns(&rows(), 0.0);
        assert_eq!(got.len(), 2, "info and warn rows are not errors: {got:?}");
        let p = &got[0];
        assert_eq!((p.template_id, p.count, p.fatal), (10, 4, 1));
        assert!((p.frequency - 0.8).abs() < 1e-12);
        assert_eq!(p.error_types, [("Timeout".to_owned(), 3)]);
        assert_eq!(p.services, [("api".to_owned(), 3), ("db".to_owned(), 1)]);
        assert_eq!(
            p.examples,
            [
                "call to db timed out after 3s",
                "call to db timed out after 5s",
                "giving up"
            ]
        );
        assert_eq!(p.severity, Severity::Critical);
        assert_eq!(
            p.recommendation,
            "Error template 10: 4 record(s) (80% of errors, 1 fatal), mostly Timeout in service api \
             (and 1 more); check the latency of the dependency it waits on and the timeout budget. \
             Example: \"call to db timed out after 3s\""
        );
        let q = &got[1];
        assert_eq!(
            (q.template_id, q.count, q.fatal, q.severity),
            (11, 1, 0, Severity::Medium)
        );
        assert!((q.frequency - 0.2).abs() < 1e-12);
        assert!(
            q.recommendation
                .contains("check that the dependency is up and reachable"),
            "{}",
            q.recommendation
        );

        let only_big: Vec<u64> = error_patterns(&rows(), 0.5)
            .iter()
            .map(|p| p.template_id)
            .collect();
        assert_eq!(only_big, [10]);
    }

    #[test]
    fn severity_rules() {
        // (count, fatal, frequency, services) -> severity
        let cases = [
            (1, 1, 0.01, 1, Severity::Critical),
            (10, 0, 0.25, 1, Severity::High),
            (10, 0, 0.01, 3, Severity::High),
            (9, 0, 0.9, 5, Severity::Medium), // too few records for High
            (10, 0, 0.24, 2, Severity::Medium),
            (1, 0, 0.10, 1, Severity::Medium),
            (9, 0, 0.09, 2, Severity::Low),
        ];
        for (count, fatal, frequency, services, want) in cases {
            assert_eq!(
                severity(count, fatal, frequency, services),
                want,
                "{count} {fatal} {frequency} {services}"
            );
        }
    }

    #[test]
    fn advice_comes_from_the_error_type_then_the_example() {
        let cases = [
            (Some("DeadlineExceeded"), "x", "timeout budget"),
            (Some("HTTP 429"), "x", "raise the quota"),
            (Some("PermissionDenied"), "x", "credentials"),
            (Some("OOMKilled"), "x", "memory limits"),
            (Some("KeyError"), "x", "input defect"),
            (Some("Weird"), "socket closed", "reachable"),
            (None, "user 42 is unauthorized", "credentials"),
            (None, "something odd", "inspect the example"),
        ];
        for (error_type, example, want) in cases {
            let got = advice(error_type, example);
            assert!(got.contains(want), "{error_type:?} {example:?} -> {got}");
        }
    }
}

//! Picks the search query set from the corpus itself, deterministically.
//!
//! Pass 1 reads every record and counts, per message, its words (tokenized
//! as Strata's index does: runs of alphanumeric characters, lowercased) and
//! adjacent word pairs, errors per agent and records per UTC hour; it also
//! writes the messages file the miners read. Candidates are ASCII words of 4
//! to 40 letters that are not all hex digits:
//!
//! - rare term: fewest records, at least `max(2, records / 100,000)`;
//! - common term: most records;
//! - phrase: the most frequent pair of distinct words that matches fewer
//!   records than either word alone;
//! - trace id: of the first record with one at or after the middle record;
//! - agent's errors: the agent with the most `error` records;
//! - term within an hour: the common term in the hour with most records.
//!
//! Words that also occur as a token of another field of some line are left
//! out. Pass 2 checks each candidate: the records whose message has the word,
//! whose message contains it as a (case-insensitive) substring and whose raw
//! NDJSON line contains it must be as many (hence the same records, since
//! each set holds the one before). The first candidate that agrees wins, so
//! token search (Strata), `ILIKE` on the message (DuckDB) and a fixed string
//! over the line (ripgrep) answer the same question.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::Deserialize;

use super::corpus::{Corpus, tmp_path};
use super::query_set::{SearchKind, SearchQuery};

/// Candidates checked per kind in pass 2.
const RARE_CANDIDATES: usize = 16;
const COMMON_CANDIDATES: usize = 24;
const PHRASE_CANDIDATES: usize = 8;
/// Longest token the index keeps (`RemoveLongFilter::limit(40)`).
const MAX_TOKEN_BYTES: usize = 40;

/// The fields of a record the scan reads.
#[derive(Deserialize)]
struct Line {
    agent_id: String,
    timestamp: String,
    log_level: String,
    message: String,
    trace_id: Option<String>,
}

/// Loads the query set of `corpus`, picking (and caching) it on first use.
pub fn query_set(corpus: &Corpus) -> Result<Vec<SearchQuery>, String> {
    if let Ok(bytes) = std::fs::read(&corpus.queries)
        && let Ok(set) = serde_json::from_slice::<Vec<SearchQuery>>(&bytes)
        && corpus.messages.exists()
    {
        return Ok(set);
    }
    eprintln!("picking the query set from {}", corpus.ndjson.display());
    let set = pick(&corpus.ndjson, &corpus.messages, corpus.records)?;
    let json = serde_json::to_vec_pretty(&set).map_err(|e| format!("query set: {e}"))?;
    std::fs::write(&corpus.queries, json)
        .map_err(|e| format!("{}: {e}", corpus.queries.display()))?;
    Ok(set)
}

/// Words of a message as the index tokenizes it.
fn tokens(message: &str) -> Vec<String> {
    message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_candidate(token: &str) -> bool {
    (4..=MAX_TOKEN_BYTES).contains(&token.len())
        && token.bytes().all(|b| b.is_ascii_lowercase())
        && !token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Counts of pass 1.
#[derive(Default)]
struct Pass1 {
    records: u64,
    /// Records whose message has the word.
    word_records: HashMap<String, u64>,
    /// Records whose whole line has the word (as a token of any field).
    line_word_records: HashMap<String, u64>,
    pair_records: HashMap<String, u64>,
    agent_errors: BTreeMap<String, u64>,
    hour_records: BTreeMap<String, u64>,
    trace_id: Option<String>,
}

fn read_lines(
    path: &Path,
    mut f: impl FnMut(&str, Line) -> Result<(), String>,
) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let parsed: Line = serde_json::from_str(&line)
            .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        f(&line, parsed)?;
    }
    Ok(())
}

fn pass1(ndjson: &Path, messages: &Path, records: usize) -> Result<Pass1, String> {
    let tmp = tmp_path(messages);
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut p = Pass1::default();
    let middle = records as u64 / 2;
    read_lines(ndjson, |raw, line| {
        let line_words: HashSet<String> = tokens(raw)
            .into_iter()
            .filter(|t| is_candidate(t))
            .collect();
        for w in line_words {
            *p.line_word_records.entry(w).or_default() += 1;
        }
        let toks = tokens(&line.message);
        let words: HashSet<&str> = toks
            .iter()
            .map(String::as_str)
            .filter(|t| is_candidate(t))
            .collect();
        for w in words {
            *p.word_records.entry(w.to_owned()).or_default() += 1;
        }
        let pairs: HashSet<String> = toks
            .windows(2)
            .filter(|w| w[0] != w[1] && is_candidate(&w[0]) && is_candidate(&w[1]))
            .map(|w| format!("{} {}", w[0], w[1]))
            .collect();
        for pair in pairs {
            *p.pair_records.entry(pair).or_default() += 1;
        }
        if line.log_level == "error" {
            *p.agent_errors.entry(line.agent_id).or_default() += 1;
        }
        if let Some(hour) = line.timestamp.get(..13) {
            *p.hour_records.entry(hour.to_owned()).or_default() += 1;
        }
        if p.trace_id.is_none() && p.records >= middle {
            p.trace_id = line.trace_id;
        }
        p.records += 1;
        let json = serde_json::to_string(&line.message).map_err(|e| e.to_string())?;
        writeln!(out, "{json}").map_err(|e| format!("{}: {e}", tmp.display()))
    })?;
    out.flush().map_err(|e| format!("{}: {e}", tmp.display()))?;
    drop(out);
    std::fs::rename(&tmp, messages).map_err(|e| format!("{}: {e}", messages.display()))?;
    Ok(p)
}

/// A candidate's counts in pass 2.
#[derive(Default, Clone)]
struct Check {
    in_message: u64,
    in_line: u64,
    /// Records whose message contains it, per hour.
    per_hour: HashMap<String, u64>,
}

fn first_n<'a>(mut v: Vec<(&'a String, &'a u64)>, n: usize) -> Vec<(String, u64)> {
    v.truncate(n);
    v.into_iter().map(|(k, c)| (k.clone(), *c)).collect()
}

fn pick(ndjson: &Path, messages: &Path, records: usize) -> Result<Vec<SearchQuery>, String> {
    let p = pass1(ndjson, messages, records)?;
    let rare_min = (records as u64 / 100_000).max(2);
    // words found in other fields of some line cannot agree: leave them out
    let mut by_count: Vec<(&String, &u64)> = p
        .word_records
        .iter()
        .filter(|(w, c)| p.line_word_records.get(*w) == Some(*c))
        .collect();
    by_count.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    let rare = first_n(
        by_count
            .iter()
            .copied()
            .filter(|(_, c)| **c >= rare_min)
            .collect(),
        RARE_CANDIDATES,
    );
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let common = first_n(by_count, COMMON_CANDIDATES);
    let mut pairs: Vec<(&String, &u64)> = p
        .pair_records
        .iter()
        .filter(|(pair, c)| {
            pair.split(' ')
                .all(|w| p.word_records.get(w).is_some_and(|wc| *wc > **c))
        })
        .collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let phrases = first_n(pairs, PHRASE_CANDIDATES);

    // pass 2: check every candidate against substrings of message and line
    let candidates: Vec<String> = rare
        .iter()
        .chain(&common)
        .chain(&phrases)
        .map(|(k, _)| k.clone())
        .collect();
    let mut checks = vec![Check::default(); candidates.len()];
    let trace = p.trace_id.clone().unwrap_or_default();
    let (mut trace_records, mut trace_lines) = (0u64, 0u64);
    let mut lower = String::new();
    read_lines(ndjson, |raw, line| {
        lower.clear();
        lower.push_str(raw);
        lower.make_ascii_lowercase();
        let message = line.message.to_lowercase();
        let hour = line.timestamp.get(..13).unwrap_or_default();
        for (c, check) in candidates.iter().zip(checks.iter_mut()) {
            if lower.contains(c.as_str()) {
                check.in_line += 1;
            }
            if message.contains(c.as_str()) {
                check.in_message += 1;
                *check.per_hour.entry(hour.to_owned()).or_default() += 1;
            }
        }
        if !trace.is_empty() {
            trace_records += u64::from(line.trace_id.as_deref() == Some(trace.as_str()));
            trace_lines += u64::from(raw.contains(trace.as_str()));
        }
        Ok(())
    })?;
    let check_of = |k: &str| {
        candidates
            .iter()
            .position(|c| c == k)
            .map(|i| checks[i].clone())
            .unwrap_or_default()
    };
    // the first candidate whose three counts agree, else the first one
    let choose = |list: &[(String, u64)]| -> Option<(String, u64, bool, Check)> {
        let agreeing = list.iter().find(|(k, c)| {
            let ch = check_of(k);
            ch.in_message == *c && ch.in_line == *c
        });
        let (k, c) = agreeing.or(list.first())?;
        Some((k.clone(), *c, agreeing.is_some(), check_of(k)))
    };
    let none = |what: &str| format!("the corpus has no {what} to search for");

    let mut set = Vec::new();
    let (term, count, agrees, _) = choose(&rare).ok_or_else(|| none("rare word"))?;
    set.push(SearchQuery {
        name: "rare term".into(),
        kind: SearchKind::Term { term },
        corpus_matches: count,
        agrees,
    });
    let (common_term, count, common_agrees, common_check) =
        choose(&common).ok_or_else(|| none("common word"))?;
    set.push(SearchQuery {
        name: "common term".into(),
        kind: SearchKind::Term {
            term: common_term.clone(),
        },
        corpus_matches: count,
        agrees: common_agrees,
    });
    let (phrase, count, agrees, _) = choose(&phrases).ok_or_else(|| none("phrase"))?;
    set.push(SearchQuery {
        name: "phrase".into(),
        kind: SearchKind::Phrase { phrase },
        corpus_matches: count,
        agrees,
    });
    let trace_id = p.trace_id.ok_or_else(|| none("trace id"))?;
    set.push(SearchQuery {
        name: "trace id lookup".into(),
        kind: SearchKind::TraceId { trace_id },
        corpus_matches: trace_records,
        agrees: trace_lines == trace_records,
    });
    let (agent_id, errors) = p
        .agent_errors
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .ok_or_else(|| none("error record"))?;
    set.push(SearchQuery {
        name: "agent's last 100 errors".into(),
        kind: SearchKind::AgentErrors {
            agent_id: agent_id.clone(),
        },
        corpus_matches: *errors,
        agrees: true,
    });
    let (hour, _) = p
        .hour_records
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .ok_or_else(|| none("hour"))?;
    let start_us =
        chrono::NaiveDateTime::parse_from_str(&format!("{hour}:00:00"), "%Y-%m-%dT%H:%M:%S")
            .map_err(|e| format!("hour {hour}: {e}"))?
            .and_utc()
            .timestamp_micros();
    set.push(SearchQuery {
        name: "term within one hour".into(),
        kind: SearchKind::TermInHour {
            term: common_term,
            hour: hour.clone(),
            start_us,
        },
        corpus_matches: common_check.per_hour.get(hour).copied().unwrap_or(0),
        agrees: common_agrees,
    });
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_like_the_index() {
        assert_eq!(
            tokens("Connection refused to 10.2.3.4:5432 (pg_pool)"),
            [
                "connection",
                "refused",
                "to",
                "10",
                "2",
                "3",
                "4",
                "5432",
                "pg",
                "pool"
            ]
        );
        let cases = [
            ("refused", true),
            ("ok", false),
            ("cafe", false), // all hex digits: could be part of an id
            ("x86", false),
            ("timeout", true),
        ];
        for (t, want) in cases {
            assert_eq!(is_candidate(t), want, "{t}");
        }
    }
}

//! Pattern mining throughput of Strata's miner on the corpus's messages.
//!
//! One `TemplateMiner` with the default configuration (as Drain3 gets one
//! `TemplateMiner`), messages in corpus order: learning is `add` of every
//! message into an empty miner, matching is `match_message` of every
//! message against what was learnt. Ingest mines per (workspace, service);
//! here one miner sees all messages, as Drain3 does.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use strata_engine::template::{MinerConfig, TemplateMiner};

/// Throughput samples of the miner.
#[derive(Debug, Clone, Default)]
pub struct MiningTimes {
    pub learn_per_sec: Vec<f64>,
    pub match_per_sec: Vec<f64>,
    pub templates: usize,
}

/// Reads the messages file (one JSON string a line).
pub fn read_messages(path: &Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    BufReader::with_capacity(1 << 20, file)
        .lines()
        .map(|line| {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str(&line).map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// `runs` rounds of learning and matching every message.
pub fn strata(messages: &[String], runs: usize) -> MiningTimes {
    let mut t = MiningTimes::default();
    let n = messages.len() as f64;
    for _ in 0..runs {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        let start = Instant::now();
        for m in messages {
            std::hint::black_box(miner.add(std::hint::black_box(m)));
        }
        t.learn_per_sec
            .push(n / start.elapsed().as_secs_f64().max(1e-9));
        let start = Instant::now();
        let mut matched = 0usize;
        for m in messages {
            matched += usize::from(miner.match_message(std::hint::black_box(m)).is_some());
        }
        std::hint::black_box(matched);
        t.match_per_sec
            .push(n / start.elapsed().as_secs_f64().max(1e-9));
        t.templates = miner.live_templates().count();
    }
    t
}

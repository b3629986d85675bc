//! [`TemplateStore`]: one template miner per (workspace, service), with
//! globally unique template ids, run at ingest and persisted with the
//! manifest.
//!
//! A global id is `(miner number + 1) << 32 | local id`: stable for as long
//! as the store is, because miners are numbered in order of first sight and
//! local ids never change (a generalised template keeps its id; folded ones
//! point to it through [`TemplateStore::canonical`]).
//!
//! Determinism is what makes recovery exact: mining is serialized in WAL
//! order, the store is saved as of a flushed WAL sequence, and replaying the
//! WAL batches after it through [`TemplateStore::replay`] rebuilds the state
//! that assigned their ids.

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::record::StructuredLog;
use crate::schema::col;
use crate::template::{MinerConfig, TemplateMiner};

/// First and last sighting and an example of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateStats {
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub example: String,
}

#[derive(Serialize, Deserialize)]
struct MinerEntry {
    workspace_id: String,
    service: String,
    miner: TemplateMiner,
    stats: BTreeMap<u64, TemplateStats>,
}

/// One row of the `templates` table.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRow {
    pub template_id: i64,
    /// The id rows of this template resolve to after generalisation.
    pub canonical_id: i64,
    pub workspace_id: String,
    pub service: String,
    pub template: String,
    pub count: u64,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub example: String,
}

/// Every miner of a data directory.
#[derive(Serialize, Deserialize)]
pub struct TemplateStore {
    version: u32,
    config: MinerConfig,
    miners: Vec<MinerEntry>,
    #[serde(skip)]
    index: HashMap<(String, String), usize>,
}

/// Format version of the saved store.
const FORMAT_VERSION: u32 = 1;

fn global(miner: usize, local: u64) -> i64 {
    (((miner as u64 + 1) << 32) | (local & 0xffff_ffff)) as i64
}

fn split(id: i64) -> Option<(usize, u64)> {
    let id = id as u64;
    let miner = (id >> 32).checked_sub(1)? as usize;
    Some((miner, id & 0xffff_ffff))
}

impl TemplateStore {
    /// An empty store mining with `config`.
    pub fn new(config: MinerConfig) -> Self {
        TemplateStore {
            version: FORMAT_VERSION,
            config,
            miners: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn miner(&mut self, workspace: &str, service: &str) -> usize {
        let key = (workspace.to_string(), service.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.miners.push(MinerEntry {
            workspace_id: key.0.clone(),
            service: key.1.clone(),
            miner: TemplateMiner::new(self.config.clone()),
            stats: BTreeMap::new(),
        });
        let i = self.miners.len() - 1;
        self.index.insert(key, i);
        i
    }

    fn assign_one(&mut self, workspace: &str, service: &str, message: &str, ts: i64) -> i64 {
        let m = self.miner(workspace, service);
        self.assign_in(m, message, ts)
    }

    fn assign_in(&mut self, m: usize, message: &str, ts: i64) -> i64 {
        let entry = &mut self.miners[m];
        let local = entry.miner.add(message);
        let stats = entry.stats.entry(local).or_insert_with(|| TemplateStats {
            first_seen_us: ts,
            last_seen_us: ts,
            example: message.chars().take(512).collect(),
        });
        stats.first_seen_us = stats.first_seen_us.min(ts);
        stats.last_seen_us = stats.last_seen_us.max(ts);
        global(m, local)
    }

    /// Mines `records` in order; returns each one's template id.
    pub fn assign(&mut self, records: &[StructuredLog]) -> Vec<i64> {
        // consecutive records mostly share a miner: look it up once per run
        let mut last: Option<(&str, &str, usize)> = None;
        records
            .iter()
            .map(|r| {
                let (ws, svc) = (
                    r.context.workspace_id.as_str(),
                    r.service.as_deref().unwrap_or(""),
                );
                let m = match last {
                    Some((w, s, m)) if w == ws && s == svc => m,
                    _ => {
                        let m = self.miner(ws, svc);
                        last = Some((ws, svc, m));
                        m
                    }
                };
                self.assign_in(m, &r.message, r.timestamp_us)
            })
            .collect()
    }

    /// Re-mines a recovered WAL batch; returns how many rows got an id other
    /// than the one stored in the batch (0 unless the store was lost).
    pub fn replay(&mut self, batch: &RecordBatch) -> Result<usize> {
        let column = |name: &str| -> Result<usize> { Ok(batch.schema().index_of(name)?) };
        let ws = batch
            .column(column(col::WORKSPACE_ID)?)
            .as_string::<i32>()
            .clone();
        let service = batch
            .column(column(col::SERVICE)?)
            .as_string::<i32>()
            .clone();
        let message = batch
            .column(column(col::MESSAGE)?)
            .as_string::<i32>()
            .clone();
        let ts = batch
            .column(column(col::TIMESTAMP)?)
            .as_primitive::<TimestampMicrosecondType>()
            .clone();
        let stored = batch
            .column(column(col::TEMPLATE_ID)?)
            .as_primitive::<Int64Type>()
            .clone();
        let mut differ = 0;
        for i in 0..batch.num_rows() {
            let svc = if service.is_valid(i) {
                service.value(i)
            } else {
                ""
            };
            let id = self.assign_one(ws.value(i), svc, message.value(i), ts.value(i));
            if stored.is_null(i) || stored.value(i) != id {
                differ += 1;
            }
        }
        Ok(differ)
    }

    /// The id a row of template `id` resolves to after generalisation.
    pub fn canonical(&self, id: i64) -> i64 {
        match split(id) {
            Some((m, local)) if m < self.miners.len() => {
                global(m, self.miners[m].miner.canonical(local))
            }
            _ => id,
        }
    }

    /// The template (id, text) a message matches in any miner, without
    /// changing state; miners are tried in order of creation.
    pub fn match_message(&self, message: &str) -> Option<(i64, String)> {
        self.miners.iter().enumerate().find_map(|(m, e)| {
            let local = e.miner.match_message(message)?;
            let text = e.miner.template(local)?.text().to_string();
            Some((global(m, local), text))
        })
    }

    /// The template (id, text) a message matches in the miner of
    /// (`workspace`, `service`), without changing state.
    pub fn match_in(&self, workspace: &str, service: &str, message: &str) -> Option<(i64, String)> {
        let m = *self
            .index
            .get(&(workspace.to_string(), service.to_string()))?;
        let e = &self.miners[m];
        let local = e.miner.match_message(message)?;
        Some((
            global(m, local),
            e.miner.template(local)?.text().to_string(),
        ))
    }

    /// Every template, as rows of the `templates` table.
    pub fn rows(&self) -> Vec<TemplateRow> {
        let mut out = Vec::new();
        for (m, e) in self.miners.iter().enumerate() {
            for t in e.miner.templates() {
                let stats = e.stats.get(&t.id());
                out.push(TemplateRow {
                    template_id: global(m, t.id()),
                    canonical_id: global(m, e.miner.canonical(t.id())),
                    workspace_id: e.workspace_id.clone(),
                    service: e.service.clone(),
                    template: t.text().to_string(),
                    count: t.count(),
                    first_seen_us: stats.map_or(0, |s| s.first_seen_us),
                    last_seen_us: stats.map_or(0, |s| s.last_seen_us),
                    example: stats.map_or_else(String::new, |s| s.example.clone()),
                });
            }
        }
        out
    }

    /// Number of templates across miners.
    pub fn len(&self) -> usize {
        self.miners
            .iter()
            .map(|e| e.miner.templates().count())
            .sum()
    }

    /// Whether no template exists yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The saved form.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|source| Error::Manifest {
            path: "template store".into(),
            source,
        })
    }

    /// Loads a saved store.
    pub fn from_json(bytes: &[u8], path: &str) -> Result<Self> {
        let mut s: TemplateStore =
            serde_json::from_slice(bytes).map_err(|source| Error::Manifest {
                path: path.to_string(),
                source,
            })?;
        if s.version != FORMAT_VERSION {
            return Err(Error::Corrupt {
                what: path.to_string(),
                reason: format!(
                    "template store version {} is not {FORMAT_VERSION}",
                    s.version
                ),
            });
        }
        s.index = s
            .miners
            .iter()
            .enumerate()
            .map(|(i, e)| ((e.workspace_id.clone(), e.service.clone()), i))
            .collect();
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::records_to_batch_with_templates;
    use crate::sample::{SampleConfig, generate};

    #[test]
    fn ids_are_global_stable_and_replay_exactly() {
        let records = generate(&SampleConfig::default(), 4000);
        let mut store = TemplateStore::new(MinerConfig::default());
        let first = store.assign(&records[..2000]);
        // save as of 2000, keep mining
        let saved = store.to_json().unwrap();
        let second = store.assign(&records[2000..]);
        // the same message always gets the same template
        let again = store.assign(&records[..50]);
        for (i, id) in again.iter().enumerate() {
            assert_eq!(store.canonical(*id), store.canonical(first[i]), "row {i}");
        }
        // recovery: load the saved store and replay the later batch
        let batch = records_to_batch_with_templates(&records[2000..], Some(&second)).unwrap();
        let mut recovered = TemplateStore::from_json(&saved, "test").unwrap();
        assert_eq!(recovered.replay(&batch).unwrap(), 0);
        // ids differ across (workspace, service)
        let rows = recovered.rows();
        assert!(rows.len() > 10);
        let mut ids: Vec<i64> = rows.iter().map(|r| r.template_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rows.len());
        let services: std::collections::BTreeSet<_> =
            rows.iter().map(|r| (&r.workspace_id, &r.service)).collect();
        assert!(services.len() > 3);
        assert!(
            rows.iter()
                .all(|r| r.first_seen_us <= r.last_seen_us && !r.example.is_empty())
        );
    }
}

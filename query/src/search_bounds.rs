//! How far back (forward) a newest-first (oldest-first) search must look:
//! time bounds found from the full-text indexes before the search proper,
//! so segments and pages past them are pruned before any is decoded.
//!
//! Any bound `t` keeps the answer exact when the run bounded to it still
//! finds `limit` records: every record outside it ranks after every record
//! inside. A bound is therefore only ever an optimization; [`search`]
//! falls back to a looser one, and finally to none, when a bounded run
//! comes up short.
//!
//! [`search`]: crate::search::search

use std::cmp::Reverse;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::TimestampMicrosecondType;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use strata_engine::batch::timestamp_index;
use strata_engine::predicate::{ScanPredicate, TimeRange};
use strata_engine::schema::col as c;
use strata_engine::segment::SegmentMeta;
use strata_engine::text_query::TextQuery;
use strata_engine::{Engine, SegmentScan, Snapshot};

use crate::engine_err;
use crate::search::SearchParams;
use crate::table_provider::LogsTableProvider;

/// Candidates per `limit` in the taken chunks past which the row-level
/// bound pays for its timestamp reads: with fewer, the taken segments hold
/// little more than `limit` candidates and are read nearly whole anyway.
const ROW_BOUND_MIN_CANDIDATES: usize = 4;

/// Where candidates are not all matches (a phrase checked on Parquet), the
/// row bound is taken at this many times `limit` candidates, so the run it
/// bounds still finds `limit` matches when at least that share of the
/// candidates match (else it gives way to the next bound).
const INEXACT_RANK_FACTOR: usize = 2;

/// Segments whose indexes the first step of the pre-pass asks; each
/// further step asks twice as many.
const FIRST_STEP_SEGMENTS: usize = 4;

/// A search narrowed in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Narrowed {
    pub params: SearchParams,
    /// The narrowed window holds every match, so its answer is the search's
    /// even when it has fewer than `limit` records.
    pub complete: bool,
}

/// The narrowed searches [`search`](crate::search::search) tries before
/// `p` itself: `p` bounded in time, tightest first, to the `limit`-th
/// newest (oldest) candidate row (when the newest chunks hold many more
/// candidates than `limit`), then to the span of the fewest chunks
/// (segments or memtable batches) that may hold `limit` matches. Empty when
/// no bound would prune anything.
///
/// Candidates are the rows the indexes select for the query and the
/// agent, so where those are exact (terms, prefixes, raw fields) the first
/// bound is exactly the `limit`-th match's timestamp; where they are not
/// (phrases, checked on Parquet) it is the
/// `INEXACT_RANK_FACTOR × limit`-th candidate's. Segments are asked
/// newest (oldest) first, in growing steps, until they hold `limit`
/// candidates: older ones are never looked at.
///
/// When every index was asked and fewer than `limit` rows are candidates
/// (a trace id, a rare term), the candidates hold every match: the one
/// narrowed search is to the span of the chunks holding them, and it is
/// [complete](Narrowed::complete).
pub async fn time_bounds(ctx: &SessionContext, p: &SearchParams) -> Result<Vec<Narrowed>> {
    let provider = ctx.table_provider("logs").await?;
    let Some(logs) = (provider.as_ref() as &dyn std::any::Any).downcast_ref::<LogsTableProvider>()
    else {
        return Ok(Vec::new());
    };
    let mut pre = PrePass::new(logs.engine(), p)?;
    // The first step also asks the memtable, segments or not.
    // The rank of the candidate the row bound is taken at (once a segment
    // asked is inexact, it stays so).
    let rank = |pre: &PrePass| {
        if pre.exact() {
            p.limit
        } else {
            INEXACT_RANK_FACTOR * p.limit
        }
    };
    pre.ask(FIRST_STEP_SEGMENTS).await?;
    while pre.candidates() < rank(&pre) && pre.asked < pre.order.len() {
        let step = FIRST_STEP_SEGMENTS.max(pre.asked);
        pre.ask(step).await?;
    }
    let rank = rank(&pre);
    let chunks = pre.chunks();
    // The fewest chunks that may hold `limit` matches; every row of them
    // lies at or after (oldest first: at or before) `bound`.
    let (taken, seen) = fewest_holding(&chunks, p.limit);
    let bound = if p.oldest_first {
        chunks[..taken]
            .iter()
            .map(|c| c.hi)
            .max()
            .unwrap_or(i64::MIN)
    } else {
        chunks[..taken]
            .iter()
            .map(|c| c.lo)
            .min()
            .unwrap_or(i64::MAX)
    };
    if seen < p.limit {
        // Every index was asked (the pre-pass stops short of the last only
        // with `limit` candidates), and candidates include every match.
        let (lo, hi) = chunks.iter().fold((i64::MAX, i64::MIN), |(lo, hi), c| {
            (lo.min(c.lo), hi.max(c.hi))
        });
        return Ok(vec![Narrowed {
            params: spanned(p, lo, hi),
            complete: true,
        }]);
    }
    let mut bounds = Vec::new();
    if seen >= ROW_BOUND_MIN_CANDIDATES * p.limit {
        let (n, _) = fewest_holding(&chunks, rank);
        let ranked: Vec<Source> = chunks[..n].iter().map(|c| c.source).collect();
        if let Some(b) = pre.row_bound(&ranked, rank).await?.filter(|&b| b != bound) {
            bounds.push(b);
        }
    }
    if taken < chunks.len() || pre.asked < pre.order.len() {
        bounds.push(bound);
    }
    Ok(bounds
        .into_iter()
        .map(|b| Narrowed {
            params: narrowed(p, b),
            complete: false,
        })
        .collect())
}

/// How many of `chunks`, in order, first hold `n` candidates (all of them
/// when they hold fewer), and the candidates those hold.
fn fewest_holding(chunks: &[Chunk], n: usize) -> (usize, usize) {
    let (mut taken, mut held) = (0, 0);
    for chunk in chunks {
        if held >= n {
            break;
        }
        held += chunk.candidates;
        taken += 1;
    }
    (taken, held)
}

/// `p` limited to records in `lo..=hi` (none when `lo > hi`).
fn spanned(p: &SearchParams, lo: i64, hi: i64) -> SearchParams {
    let mut bounded = p.clone();
    let (start, end) = if lo > hi {
        (0, 0)
    } else {
        (lo, hi.saturating_add(1))
    };
    bounded.start_us = Some(p.start_us.map_or(start, |s| s.max(start)));
    bounded.end_us = Some(p.end_us.map_or(end, |e| e.min(end)));
    bounded
}

/// `p` limited to records at or after `bound` (oldest first: at or before).
fn narrowed(p: &SearchParams, bound: i64) -> SearchParams {
    let mut bounded = p.clone();
    if p.oldest_first {
        let end = bound.saturating_add(1);
        bounded.end_us = Some(p.end_us.map_or(end, |e| e.min(end)));
    } else {
        bounded.start_us = Some(p.start_us.map_or(bound, |s| s.max(bound)));
    }
    bounded
}

/// Where a chunk of candidate rows comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// `PrePass::segments[i]`.
    Segment(usize),
    /// `PrePass::memtable[i]`.
    Memtable(usize),
}

/// A chunk of candidate rows: how many, and their time span.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    source: Source,
    candidates: usize,
    lo: i64,
    hi: i64,
}

/// The indexes' answers gathered so far.
struct PrePass<'a> {
    engine: &'a Engine,
    p: &'a SearchParams,
    predicate: ScanPredicate,
    /// The snapshot's segments, newest (oldest) first.
    order: Vec<Arc<SegmentMeta>>,
    last_seq: u64,
    /// `order[..asked]` have been asked.
    asked: usize,
    /// Their segments that may hold candidates, with the candidates.
    segments: Vec<SegmentScan>,
    /// Memtable rows matching the text predicates.
    memtable: Vec<RecordBatch>,
    /// The memtable rows are not yet filtered.
    pending_memtable: Vec<RecordBatch>,
}

impl<'a> PrePass<'a> {
    fn new(engine: &'a Engine, p: &'a SearchParams) -> Result<Self> {
        // Upper bounds are enough here: reading Parquet to check phrases
        // in every segment would cost more than the bound saves.
        let mut predicate = ScanPredicate {
            time: TimeRange {
                start_us: p.start_us,
                end_us: p.end_us,
            },
            index_only: true,
            ..ScanPredicate::default()
        };
        if !p.query.trim().is_empty() {
            let query = TextQuery::parse(&p.query, c::MESSAGE)
                .map_err(|e| DataFusionError::Plan(format!("search(): {e}")))?;
            predicate.text.push(query);
        }
        for (column, value) in [
            (c::AGENT_ID, &p.agent_id),
            (c::WORKSPACE_ID, &p.workspace_id),
        ] {
            if let Some(v) = value {
                predicate.equals.push((column.to_string(), vec![v.clone()]));
            }
        }
        // The agent is a raw term of the index: its rows are then
        // candidates only where they are the agent's.
        if let Some(agent) = &p.agent_id {
            predicate.text.push(TextQuery::RawEq {
                field: c::AGENT_ID.to_string(),
                value: agent.clone(),
            });
        }
        let snapshot = engine.snapshot().map_err(engine_err)?;
        let mut order = snapshot.segments;
        if p.oldest_first {
            order.sort_by_key(|s| s.min_ts);
        } else {
            order.sort_by_key(|s| Reverse(s.max_ts));
        }
        Ok(PrePass {
            engine,
            p,
            predicate,
            order,
            last_seq: snapshot.last_seq,
            asked: 0,
            segments: Vec::new(),
            memtable: Vec::new(),
            pending_memtable: snapshot.memtable,
        })
    }

    /// Asks the indexes of the next `n` segments (and, the first time, the
    /// memtable).
    async fn ask(&mut self, n: usize) -> Result<()> {
        let end = (self.asked + n).min(self.order.len());
        let part = Snapshot {
            segments: self.order[self.asked..end].to_vec(),
            memtable: std::mem::take(&mut self.pending_memtable),
            last_seq: self.last_seq,
        };
        let plan = self
            .engine
            .plan_scan(part, &self.predicate)
            .await
            .map_err(engine_err)?;
        self.segments.extend(plan.segments);
        self.memtable.extend(plan.memtable);
        self.asked = end;
        Ok(())
    }

    /// Candidates found so far.
    fn candidates(&self) -> usize {
        let segments: usize = self.segments.iter().map(segment_candidates).sum();
        let memtable: usize = self.memtable.iter().map(RecordBatch::num_rows).sum();
        segments + memtable
    }

    /// Whether every candidate found is a match of the text predicates.
    fn exact(&self) -> bool {
        self.segments.iter().all(|s| s.rows_exact)
    }

    /// The chunks found so far, newest (oldest) first.
    fn chunks(&self) -> Vec<Chunk> {
        let mut chunks: Vec<Chunk> = Vec::new();
        for (i, s) in self.segments.iter().enumerate() {
            chunks.push(Chunk {
                source: Source::Segment(i),
                candidates: segment_candidates(s),
                lo: s.meta.min_ts,
                hi: s.meta.max_ts,
            });
        }
        for (i, batch) in self.memtable.iter().enumerate() {
            let ts = batch
                .column(timestamp_index())
                .as_primitive::<TimestampMicrosecondType>();
            if let (Some(lo), Some(hi)) = (arrow::compute::min(ts), arrow::compute::max(ts)) {
                chunks.push(Chunk {
                    source: Source::Memtable(i),
                    candidates: batch.num_rows(),
                    lo,
                    hi,
                });
            }
        }
        if self.p.oldest_first {
            chunks.sort_by_key(|c| c.lo);
        } else {
            chunks.sort_by_key(|c| Reverse(c.hi));
        }
        chunks
    }

    /// Whether a chunk spanning `lo..=hi` may hold rows past `bound`.
    fn reaches(&self, lo: i64, hi: i64, bound: i64) -> bool {
        if self.p.oldest_first {
            lo <= bound
        } else {
            hi >= bound
        }
    }

    /// The timestamp of the `rank`-th newest (oldest) candidate: at least
    /// `rank` candidates lie at or after (before) it. The `taken` chunks
    /// hold `rank` candidates; the other chunks (asked now if need be) are
    /// looked at only where their span reaches past the bound the taken
    /// ones give.
    async fn row_bound(&mut self, taken: &[Source], rank: usize) -> Result<Option<i64>> {
        let mut stamps = self.stamps(taken, rank).await?;
        let Some(bound) = nth_stamp(&mut stamps, rank, self.p.oldest_first) else {
            return Ok(None);
        };
        let unasked = self.order[self.asked..]
            .iter()
            .take_while(|s| self.reaches(s.min_ts, s.max_ts, bound))
            .count();
        if unasked > 0 {
            self.ask(unasked).await?;
        }
        let more: Vec<Source> = self
            .chunks()
            .into_iter()
            .filter(|c| !taken.contains(&c.source) && self.reaches(c.lo, c.hi, bound))
            .map(|c| c.source)
            .collect();
        stamps.extend(self.stamps(&more, rank).await?);
        Ok(nth_stamp(&mut stamps, rank, self.p.oldest_first))
    }

    /// Timestamps of the newest (oldest) `limit` candidates of each chunk
    /// that fall in the searched range. A segment's rows are sorted by
    /// time, so those are its last (first) `limit` candidates: only their
    /// timestamps are read.
    async fn stamps(&self, sources: &[Source], limit: usize) -> Result<Vec<i64>> {
        let oldest_first = self.p.oldest_first;
        let ends = move |n: usize| {
            if oldest_first {
                0..n.min(limit)
            } else {
                n.saturating_sub(limit)..n
            }
        };
        let reads = sources.iter().filter_map(|source| match source {
            Source::Segment(i) => Some(&self.segments[*i]),
            Source::Memtable(_) => None,
        });
        let reads = reads.map(|s| async move {
            let picked: Vec<u32> = match &s.rows {
                Some(rows) => rows[ends(rows.len())].to_vec(),
                None => {
                    let r = ends(s.meta.rows as usize);
                    (r.start as u32..r.end as u32).collect()
                }
            };
            self.engine.row_timestamps(&s.meta, &picked).await
        });
        let mut stamps: Vec<i64> = futures::future::try_join_all(reads)
            .await
            .map_err(engine_err)?
            .concat();
        for source in sources {
            if let Source::Memtable(i) = source {
                let ts = self.memtable[*i].column(timestamp_index());
                stamps.extend(ts.as_primitive::<TimestampMicrosecondType>().values());
            }
        }
        // A chunk that straddles the searched range holds candidates
        // outside it.
        let (start, end) = (self.p.start_us, self.p.end_us);
        stamps.retain(|&t| start.is_none_or(|s| t >= s) && end.is_none_or(|e| t < e));
        Ok(stamps)
    }
}

/// Candidate rows of a planned segment.
fn segment_candidates(s: &SegmentScan) -> usize {
    s.rows.as_ref().map_or(s.meta.rows as usize, Vec::len)
}

/// The `rank`-th newest (oldest) of `stamps`, if there are that many.
fn nth_stamp(stamps: &mut [i64], rank: usize, oldest_first: bool) -> Option<i64> {
    let n = rank.checked_sub(1).filter(|&n| n < stamps.len())?;
    Some(if oldest_first {
        *stamps.select_nth_unstable(n).1
    } else {
        *stamps.select_nth_unstable_by(n, |a, b| b.cmp(a)).1
    })
}

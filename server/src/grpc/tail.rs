//! `Tail`: live records matching a filter.
//!
//! The subscription is taken before the replay snapshot, and live batches
//! the snapshot already holds (by WAL sequence) are skipped, so a record is
//! delivered once. A client that cannot keep up (its buffer fills, or the
//! engine's broadcast overtakes it) is dropped with RESOURCE_EXHAUSTED
//! rather than slowing ingest.

use std::sync::{Arc, Mutex};

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use strata_engine::Engine;
use strata_engine::schema::col;
use strata_engine::text_query::TextQuery;
use strata_proto::v1::LogRecord;
use strata_query::datafusion::prelude::SessionContext;
use strata_query::search::{MAX_LIMIT, SearchParams, search_plan};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tonic::Status;

use super::convert::batch_to_proto;
use super::log_service::channel_stream;
use super::status::{engine_status, query_status};

/// What a tail follows.
#[derive(Debug, Clone)]
pub struct TailFilter {
    pub query: Option<TextQuery>,
    pub raw_query: String,
    pub agent_id: Option<String>,
    pub workspace_id: Option<String>,
    pub start_us: Option<i64>,
}

impl TailFilter {
    fn select(&self, batch: &RecordBatch) -> Result<RecordBatch, Status> {
        let internal = |e: arrow::error::ArrowError| Status::internal(e.to_string());
        let mut mask: Vec<bool> = vec![true; batch.num_rows()];
        let mut and = |m: &BooleanArray| {
            for (i, v) in m.iter().enumerate() {
                mask[i] &= v.unwrap_or(false);
            }
        };
        if let Some(q) = &self.query {
            and(&q.evaluate(batch).map_err(internal)?);
        }
        for (column, want) in [
            (col::AGENT_ID, &self.agent_id),
            (col::WORKSPACE_ID, &self.workspace_id),
        ] {
            if let Some(want) = want {
                let idx = batch.schema().index_of(column).map_err(internal)?;
                let values = batch.column(idx).as_string::<i32>();
                and(&values
                    .iter()
                    .map(|v| Some(v == Some(want.as_str())))
                    .collect());
            }
        }
        arrow::compute::filter_record_batch(batch, &BooleanArray::from(mask)).map_err(internal)
    }
}

type Out = mpsc::Sender<Result<LogRecord, Status>>;

/// Starts following; the returned stream ends only with an error.
pub async fn tail_stream(
    engine: Engine,
    ctx: SessionContext,
    filter: TailFilter,
    buffer: usize,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> Result<std::pin::Pin<Box<dyn futures::Stream<Item = Result<LogRecord, Status>> + Send>>, Status>
{
    let (snapshot, mut live) = engine
        .snapshot_and_subscribe()
        .map_err(|e| engine_status(&e))?;
    let mut last_seq = snapshot.last_seq;
    let mut replay = Vec::new();
    if let Some(start) = filter.start_us {
        // The replay plan takes its own snapshot, after the subscription;
        // skip live batches it holds.
        let p = SearchParams {
            query: filter.raw_query.clone(),
            agent_id: filter.agent_id.clone(),
            workspace_id: filter.workspace_id.clone(),
            start_us: Some(start),
            end_us: None,
            limit: MAX_LIMIT,
            oldest_first: true,
        };
        let plan = search_plan(&ctx, &p).await.map_err(|e| query_status(&e))?;
        if let Some(seq) = strata_query::search::snapshot_seq(&plan) {
            last_seq = last_seq.max(seq);
        }
        replay = strata_query::datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .map_err(|e| query_status(&e))?;
    }
    let (tx, rx) = mpsc::channel(buffer.max(1));
    let error = Arc::new(Mutex::new(None));
    let err_slot = error.clone();
    tokio::spawn(async move {
        let fail = |status: Status, tx: Out| {
            if let Ok(mut e) = err_slot.lock() {
                *e = Some(status);
            }
            drop(tx);
        };
        let too_slow = || {
            Status::resource_exhausted(
                "tail client too slow: it fell behind the live stream and was dropped; reconnect",
            )
        };
        for batch in &replay {
            for r in batch_to_proto(batch) {
                if tx.try_send(Ok(r)).is_err() {
                    return fail(too_slow(), tx);
                }
            }
        }
        loop {
            let received = tokio::select! {
                r = live.recv() => r,
                _ = stopping.wait_for(|s| *s) => Err(RecvError::Closed),
            };
            let committed = match received {
                Ok(c) => c,
                Err(RecvError::Lagged(_)) => return fail(too_slow(), tx),
                Err(RecvError::Closed) => {
                    return fail(Status::unavailable("server is shutting down"), tx);
                }
            };
            if committed.seq <= last_seq {
                continue;
            }
            let selected = match filter.select(&committed.batch) {
                Ok(b) => b,
                Err(status) => return fail(status, tx),
            };
            for r in batch_to_proto(&selected) {
                match tx.try_send(Ok(r)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => return fail(too_slow(), tx),
                    Err(mpsc::error::TrySendError::Closed(_)) => return, // client left
                }
            }
        }
    });
    Ok(channel_stream(rx, error))
}

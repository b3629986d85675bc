//! `strata.v1.LogService`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use strata_engine::text_query::TextQuery;
use strata_engine::{Engine, Error as EngineError, Rejection, StructuredLog, ndjson};
use strata_proto::v1::log_service_server::LogService;
use strata_proto::v1::{
    IngestRequest, IngestResponse, LogRecord, SearchRequest, SearchResponse, SqlRequest,
    SqlResponse, TailRequest, ingest_request,
};
use strata_query::datafusion::prelude::SessionContext;
use strata_query::search::{DEFAULT_LIMIT, MAX_LIMIT, SearchParams, search};
use tokio::sync::{Semaphore, mpsc};
use tonic::{Request, Response, Status, Streaming};

use super::convert::{batch_to_proto, record_from_proto};
use super::sql::sql_stream;
use super::status::{engine_status, query_status};
use super::tail::tail_stream;

/// How long an ingest call waits for a flush to make room before it is
/// refused as overloaded.
pub const OVERLOADED_WAIT: Duration = Duration::from_secs(10);

/// Limits of the service.
#[derive(Debug, Clone)]
pub struct ServiceLimits {
    /// Ingest calls served at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_concurrent_ingests: usize,
    /// Records buffered per Tail client before it is dropped as too slow.
    pub tail_buffer_records: usize,
    /// Largest record accepted, in bytes.
    pub max_record_bytes: usize,
}

/// The service: an engine, a query session over it, and limits.
pub struct LogServiceImpl {
    engine: Engine,
    ctx: SessionContext,
    limits: ServiceLimits,
    ingest_permits: Arc<Semaphore>,
    stopping: tokio::sync::watch::Receiver<bool>,
}

impl LogServiceImpl {
    /// `stopping` turns true when the server starts shutting down; live
    /// tails then end with UNAVAILABLE.
    pub fn new(
        engine: Engine,
        ctx: SessionContext,
        limits: ServiceLimits,
        stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(limits.max_concurrent_ingests));
        LogServiceImpl {
            engine,
            ctx,
            limits,
            ingest_permits: permits,
            stopping,
        }
    }

    /// Decodes one request into valid records and rejections (indexes
    /// offset by `base`).
    fn decode(
        &self,
        req: IngestRequest,
        base: u64,
    ) -> Result<(Vec<StructuredLog>, Vec<Rejection>), Status> {
        let mut rejections = Vec::new();
        let records = match req.payload {
            None => {
                return Err(Status::invalid_argument(
                    "IngestRequest needs either `records` or `ndjson`",
                ));
            }
            Some(ingest_request::Payload::Ndjson(bytes)) => {
                let d = ndjson::decode_batch(&bytes, self.limits.max_record_bytes);
                rejections = d.rejections;
                d.records
            }
            Some(ingest_request::Payload::Records(list)) => {
                let mut out = Vec::with_capacity(list.records.len());
                for (index, r) in list.records.into_iter().enumerate() {
                    let size = prost::Message::encoded_len(&r);
                    if size > self.limits.max_record_bytes {
                        rejections.push(Rejection {
                            index,
                            reason: format!(
                                "record is {size} bytes, over the limit of {} bytes",
                                self.limits.max_record_bytes
                            ),
                        });
                        continue;
                    }
                    match record_from_proto(r) {
                        Ok(rec) => out.push(rec),
                        Err(reason) => rejections.push(Rejection { index, reason }),
                    }
                }
                out
            }
        };
        for r in &mut rejections {
            r.index += base as usize;
        }
        Ok((records, rejections))
    }

    /// Stores `records`. While too much data awaits flushing, the call is
    /// held until a flush makes room (for up to [`OVERLOADED_WAIT`]) rather
    /// than refused at once: a client then sees backpressure as latency, not
    /// as RESOURCE_EXHAUSTED and a backoff that leaves the server idle.
    async fn store(&self, records: &[StructuredLog]) -> Result<u64, Status> {
        let deadline = tokio::time::Instant::now() + OVERLOADED_WAIT;
        loop {
            match self.engine.ingest(records).await {
                Ok(outcome) => return Ok(outcome.accepted as u64),
                Err(EngineError::Overloaded(_)) if tokio::time::Instant::now() < deadline => {
                    // an error here (shutdown) is the next ingest's answer
                    let _ = tokio::time::timeout_at(deadline, self.engine.wait_for_room()).await;
                }
                Err(e) => return Err(engine_status(&e)),
            }
        }
    }

    fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Status> {
        self.ingest_permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                Status::resource_exhausted(format!(
                    "more than {} ingest calls in flight; retry with backoff",
                    self.limits.max_concurrent_ingests
                ))
            })
    }
}

fn to_response(accepted: u64, rejected: Vec<Rejection>) -> IngestResponse {
    IngestResponse {
        accepted,
        rejected: rejected
            .into_iter()
            .map(|r| strata_proto::v1::Rejection {
                index: r.index as u64,
                reason: r.reason,
            })
            .collect(),
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl LogService for LogServiceImpl {
    async fn ingest(
        &self,
        request: Request<IngestRequest>,
    ) -> Result<Response<IngestResponse>, Status> {
        let _permit = self.permit()?;
        let (records, rejected) = self.decode(request.into_inner(), 0)?;
        let accepted = self.store(&records).await?;
        Ok(Response::new(to_response(accepted, rejected)))
    }

    async fn ingest_stream(
        &self,
        request: Request<Streaming<IngestRequest>>,
    ) -> Result<Response<IngestResponse>, Status> {
        let _permit = self.permit()?;
        let mut stream = request.into_inner();
        let (mut accepted, mut rejected, mut base) = (0u64, Vec::new(), 0u64);
        while let Some(msg) = stream.next().await {
            let msg = msg?;
            let count = match &msg.payload {
                Some(ingest_request::Payload::Records(r)) => r.records.len() as u64,
                Some(ingest_request::Payload::Ndjson(b)) => {
                    b.split(|&c| c == b'\n').count() as u64 - u64::from(b.ends_with(b"\n"))
                }
                None => 0,
            };
            let (records, rejections) = self.decode(msg, base)?;
            base += count;
            accepted += self.store(&records).await?;
            rejected.extend(rejections);
        }
        Ok(Response::new(to_response(accepted, rejected)))
    }

    async fn search(
        &self,
        request: Request<SearchRequest>,
    ) -> Result<Response<SearchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let limit = match r.limit {
            None => DEFAULT_LIMIT,
            Some(0) => return Err(Status::invalid_argument("limit must be at least 1")),
            Some(n) => (n as usize).min(MAX_LIMIT),
        };
        let mut p = SearchParams {
            query: r.query,
            agent_id: r.agent_id,
            workspace_id: r.workspace_id,
            start_us: r.start_us,
            end_us: r.end_us,
            limit,
            oldest_first: r.order == strata_proto::v1::Order::OldestFirst as i32,
        };
        if let Some(tf) = &r.timeframe {
            if p.start_us.is_some() || p.end_us.is_some() {
                return Err(Status::invalid_argument(
                    "timeframe and start_us/end_us are exclusive",
                ));
            }
            let span = crate::grpc::parse_duration(tf).map_err(Status::invalid_argument)?;
            p.start_us = Some(chrono::Utc::now().timestamp_micros() - span);
        }
        let result = search(&self.ctx, &p).await.map_err(|e| query_status(&e))?;
        let records: Vec<LogRecord> = result.batches.iter().flat_map(batch_to_proto).collect();
        let s = result.stats;
        Ok(Response::new(SearchResponse {
            records,
            took_ms: start.elapsed().as_secs_f64() * 1000.0,
            segments_pruned: (s.segments_pruned_by_stats
                + s.segments_pruned_by_index
                + s.segments_pruned_by_bloom) as u64,
            segments_scanned: s.segments_scanned as u64,
            rows_matched: s.index_rows_selected + s.memtable_rows,
        }))
    }

    type SqlStream = BoxStream<SqlResponse>;

    async fn sql(&self, request: Request<SqlRequest>) -> Result<Response<Self::SqlStream>, Status> {
        let stream = sql_stream(&self.ctx, &request.into_inner().sql).await?;
        Ok(Response::new(stream))
    }

    type TailStream = BoxStream<LogRecord>;

    async fn tail(
        &self,
        request: Request<TailRequest>,
    ) -> Result<Response<Self::TailStream>, Status> {
        let r = request.into_inner();
        let query = if r.query.trim().is_empty() {
            None
        } else {
            Some(
                TextQuery::parse(&r.query, strata_engine::schema::col::MESSAGE)
                    .map_err(|e| Status::invalid_argument(format!("query: {e}")))?,
            )
        };
        let stream = tail_stream(
            self.engine.clone(),
            self.ctx.clone(),
            super::tail::TailFilter {
                query,
                agent_id: r.agent_id,
                workspace_id: r.workspace_id,
                start_us: r.start_us,
                raw_query: r.query,
            },
            self.limits.tail_buffer_records,
            self.stopping.clone(),
        )
        .await?;
        Ok(Response::new(stream))
    }
}

/// A stream of a channel's items that ends with `error` (if one is set)
/// as soon as it is set, without draining what is buffered.
pub(crate) fn channel_stream<T: Send + 'static>(
    mut rx: mpsc::Receiver<Result<T, Status>>,
    error: Arc<Mutex<Option<Status>>>,
) -> BoxStream<T> {
    let mut done = false;
    Box::pin(futures::stream::poll_fn(move |cx| {
        if done {
            return Poll::Ready(None);
        }
        if let Some(status) = error.lock().ok().and_then(|mut e| e.take()) {
            done = true;
            return Poll::Ready(Some(Err(status)));
        }
        rx.poll_recv(cx)
    }))
}

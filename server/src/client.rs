//! The CLI's client of a running server (`--server URL`).

use std::io::Cursor;

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use futures::StreamExt;
use strata_engine::StructuredLog;
use strata_proto::v1::log_service_client::LogServiceClient;
use strata_proto::v1::{
    IngestRequest, IngestResponse, LogRecord, SearchRequest, SearchResponse, SqlRequest,
    TailRequest, ingest_request,
};
use tonic::transport::Channel;

use crate::error::{Error, Result};
use crate::grpc::record_from_proto;

/// Default server URL of the CLI.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

/// A connected client.
pub struct Client {
    inner: LogServiceClient<Channel>,
}

impl Client {
    /// Connects to `url` (e.g. `http://127.0.0.1:50051`).
    pub async fn connect(url: &str) -> Result<Client> {
        let inner = LogServiceClient::connect(url.to_string())
            .await
            .map_err(|source| Error::Connect {
                url: url.to_string(),
                source,
            })?
            .max_decoding_message_size(usize::MAX);
        Ok(Client { inner })
    }

    /// Sends raw NDJSON; returns once the accepted records are durable.
    pub async fn ingest_ndjson(&mut self, ndjson: Vec<u8>) -> Result<IngestResponse> {
        let req = IngestRequest {
            payload: Some(ingest_request::Payload::Ndjson(ndjson)),
        };
        Ok(self.inner.ingest(req).await?.into_inner())
    }

    /// Runs a search.
    pub async fn search(&mut self, req: SearchRequest) -> Result<SearchResponse> {
        Ok(self.inner.search(req).await?.into_inner())
    }

    /// Runs one SQL statement and decodes the Arrow IPC stream.
    pub async fn sql(&mut self, sql: &str) -> Result<Vec<RecordBatch>> {
        let mut stream = self
            .inner
            .sql(SqlRequest {
                sql: sql.to_string(),
            })
            .await?
            .into_inner();
        let mut ipc = Vec::new();
        while let Some(msg) = stream.next().await {
            ipc.extend(msg?.arrow_ipc);
        }
        let reader = StreamReader::try_new(Cursor::new(ipc), None)?;
        Ok(reader.collect::<Result<Vec<_>, _>>()?)
    }

    /// Follows live records; calls `each` per record until the stream ends.
    pub async fn tail(
        &mut self,
        req: TailRequest,
        mut each: impl FnMut(LogRecord) -> Result<()>,
    ) -> Result<()> {
        let mut stream = self.inner.tail(req).await?.into_inner();
        while let Some(r) = stream.next().await {
            each(r?)?;
        }
        Ok(())
    }
}

/// Records of a response as engine records (for printing).
pub fn to_records(records: Vec<LogRecord>) -> Vec<StructuredLog> {
    records
        .into_iter()
        .filter_map(|r| record_from_proto(r).ok())
        .collect()
}

//! `Sql`: one statement, streamed back as Arrow IPC.

use std::sync::{Arc, Mutex};

use arrow::ipc::writer::StreamWriter;
use futures::StreamExt;
use strata_proto::v1::SqlResponse;
use strata_query::datafusion::execution::SendableRecordBatchStream;
use strata_query::datafusion::prelude::{SQLOptions, SessionContext};
use strata_query::table_schema::{cast_to, without_views};
use tokio::sync::mpsc;
use tonic::Status;

use super::log_service::channel_stream;
use super::status::query_status;

/// Result batches buffered ahead of a slow reader.
const SQL_CHANNEL_MESSAGES: usize = 4;

/// Plans `sql` (read-only: no DDL, DML or statements) and streams its
/// result: the schema, then one message per batch; the end-of-stream marker
/// is in the last message.
pub async fn sql_stream(
    ctx: &SessionContext,
    sql: &str,
) -> Result<
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<SqlResponse, Status>> + Send>>,
    Status,
> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let df = ctx
        .sql_with_options(sql, options)
        .await
        .map_err(|e| query_status(&e))?;
    let batches = df.execute_stream().await.map_err(|e| query_status(&e))?;
    let (tx, rx) = mpsc::channel(SQL_CHANNEL_MESSAGES);
    let error = Arc::new(Mutex::new(None));
    tokio::spawn(pump(batches, tx));
    Ok(channel_stream(rx, error))
}

fn drain(w: &mut StreamWriter<Vec<u8>>) -> Vec<u8> {
    std::mem::take(w.get_mut())
}

async fn pump(
    mut batches: SendableRecordBatchStream,
    tx: mpsc::Sender<Result<SqlResponse, Status>>,
) {
    // Strings go out as Utf8, which every Arrow reader knows.
    let schema = without_views(&batches.schema());
    let mut writer = match StreamWriter::try_new(Vec::new(), &schema) {
        Ok(w) => w,
        Err(e) => {
            let _ = tx.send(Err(Status::internal(e.to_string()))).await;
            return;
        }
    };
    let mut pending = drain(&mut writer);
    while let Some(next) = batches.next().await {
        let batch = match next.and_then(|b| cast_to(&b, &schema)) {
            Ok(b) => b,
            Err(e) => {
                let _ = tx.send(Err(query_status(&e))).await;
                return;
            }
        };
        if let Err(e) = writer.write(&batch) {
            let _ = tx.send(Err(Status::internal(e.to_string()))).await;
            return;
        }
        let msg = SqlResponse {
            arrow_ipc: std::mem::replace(&mut pending, drain(&mut writer)),
        };
        if tx.send(Ok(msg)).await.is_err() {
            return; // client went away
        }
    }
    if let Err(e) = writer.finish() {
        let _ = tx.send(Err(Status::internal(e.to_string()))).await;
        return;
    }
    pending.extend(drain(&mut writer));
    let _ = tx.send(Ok(SqlResponse { arrow_ipc: pending })).await;
}

//! The gRPC server: `strata.v1.LogService`, `strata.v1.AnalyticsService`,
//! `grpc.health.v1.Health` and server reflection, on one listener.

mod analytics;
mod convert;
mod log_service;
mod sql;
mod status;
mod tail;

use std::future::Future;

use strata_engine::Engine;
use strata_proto::v1::analytics_service_server::AnalyticsServiceServer;
use strata_proto::v1::log_service_server::LogServiceServer;
use strata_query::{QueryConfig, session};
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

pub use analytics::AnalyticsServiceImpl;
pub use convert::{batch_to_proto, record_from_proto, record_to_proto};
pub use log_service::{LogServiceImpl, ServiceLimits};
pub use status::{engine_status, query_status};

use crate::config::ServerConfig;
use crate::error::{Error, Result};

/// Parses "30s", "15m", "1h", "7d", "2w" into microseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("duration {text:?}: expected e.g. 15m, 1h, 7d"))?;
    let unit_us: i64 = match unit {
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        "w" => 7 * 86_400_000_000,
        _ => return Err(format!("duration {text:?}: unit must be s, m, h, d or w")),
    };
    n.checked_mul(unit_us)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("duration {text:?} is out of range"))
}

/// Serves the API on `listener` until `shutdown` resolves; then stops
/// accepting, finishes in-flight calls, and returns. The caller closes
/// (flushes) the engine afterwards.
pub async fn serve(
    engine: Engine,
    cfg: &ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let ctx = session(&engine, &QueryConfig::default())?;
    let limits = ServiceLimits {
        max_concurrent_ingests: cfg.max_concurrent_ingests,
        tail_buffer_records: cfg.tail_buffer_records,
        max_record_bytes: cfg.engine.max_record_bytes,
    };
    // Tail streams never end on their own: tell them when shutdown starts so
    // the graceful stop does not wait for them.
    let (stopping_tx, stopping) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = stopping_tx.send(true);
    };
    let analytics =
        AnalyticsServiceServer::new(AnalyticsServiceImpl::new(engine.clone(), ctx.clone()));
    let service = LogServiceServer::new(LogServiceImpl::new(engine, ctx, limits, stopping))
        .max_decoding_message_size(cfg.max_request_bytes)
        .max_encoding_message_size(usize::MAX);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<LogServiceServer<LogServiceImpl>>()
        .await;
    health_reporter
        .set_serving::<AnalyticsServiceServer<AnalyticsServiceImpl>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(strata_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| Error::Usage(format!("reflection service: {e}")))?;
    Server::builder()
        .add_service(health)
        .add_service(reflection)
        .add_service(service)
        .add_service(analytics)
        // TCP_NODELAY: without it a response larger than one segment waits
        // for the client's delayed ACK (about 40 ms) under Nagle's algorithm.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases = [
            ("30s", 30_000_000),
            ("15m", 900_000_000),
            ("1h", 3_600_000_000),
            ("7d", 604_800_000_000),
        ];
        for (t, us) in cases {
            assert_eq!(parse_duration(t).unwrap(), us, "{t}");
        }
        for bad in ["", "h", "5x", "-1h", "0m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}

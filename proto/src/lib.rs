//! # strata-proto
//!
//! The `strata.v1` protobuf API of Strata and its generated prost/tonic
//! code. The `.proto` files live in `proto/strata/v1/` and are compiled with
//! protox, so building needs no system `protoc`.
//!
//! - `logs.proto`: `LogRecord` (the StructuredLog, with `Context`,
//!   `Metrics`, `ErrorInfo`, `attributes` as `google.protobuf.Struct`).
//! - `service.proto`: `LogService` (Ingest, IngestStream, Search, Sql, Tail).

/// `strata.v1`: log records and services.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("strata.v1");
}

/// The encoded `FileDescriptorSet` of every `strata.v1` file and its
/// imports, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/strata_descriptor.bin"));

//! Errors to gRPC status codes, in one place.

use strata_query::datafusion::error::DataFusionError;
use tonic::{Code, Status};

/// The status of an engine error: bad input is `INVALID_ARGUMENT`, overload
/// `RESOURCE_EXHAUSTED`, shutdown `UNAVAILABLE`, the rest `INTERNAL`.
pub fn engine_status(e: &strata_engine::Error) -> Status {
    use strata_engine::Error as E;
    let code = match e {
        E::Query(_) | E::Config(_) => Code::InvalidArgument,
        E::Overloaded(_) => Code::ResourceExhausted,
        E::Shutdown => Code::Unavailable,
        E::Locked { .. } => Code::FailedPrecondition,
        E::Io { .. }
        | E::Wal(_)
        | E::ObjectStore { .. }
        | E::Arrow(_)
        | E::Parquet { .. }
        | E::Index { .. }
        | E::Corrupt { .. }
        | E::Manifest { .. } => Code::Internal,
        _ => Code::Internal,
    };
    Status::new(code, e.to_string())
}

/// The status of a query error: planning and SQL errors are the caller's
/// (`INVALID_ARGUMENT`), resource limits `RESOURCE_EXHAUSTED`, the rest
/// `INTERNAL`.
pub fn query_status(e: &DataFusionError) -> Status {
    match e {
        DataFusionError::External(inner) => {
            if let Some(engine) = inner.downcast_ref::<strata_engine::Error>() {
                return engine_status(engine);
            }
            Status::internal(e.to_string())
        }
        DataFusionError::Context(_, inner) => query_status(inner),
        DataFusionError::Shared(inner) => query_status(inner),
        DataFusionError::Diagnostic(_, inner) => query_status(inner),
        DataFusionError::Collection(errors) => match errors.first() {
            Some(first) => query_status(first),
            None => Status::internal(e.to_string()),
        },
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::NotImplemented(_)
        | DataFusionError::Configuration(_) => Status::invalid_argument(e.to_string()),
        DataFusionError::ResourcesExhausted(_) => Status::resource_exhausted(e.to_string()),
        _ => Status::internal(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let cases = [
            (
                engine_status(&strata_engine::Error::Overloaded("x".into())).code(),
                Code::ResourceExhausted,
            ),
            (
                engine_status(&strata_engine::Error::Shutdown).code(),
                Code::Unavailable,
            ),
            (
                query_status(&DataFusionError::Plan("bad".into())).code(),
                Code::InvalidArgument,
            ),
            (
                query_status(&DataFusionError::External(Box::new(
                    strata_engine::Error::Overloaded("x".into()),
                )))
                .code(),
                Code::ResourceExhausted,
            ),
            (
                query_status(&DataFusionError::Internal("bug".into())).code(),
                Code::Internal,
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}

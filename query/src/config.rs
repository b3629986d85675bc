//! Query configuration.

use datafusion::error::{DataFusionError, Result};

/// Default rows per record batch.
pub const DEFAULT_BATCH_SIZE: usize = 8192;

/// Configuration of a query session.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryConfig {
    /// Rows per record batch.
    pub batch_size: usize,
    /// Parallelism of scans; `None` uses the number of cores.
    pub target_partitions: Option<usize>,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            batch_size: DEFAULT_BATCH_SIZE,
            target_partitions: None,
        }
    }
}

impl QueryConfig {
    /// Checks every field; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(DataFusionError::Configuration(
                "batch_size must be at least 1".into(),
            ));
        }
        if self.target_partitions == Some(0) {
            return Err(DataFusionError::Configuration(
                "target_partitions must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

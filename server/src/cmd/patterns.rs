//! `strata patterns`: the top templates of a time range.

use std::process::ExitCode;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use strata_engine::patterns::message_patterns;
use strata_query::format::{OutputFormat, write_batches};
use strata_query::patterns::{PatternScope, load, template_texts};
use strata_query::{QueryConfig, session};
use strata_server::config::ServerConfig;
use strata_server::error::Result;

use super::open_engine;
use super::search::parse_duration;

pub async fn run(
    cfg: ServerConfig,
    since: Option<String>,
    service: Option<String>,
    workspace: Option<String>,
    limit: usize,
) -> Result<ExitCode> {
    let start_us = match &since {
        Some(s) => Some(chrono::Utc::now().timestamp_micros() - parse_duration(s)?),
        None => None,
    };
    let engine = open_engine(&cfg).await?;
    let result = async {
        let ctx = session(&engine, &QueryConfig::default())?;
        let scope = PatternScope {
            start_us,
            service,
            workspace_id: workspace,
            ..PatternScope::default()
        };
        let loaded = load(&ctx, &engine, &scope).await?;
        let rows = loaded.rows();
        let texts = template_texts(&engine)?;
        let ps = message_patterns(&rows, 0.0, limit);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(
                ps.iter().map(|p| p.count as i64),
            )),
            Arc::new(Float64Array::from_iter_values(
                ps.iter().map(|p| (p.frequency * 10_000.0).round() / 100.0),
            )),
            Arc::new(StringArray::from_iter(
                ps.iter().map(|p| p.severity.map(|s| s.as_str())),
            )),
            Arc::new(StringArray::from_iter_values(ps.iter().map(|p| {
                texts
                    .get(&(p.template_id as i64))
                    .cloned()
                    .unwrap_or_default()
            }))),
        ];
        let schema = arrow::datatypes::Schema::new(vec![
            arrow::datatypes::Field::new("count", arrow::datatypes::DataType::Int64, false),
            arrow::datatypes::Field::new("percent", arrow::datatypes::DataType::Float64, false),
            arrow::datatypes::Field::new("severity", arrow::datatypes::DataType::Utf8, true),
            arrow::datatypes::Field::new("template", arrow::datatypes::DataType::Utf8, false),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema), columns)?;
        write_batches(&mut std::io::stdout().lock(), &[batch], OutputFormat::Table)?;
        println!("{} record(s) analysed", rows.len());
        Ok::<_, strata_server::error::Error>(())
    }
    .await;
    engine.close().await?;
    result.map(|()| ExitCode::SUCCESS)
}

//! Searches through the `logs` table over flushed segments (warm): a
//! trace-id lookup (a few rows selected by the index, read through the
//! page index), and the newest 100 of a common term and of a phrase (a
//! search bounded to its newest matches, rows narrowed to the bound before
//! they are decoded or checked). Each next to the same search with its
//! plan made by DataFusion's optimizers (`search_frame`), what `search()`
//! ran before it built its plan directly (`search_plan`).

use arrow::array::RecordBatch;
use criterion::{Criterion, criterion_group, criterion_main};
use strata_query::datafusion::error::Result;
use strata_query::datafusion::prelude::SessionContext;
use strata_query::search::{SearchParams, search, search_frame, time_bounds};
use strata_query::{QueryConfig, session};

/// Records over three hours, in one workspace: three hourly segments of
/// ~67k rows (two row groups each).
const ROWS: usize = 200_000;

fn searches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_dir, engine, records) = strata_benches::three_hour_engine(&rt, ROWS);
    let ctx = session(&engine, &QueryConfig::default()).expect("session");
    let trace = records[ROWS / 2].trace_id.clone().expect("traced record");
    let queries = [
        ("trace_id_lookup", format!("trace_id:{trace}")),
        ("common_term_newest_100", "with".to_string()),
        ("phrase_newest_100", "\"prompt tokens\"".to_string()),
    ];
    let mut group = c.benchmark_group("search_200k");
    for (name, query) in &queries {
        let params = SearchParams {
            query: query.clone(),
            limit: 100,
            ..SearchParams::default()
        };
        let found = rt.block_on(search(&ctx, &params)).expect("search");
        assert!(
            found.batches.iter().map(|b| b.num_rows()).sum::<usize>() > 0,
            "{name} finds records"
        );
        group.bench_function(*name, |b| {
            b.iter(|| rt.block_on(search(&ctx, &params)).expect("search"));
        });
        group.bench_function(format!("{name}/optimizer_planned"), |b| {
            b.iter(|| {
                rt.block_on(optimizer_planned(&ctx, &params))
                    .expect("search")
            });
        });
    }
    group.finish();
    rt.block_on(engine.close()).expect("close");
}

/// `search()` with each run's plan made by DataFusion's optimizers; rows found.
async fn optimizer_planned(ctx: &SessionContext, p: &SearchParams) -> Result<usize> {
    let rows = |batches: Vec<RecordBatch>| batches.iter().map(RecordBatch::num_rows).sum();
    for bounded in time_bounds(ctx, p).await? {
        let found: usize = rows(search_frame(ctx, &bounded.params).await?.collect().await?);
        if found >= p.limit || bounded.complete {
            return Ok(found);
        }
    }
    Ok(rows(search_frame(ctx, p).await?.collect().await?))
}

criterion_group!(benches, searches);
criterion_main!(benches);

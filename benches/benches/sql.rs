//! Aggregates grouped by one text key through the `logs` table over flushed
//! segments (warm): `count(*)` and the exact p99 of `duration_ms` by
//! `service`. Each in Strata's session (its `percentile_cont`, partial
//! aggregates by one text key grouped by number) next to a session over
//! the same table with DataFusion's own (`datafusion_builtin`).

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use strata_query::datafusion::execution::object_store::ObjectStoreUrl;
use strata_query::datafusion::prelude::{SessionConfig, SessionContext};
use strata_query::{HOT_STORE_URL, LogsTableProvider, QueryConfig, session};

/// Records over three hours, in one workspace: three hourly segments.
const ROWS: usize = 200_000;

fn aggregates(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_dir, engine, _records) = strata_benches::three_hour_engine(&rt, ROWS);
    let strata = session(&engine, &QueryConfig::default()).expect("session");
    let builtin = SessionContext::new_with_config(SessionConfig::new());
    let url = ObjectStoreUrl::parse(HOT_STORE_URL).expect("url");
    builtin.register_object_store(url.as_ref(), engine.store());
    builtin
        .register_table(
            "logs",
            Arc::new(LogsTableProvider::new(engine.clone(), url)),
        )
        .expect("logs");
    let queries = [
        (
            "count_by_service",
            "SELECT service, count(*) FROM logs GROUP BY service",
        ),
        (
            "p99_duration_by_service",
            "SELECT service, percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) \
             FROM logs GROUP BY service",
        ),
    ];
    let run = |ctx: &SessionContext, q: &str| {
        rt.block_on(async { ctx.sql(q).await?.collect().await })
            .expect("query")
    };
    let mut group = c.benchmark_group("sql_200k");
    for (name, q) in queries {
        // Both sessions answer alike (a sorted comparison of the rows).
        let rows = |ctx: &SessionContext| {
            let batches = run(ctx, &format!("SELECT * FROM ({q}) ORDER BY 1"));
            strata_query::datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .expect("format")
                .to_string()
        };
        assert_eq!(rows(&strata), rows(&builtin), "{name}");
        group.bench_function(name, |b| b.iter(|| run(&strata, q)));
        group.bench_function(format!("{name}/datafusion_builtin"), |b| {
            b.iter(|| run(&builtin, q))
        });
    }
    group.finish();
    rt.block_on(engine.close()).expect("close");
}

criterion_group!(benches, aggregates);
criterion_main!(benches);

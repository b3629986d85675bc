//! Templates mined at ingest, seen from SQL: the `template_id` column, the
//! `templates` table and the template functions.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use strata_engine::sample::{SampleConfig, generate};
use strata_engine::{Engine, EngineConfig};
use strata_query::{QueryConfig, session};
use strata_tests::strings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_gets_a_stable_template_and_sql_sees_them() {
    let n = 20_000;
    let records = generate(
        &SampleConfig {
            total: n,
            ..SampleConfig::default()
        },
        n,
    );
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig {
        background_tasks: false,
        ..EngineConfig::new(dir.path())
    })
    .await
    .unwrap();
    engine.ingest(&records[..n / 2]).await.unwrap();
    engine.flush().await.unwrap();
    engine.ingest(&records[n / 2..]).await.unwrap();
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let sql = |q: &'static str| {
        let ctx = ctx.clone();
        async move { ctx.sql(q).await.unwrap().collect().await.unwrap() }
    };

    // every row has a template; identical messages of one (workspace,
    // service) share their canonical template
    let rows = sql(
        "SELECT l.message, l.workspace_id, l.service, t.canonical_id \
         FROM logs l JOIN templates t ON l.template_id = t.template_id",
    )
    .await;
    let mut seen: HashMap<(String, String, String), i64> = HashMap::new();
    let mut joined = 0;
    for b in &rows {
        let canon = b.column(3).as_primitive::<Int64Type>();
        let text = |c: usize, i: usize| {
            let a = b.column(c).as_string::<i32>();
            if a.is_null(i) {
                String::new()
            } else {
                a.value(i).to_string()
            }
        };
        for i in 0..b.num_rows() {
            joined += 1;
            let key = (text(0, i), text(1, i), text(2, i));
            let id = canon.value(i);
            assert_eq!(*seen.entry(key.clone()).or_insert(id), id, "{key:?}");
        }
    }
    assert_eq!(joined, n, "every row joins its template");

    // templates summarise: far fewer templates than distinct messages, and
    // their counts add up to the rows
    let distinct = strings(
        &sql("SELECT count(DISTINCT message) AS d FROM logs").await,
        "d",
    );
    let total = strings(
        &sql("SELECT count(*) AS t, sum(count) AS s FROM templates").await,
        "t",
    );
    // folded templates keep their own counts; live (canonical) ones hold all
    let sum = strings(
        &sql("SELECT sum(count) AS s FROM templates WHERE template_id = canonical_id").await,
        "s",
    );
    let distinct: usize = distinct[0].parse().unwrap();
    let templates: usize = total[0].parse().unwrap();
    assert!(
        templates * 10 < distinct,
        "{templates} templates for {distinct} messages"
    );
    assert_eq!(sum[0], n.to_string());

    // the functions agree with the stored ids
    let agree = sql(
        "SELECT count(*) AS n FROM logs l JOIN templates t ON l.template_id = t.template_id \
         WHERE template_id(l.message, l.workspace_id, l.service) = t.canonical_id",
    )
    .await;
    let agree: usize = strings(&agree, "n")[0].parse().unwrap();
    assert!(
        agree * 100 >= n * 99,
        "{agree} of {n} rows re-match their template"
    );
    let t = sql("SELECT log_template('Retrieved 12 documents from index kb-prod-3 in 45 ms') AS t")
        .await;
    assert!(
        strings(&t, "t")[0].contains("<*>"),
        "{:?}",
        strings(&t, "t")
    );
    let v = sql("SELECT extract_variables('Retrieved 12 documents in 45 ms', 'Retrieved <*> documents in <*> ms') AS v").await;
    assert_eq!(strings(&v, "v"), vec!["[12, 45]".to_string()]);
    let m = sql("SELECT mask_variables('connect to 10.2.3.4:5432 took 31 ms') AS m").await;
    let masked = &strings(&m, "m")[0];
    assert!(
        !masked.contains("10.2.3.4") && !masked.contains("31"),
        "{masked}"
    );
}

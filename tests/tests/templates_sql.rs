//! Templates mined at ingest, seen from SQL: the `template_id` column, the
//! `templates` table and the template functions.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use strata_query::{QueryConfig, session};
use strata_tests::{corpus, open_test_engine, run_sql, strings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_gets_a_stable_template_and_sql_sees_them() {
    let n = 20_000;
    let records = corpus(n, 86_400_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = open_test_engine(dir.path()).await;
    engine.ingest(&records[..n / 2]).await.unwrap();
    engine.flush().await.unwrap();
    engine.ingest(&records[n / 2..]).await.unwrap();
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let sql = |q: &'static str| {
        let ctx = ctx.clone();
        async move { run_sql(&ctx, q).await }
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
            let a = b.column(c).as_string_view();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern_table_functions_match_brute_force_counts() {
    let n = 12_000;
    let records = corpus(n, 6 * 3_600_000_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = open_test_engine(dir.path()).await;
    engine.ingest(&records).await.unwrap();
    engine.flush().await.unwrap();
    let ctx = session(&engine, &QueryConfig::default()).unwrap();
    let sql = |q: String| {
        let ctx = ctx.clone();
        async move { run_sql(&ctx, &q).await }
    };
    // (execution, timestamp, canonical template, level) of every row
    let rows = sql(
        "SELECT l.execution_id, l.timestamp, t.canonical_id, l.log_level \
        FROM logs l JOIN templates t ON l.template_id = t.template_id \
        ORDER BY l.timestamp, l.log_id"
            .into(),
    )
    .await;
    let mut per_template: std::collections::BTreeMap<i64, i64> = Default::default();
    let mut errors = 0i64;
    let mut executions: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for b in &rows {
        let exec = b.column(0).as_string_view();
        let canon = b.column(2).as_primitive::<Int64Type>();
        let level = b.column(3).as_string_view();
        for i in 0..b.num_rows() {
            *per_template.entry(canon.value(i)).or_default() += 1;
            if matches!(level.value(i), "error" | "fatal") {
                errors += 1;
            }
            if exec.is_valid(i) {
                let seq = executions.entry(exec.value(i).to_string()).or_default();
                if seq.last() != Some(&canon.value(i)) {
                    seq.push(canon.value(i));
                }
            }
        }
    }

    let mp = sql("SELECT template_id, count FROM message_patterns(NULL, NULL, 0.0)".into()).await;
    let mut got: std::collections::BTreeMap<i64, i64> = Default::default();
    for b in &mp {
        let id = b.column(0).as_primitive::<Int64Type>();
        let c = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            got.insert(id.value(i), c.value(i));
        }
    }
    assert_eq!(got, per_template, "message pattern counts");

    let ep = sql("SELECT sum(count) AS s FROM error_patterns(NULL, NULL, 0.0)".into()).await;
    assert_eq!(strings(&ep, "s"), vec![errors.to_string()]);

    let hp =
        sql("SELECT sum(count) AS s, count(*) AS h FROM hourly_profile(NULL, NULL)".into()).await;
    assert_eq!(strings(&hp, "s"), vec![n.to_string()]);
    assert_eq!(strings(&hp, "h"), vec!["24".to_string()]);

    // sequence support = executions containing the sequence as a subsequence
    let sp = sql(
        "SELECT template_ids, support FROM sequence_patterns(NULL, NULL, 0.02, 3) LIMIT 8".into(),
    )
    .await;
    let mut checked = 0;
    for b in &sp {
        let lists = b.column(0).as_list::<i32>();
        let support = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let seq: Vec<i64> = lists.value(i).as_primitive::<Int64Type>().values().to_vec();
            let want = executions
                .values()
                .filter(|s| {
                    let mut it = s.iter();
                    seq.iter().all(|t| it.any(|x| x == t))
                })
                .count() as i64;
            assert_eq!(support.value(i), want, "support of {seq:?}");
            checked += 1;
        }
    }
    assert!(checked > 0, "some sequence is frequent in 2% of executions");

    // bad arguments are named
    let err = ctx
        .sql("SELECT * FROM message_patterns('yesterday', NULL)")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("message_patterns(): argument 1"), "{err}");
}

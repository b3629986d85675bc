//! Strata's searches and SQL measured sample by sample next to ripgrep's and
//! DuckDB's.
//!
//! The machines we measure on are shared: the same search can take twice as
//! long a minute later. Measured one system after the other, minutes apart,
//! a ratio says as much about the neighbours as about the systems, so every
//! query is measured in rounds that visit each system in turn:
//!
//! - cold: per run, each query on Strata, ripgrep, DuckDB;
//! - warm: per query, one round per peer sample, each a block of Strata
//!   samples (its samples spread evenly over the rounds), one ripgrep
//!   sample and one DuckDB sample;
//! - SQL: per query, rounds of one Strata and one DuckDB run.
//!
//! "Warm" means right after an untimed run of the same query on the same
//! system: every block of timed samples, whoever's, starts with one, since
//! the others' samples in between (ripgrep streams gigabytes) have just gone
//! through the caches.
//!
//! A peer that fails stops being asked; the error is reported in its cells.

use std::path::Path;

use super::python_peers::{DuckDb, DuckDbResults};
use super::query_set::SearchQuery;
use super::ripgrep;
use super::search::{self, SearchTimes};
use super::sql::{self, QUERIES, SqlTimes};

/// How many samples each kind of measurement takes.
#[derive(Debug, Clone, Copy)]
pub struct Samples {
    /// Cold samples per query and system.
    pub cold: usize,
    /// Strata's warm samples per query.
    pub strata_warm: usize,
    /// Each peer's warm samples per query (the number of rounds).
    pub peer_warm: usize,
    /// Timed runs per SQL query and system.
    pub sql: usize,
}

/// ripgrep over the corpus and what it measured so far.
pub struct RipgrepSide<'a> {
    pub rg: &'a Path,
    pub file: &'a Path,
    pub times: Vec<SearchTimes>,
}

/// DuckDB's script and what it measured so far.
pub struct DuckDbSide {
    pub duck: DuckDb,
    pub times: Vec<SearchTimes>,
    pub sql: Vec<SqlTimes>,
}

impl DuckDbSide {
    pub fn new(duck: DuckDb, queries: usize) -> DuckDbSide {
        DuckDbSide {
            duck,
            times: vec![SearchTimes::default(); queries],
            sql: vec![SqlTimes::default(); QUERIES.len()],
        }
    }

    pub fn results(self) -> DuckDbResults {
        DuckDbResults {
            version: self.duck.version.clone(),
            parquet_bytes: self.duck.parquet_bytes,
            searches: self.times,
            sql: self.sql,
        }
    }
}

/// What Strata measured.
pub struct StrataTimes {
    pub searches: Vec<SearchTimes>,
    pub sql: Vec<SqlTimes>,
}

/// Runs `f` on a peer still answering; its first error retires the peer
/// (its cells in the table then say why).
fn ask<T>(peer: &mut Result<T, String>, name: &str, f: impl FnOnce(&mut T) -> Result<(), String>) {
    if let Ok(p) = peer
        && let Err(e) = f(p)
    {
        eprintln!("{name} stops being measured: {e}");
        *peer = Err(format!("failed mid-run: {e}"));
    }
}

/// Strata's samples in round `round` of `rounds`: `n` spread evenly.
fn share(n: usize, rounds: usize, round: usize) -> usize {
    n * (round + 1) / rounds - n * round / rounds
}

/// Measures every search and SQL query on Strata and the peers, interleaved.
pub async fn measure(
    data_dir: &Path,
    queries: &[SearchQuery],
    samples: Samples,
    rg: &mut Result<RipgrepSide<'_>, String>,
    duck: &mut Result<DuckDbSide, String>,
) -> Result<StrataTimes, String> {
    let mut strata = vec![SearchTimes::default(); queries.len()];
    eprintln!("searches, cold (Strata, ripgrep, DuckDB in turn)");
    for _ in 0..samples.cold {
        for (i, q) in queries.iter().enumerate() {
            strata[i].cold_ms.push(search::cold(data_dir, q).await?);
            ask(rg, "ripgrep", |r| {
                let ms = ripgrep::cold(r.rg, q, r.file)?;
                r.times[i].cold_ms.push(ms);
                Ok(())
            });
            ask(duck, "DuckDB", |d| {
                let (ms, _) = d.duck.cold(&q.duckdb_sql())?;
                d.times[i].cold_ms.push(ms);
                Ok(())
            });
        }
    }

    let (engine, ctx) = search::open_reader(data_dir).await?;
    let rounds = samples.peer_warm;
    for (i, q) in queries.iter().enumerate() {
        eprintln!("searches, warm: {}", q.label());
        strata[i].rows = search::timed(&ctx, q).await?.1;
        for round in 0..rounds {
            // Every system's timed samples follow an untimed run of the same
            // query on it: the others' samples in between (a ripgrep sample
            // streams gigabytes) have gone through the caches.
            let n = share(samples.strata_warm, rounds, round);
            if round > 0 && n > 0 && (rg.is_ok() || duck.is_ok()) {
                search::timed(&ctx, q).await?;
            }
            for _ in 0..n {
                strata[i].warm_ms.push(search::timed(&ctx, q).await?.0);
            }
            ask(rg, "ripgrep", |r| {
                r.times[i].rows = ripgrep::timed(r.rg, q, r.file)?.1;
                let (ms, _) = ripgrep::timed(r.rg, q, r.file)?;
                r.times[i].warm_ms.push(ms);
                Ok(())
            });
            ask(duck, "DuckDB", |d| {
                d.times[i].rows = d.duck.warm(&q.duckdb_sql())?.1;
                let (ms, _) = d.duck.warm(&q.duckdb_sql())?;
                d.times[i].warm_ms.push(ms);
                Ok(())
            });
        }
        strata[i].matches = search::count(&ctx, &q.strata_count_sql()).await?;
        ask(rg, "ripgrep", |r| {
            r.times[i].matches = ripgrep::count(r.rg, q, r.file)?;
            Ok(())
        });
        ask(duck, "DuckDB", |d| {
            let sql = format!("SELECT count(*) FROM logs WHERE {}", q.duckdb_where());
            d.times[i].matches = d.duck.count(&sql)?;
            Ok(())
        });
    }

    let mut strata_sql = vec![SqlTimes::default(); QUERIES.len()];
    for (i, q) in QUERIES.iter().enumerate() {
        eprintln!("SQL: {}", q.name);
        strata_sql[i].rows = sql::strata(&ctx, q.strata).await?.1;
        for run in 0..samples.sql {
            // each timed run right after an untimed one on the same system
            if run > 0 && duck.is_ok() {
                sql::strata(&ctx, q.strata).await?;
            }
            strata_sql[i].ms.push(sql::strata(&ctx, q.strata).await?.0);
            ask(duck, "DuckDB", |d| {
                d.sql[i].rows = d.duck.warm(q.duckdb)?.1;
                let (ms, _) = d.duck.warm(q.duckdb)?;
                d.sql[i].ms.push(ms);
                Ok(())
            });
        }
    }

    drop(ctx);
    engine.close().await.map_err(|e| e.to_string())?;
    Ok(StrataTimes {
        searches: strata,
        sql: strata_sql,
    })
}

#[cfg(test)]
mod tests {
    use super::{ask, share};

    #[test]
    fn a_peer_that_fails_is_asked_nothing_more_and_says_why() {
        let mut peer: Result<Vec<u32>, String> = Ok(vec![]);
        ask(&mut peer, "test peer", |p| {
            p.push(1);
            Ok(())
        });
        ask(&mut peer, "test peer", |_| Err("no answer".to_string()));
        let mut asked = false;
        ask(&mut peer, "test peer", |_| {
            asked = true;
            Ok(())
        });
        assert!(!asked, "a retired peer was asked again");
        assert_eq!(peer, Err("failed mid-run: no answer".to_string()));
    }

    #[test]
    fn strata_samples_are_spread_over_the_rounds_and_add_up() {
        for (n, rounds) in [(100, 10), (100, 30), (7, 3), (3, 10), (1, 1)] {
            let shares: Vec<usize> = (0..rounds).map(|r| share(n, rounds, r)).collect();
            assert_eq!(shares.iter().sum::<usize>(), n, "{n} over {rounds}");
            let (lo, hi) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
            assert!(hi - lo <= 1, "{n} over {rounds}: {shares:?}");
        }
    }
}

//! Templates of the `retriever` and the `vector-db`.

use super::{Slot, Template};
use crate::record::LogLevel::{Debug, Error, Info, Warn};
use crate::sample::vocab::Service::{Retriever, VectorDb};

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: Some(Retriever),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let before = r.int(8, 600);
            let after = before / 2 + r.int(4, 120);
            r.say(format_args!(
                "Rewrote query for retrieval: {before} -> {after} chars"
            ));
            r.component = Some("query-rewriter");
            r.attr("query_len", after);
        },
    },
    Template {
        service: Some(Retriever),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let index = r.index;
            let top_k = r.pick(&[5u32, 10, 20, 50]);
            let docs = r.int(0, top_k);
            let ms = r.ms();
            r.say(format_args!(
                "Retrieved {docs} documents from index {index} in {ms} ms"
            ));
            r.component = Some("hybrid-search");
            let (request, doc_bytes) = (r.int(200, 2_000), r.int(800, 4_000));
            r.sizes(u64::from(request), u64::from(docs) * u64::from(doc_bytes));
            r.attr("index", index);
            r.attr("documents", docs);
            r.attr("top_k", top_k);
        },
    },
    Template {
        service: Some(Retriever),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let candidates = r.int(10, 100);
            let reranker = r.pick(&["bge-reranker-v2", "cohere-rerank-3", "ms-marco-minilm"]);
            let score = 0.4 + f64::from(r.int(0, 5_900)) / 10_000.0;
            r.say(format_args!(
                "Reranked {candidates} candidates with {reranker}, top score {score:.3}"
            ));
            r.component = Some("reranker");
            r.attr("reranker", reranker);
            r.attr("top_score", (score * 1000.0).round() / 1000.0);
        },
    },
    Template {
        service: Some(Retriever),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let bm25 = f64::from(r.int(1, 9)) / 10.0;
            let dense = 1.0 - bm25;
            let k = r.pick(&[10u32, 20, 40]);
            r.say(format_args!(
                "Hybrid search weights: bm25={bm25:.2} dense={dense:.2}, k={k}"
            ));
            r.component = Some("hybrid-search");
            r.attr("top_k", k);
        },
    },
    Template {
        service: Some(Retriever),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let total = r.int(5, 20);
            let low = r.int(1, total);
            r.say(format_args!(
                "Reranker score below threshold 0.35 for {low} of {total} documents"
            ));
            r.component = Some("reranker");
            r.attr("low_score_docs", low);
        },
    },
    Template {
        service: Some(Retriever),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let index = r.index;
            let ms = 1_000 + r.int(1, 6_000);
            r.took(f64::from(ms));
            r.say(format_args!(
                "Slow retrieval on index {index}: {ms} ms > 1000 ms threshold"
            ));
            r.component = Some("hybrid-search");
            r.attr("index", index);
        },
    },
    Template {
        service: Some(Retriever),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let index = r.index;
            r.say(format_args!(
                "No documents matched query in index {index}, falling back to keyword search"
            ));
            r.component = Some("hybrid-search");
            r.attr("index", index);
            r.attr("documents", 0u32);
        },
    },
    Template {
        service: Some(Retriever),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let ip = r.ip();
            r.say(format_args!("Connection refused to {ip}:5432"));
            r.component = Some("hybrid-search");
            r.attr("peer", "postgres");
            r.fail("ConnectionError", "E1002", true);
        },
    },
    Template {
        service: Some(Retriever),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let batch = r.pick(&[16u32, 32, 64, 128]);
            r.say(format_args!(
                "Embedding service returned HTTP 500 for batch of {batch} texts"
            ));
            r.component = Some("query-rewriter");
            r.attr("http_status", 500u32);
            r.attr("batch_size", batch);
            r.fail("EmbeddingError", "HTTP_500", true);
        },
    },
    // vector-db
    Template {
        service: Some(VectorDb),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let index = r.index;
            let shards = r.int(1, 8);
            r.say(format_args!("Routing query for {index} to {shards} shards"));
            r.component = Some("shard-router");
            r.attr("index", index);
            r.attr("shards", shards);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let index = r.index;
            let hits = r.pick(&[5u32, 10, 20, 40]);
            let ef = r.pick(&[64u32, 128, 256]);
            let ms = r.ms();
            r.say(format_args!(
                "Vector search on collection {index} returned {hits} hits in {ms} ms (ef={ef})"
            ));
            r.component = Some("hnsw-index");
            r.sizes(6_200, u64::from(hits) * 96);
            r.attr("index", index);
            r.attr("hits", hits);
            r.attr("ef", ef);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let index = r.index;
            let vectors = r.int(1, 512);
            let dims = r.pick(&[384u32, 768, 1_024, 1_536, 3_072]);
            r.say(format_args!(
                "Upserted {vectors} vectors into {index} ({dims} dims)"
            ));
            r.component = Some("ingest-worker");
            r.sizes(u64::from(vectors) * u64::from(dims) * 4, 64);
            r.attr("index", index);
            r.attr("vectors", vectors);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let ef = r.pick(&[64u32, 128, 256]);
            let k = r.pick(&[10u32, 20, 40]);
            let filter = r.pick(&["none", "workspace", "workspace+lang", "acl"]);
            r.say(format_args!(
                "HNSW search params: ef={ef}, k={k}, filter={filter}"
            ));
            r.component = Some("hnsw-index");
            r.attr("ef", ef);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let index = r.index;
            let (shard, ops) = (r.int(0, 7), r.int(500, 90_000));
            r.say(format_args!(
                "Shard {shard} of {index} is lagging by {ops} ops"
            ));
            r.component = Some("shard-router");
            r.attr("index", index);
            r.attr("shard", shard);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let index = r.index;
            let segments = r.int(40, 400);
            r.say(format_args!(
                "Search on {index} scanned {segments} segments, consider compaction"
            ));
            r.component = Some("hnsw-index");
            r.attr("index", index);
            r.attr("segments", segments);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let shard = r.int(0, 7);
            let ip = r.ip();
            r.say(format_args!("Shard {shard} unreachable at {ip}:6333"));
            r.component = Some("shard-router");
            r.attr("shard", shard);
            r.fail("ConnectionError", "E1002", true);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let index = r.index;
            let timeout = r.pick(&[2_000u32, 5_000, 10_000]);
            r.took(f64::from(timeout));
            r.say(format_args!(
                "Query on index {index} timed out after {timeout} ms"
            ));
            r.component = Some("hnsw-index");
            r.attr("index", index);
            r.fail("TimeoutError", "E1001", true);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let index = r.pick(&crate::sample::vocab::INDEXES);
            let (segments, ms) = (r.int(2, 24), r.int(300, 90_000));
            r.took(f64::from(ms));
            r.say(format_args!(
                "Index {index} compaction finished: {segments} segments merged in {ms} ms"
            ));
            r.component = Some("ingest-worker");
            r.attr("index", index);
            r.attr("segments", segments);
        },
    },
    Template {
        service: Some(VectorDb),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let index = r.pick(&crate::sample::vocab::INDEXES);
            let mb = r.int(40, 12_000);
            r.say(format_args!("Snapshot of {index} written ({mb} MB)"));
            r.component = Some("hnsw-index");
            r.attr("index", index);
            r.attr("snapshot_mb", mb);
        },
    },
];

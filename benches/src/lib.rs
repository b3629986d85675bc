//! Strata benchmarks: criterion micro-benchmarks live in `benches/`.

//! Benchmark helpers for flinkwire (not part of the server).
//!
//! - [`rows`]: the benchmark result, `(id BIGINT, label VARCHAR(16), amount DOUBLE, ts TIMESTAMP(3))`,
//!   generated from the row number, as gateway JSON (for the replay gateway) and as CSV (to load
//!   the very same rows into PostgreSQL).
//! - `bin/replay_gateway.rs`: a Flink SQL Gateway stand-in that serves that result from memory in
//!   the real gateway's page shape, so only flinkwire's own pipeline is measured.
//! - `bin/pg_read.rs`: reads a query's rows in PostgreSQL's binary format and discards them.

pub mod rows;

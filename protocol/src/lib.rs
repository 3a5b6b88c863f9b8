//! # flinkwire-protocol
//!
//! The pure translation layer of flinkwire: no sockets, no files, no clocks. Everything here is a
//! function from one representation to another, so it is unit-tested exhaustively.
//!
//! ## Layout
//! - [`rest`]: request and response types of the Flink SQL Gateway REST API (v1–v4).
//! - [`logical_type`]: Flink `LogicalType` as the gateway serialises it in `columns[].logicalType`.
//! - [`arrow_types`]: Flink type → Arrow `DataType`.
//! - [`pg_types`]: Flink type → PostgreSQL type (OID, name, length).
//! - [`raw_page`]: a fetched result page with its fields kept as JSON text.
//! - [`json_arrow`]: gateway JSON result rows → Arrow `RecordBatch`.
//! - [`encode`]: Arrow values → PostgreSQL text and binary wire encodings.
//! - [`sqlstate`]: gateway error bodies → SQLSTATE + short message.
//! - [`params`]: inlining `$n` parameters as Flink SQL literals.
//! - [`framing`]: frame boundaries of the client byte stream (size cap, UTF-8 of query text).

pub mod arrow_types;
pub mod encode;
pub mod framing;
pub mod json_arrow;
pub mod logical_type;
pub mod params;
pub mod pg_types;
pub mod raw_page;
pub mod rest;
pub mod sqlstate;

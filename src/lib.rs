//! # flinkwire
//!
//! A PostgreSQL wire-protocol server in front of Apache Flink SQL: PostgreSQL clients, BI tools
//! and drivers send Flink SQL as plain queries.
//!
//! ## Layout
//! Data flows one way; each arrow is a module boundary:
//!
//! ```text
//! frontend ──▶ session ──▶ router ──▶ backend ──▶ results ──▶ (back to the frontend as rows)
//! ```
//!
//! - [`config`]: TOML file + `FLINKWIRE_*` environment + flags.
//! - [`server`]: the listener and per-connection tasks.
//! - [`tls`]: certificates for the listener, reloaded on SIGHUP.
//! - [`auth`]: users' credentials (SCRAM verifiers, MD5 hashes) and the SCRAM exchange.
//! - [`frontend`]: the PostgreSQL protocol on `pgwire` (startup, simple and extended query).
//! - [`flight`]: the Arrow Flight SQL front end on `arrow-flight`/tonic: the same sessions and
//!   results, sent as Arrow batches.
//! - [`session`]: a client's state: its Flink SQL Gateway session.
//! - [`dialect`]: PostgreSQL dialect → Flink SQL rewrites for the SQL BI tools generate.
//! - [`local`]: PostgreSQL session commands (`SET x TO y`, `SHOW x`, `DISCARD ALL`…) and the
//!   client's parameters, answered without Flink; constant `SELECT`s (`SELECT 1`) answered as
//!   Flink would.
//! - [`cluster`]: named clusters, routing, environments, pre-warmed session pools, health.
//! - [`catalog`]: metadata snapshots per (cluster, environment) (`catalog::snapshot`).
//! - [`router`]: splitting query strings into statements and classifying them.
//! - [`backend`]: the SQL Gateway REST client (version negotiation, sessions, operations, pages).
//! - [`results`]: gateway pages → Arrow → PostgreSQL rows, streamed in bounded memory; the
//!   opt-in result cache of complete answers (`results::cache`).
//! - [`policy`]: roles, the statement classifier and the policy gate every statement passes.
//! - [`audit`]: the JSON-lines audit log of connections and statements.
//! - [`admin`]: the admin HTTP listener: probes and Prometheus metrics.
//! - [`activity`]: what each connection is doing (`pg_stat_activity`, cancel keys).
//! - [`peers`]: forwarding CancelRequests to the replica that owns the key.
//!
//! The pure translations (REST types, type mapping, value encoding, SQLSTATEs, parameter
//! inlining) live in the `flinkwire-protocol` crate.

pub mod activity;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod backend;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod dialect;
pub mod flight;
pub mod frontend;
pub mod local;
pub mod peers;
pub mod policy;
pub mod results;
pub mod router;
pub mod server;
pub mod session;
pub mod shutdown;
pub mod tls;

//! Running introspection queries of a client session on the emulation.

use std::sync::Arc;

use flinkwire_protocol::sqlstate::{GatewayError, GatewayErrorKind, SqlState};

use super::{CatalogError, SessionFacts};
use crate::backend::BackendError;
use crate::catalog::snapshot::MetadataSnapshot;
use crate::results::{Outcome, ResultError, RowSet};
use crate::session::ClientSession;

impl CatalogError {
    /// As the result error the session's callers handle (same SQLSTATE and message).
    pub fn into_result_error(self) -> ResultError {
        let code: &'static str = self.sqlstate();
        ResultError::Backend(BackendError::Gateway(GatewayError {
            sqlstate: SqlState(code),
            kind: GatewayErrorKind::Statement,
            message: self.to_string(),
            detail: None,
            hint: match self {
                CatalogError::Mixed(_) => Some("query pg_catalog / information_schema and Flink tables in separate statements".into()),
                _ => None,
            },
            position: None,
            exception: None,
        }))
    }
}

impl ClientSession {
    /// The facts the emulation answers `current_user`, `current_database()`… with.
    fn catalog_facts(&self, snapshot: &MetadataSnapshot) -> SessionFacts {
        let settings = self.settings();
        let catalog = settings
            .database()
            .and_then(|db| snapshot.catalog(db).map(|c| c.name.clone()))
            .unwrap_or_else(|| snapshot.current_catalog.clone());
        let databases = snapshot.catalog(&catalog).map(|c| c.databases.iter().map(|d| d.name.clone()).collect::<Vec<_>>()).unwrap_or_default();
        let named = settings.search_path().into_iter().find_map(|s| databases.iter().find(|d| **d == s).cloned());
        let mut all: Vec<(String, String)> = settings.all().into_iter().map(|(n, v, _)| (n.to_ascii_lowercase(), v)).collect();
        let database = named.clone().unwrap_or_else(|| snapshot.current_database.clone());
        if named.is_none() {
            // The search path names no Flink database (PostgreSQL's default `"$user", public`):
            // unqualified names resolve in the current Flink database, so that is the path
            // clients that parse `current_setting('search_path')` (Grafana) must see.
            for (name, value) in &mut all {
                if name == "search_path" {
                    *value = super::objects::quote_ident(&database);
                }
            }
        }
        SessionFacts {
            user: settings.get("session_authorization").unwrap_or_default(),
            catalog,
            database,
            settings: all,
            backend_pid: self.backend_pid(),
        }
    }

    /// Answers a query on pg_catalog / information_schema / client functions locally.
    pub async fn run_catalog(&self, sql: &str) -> Result<Outcome, ResultError> {
        let snapshot = self.snapshot().unwrap_or_else(|| Arc::new(MetadataSnapshot::empty("", None)));
        let facts = self.catalog_facts(&snapshot);
        let live = self.live_view();
        let answer = self.pg_catalog().query(&snapshot, &facts, sql, Some(&live)).await.map_err(CatalogError::into_result_error)?;
        Ok(Outcome::Rows(RowSet::local(&answer.columns, answer.rows)?))
    }
}

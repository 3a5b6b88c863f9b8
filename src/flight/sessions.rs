//! Flight SQL sessions: one [`ClientSession`] per caller (bearer token, or peer without one) and
//! per routing choice (`database` = Flink catalog, `flinkwire.cluster`, sent as gRPC headers; ADBC
//! sends them with `adbc.flight.sql.rpc.call_header.<name>`), so `SET` on one call holds for the
//! next, as on a PostgreSQL connection.
//!
//! gRPC tells a server nothing when a client goes away, so sessions that see no call for
//! `flight.idle_timeout_secs` are closed by [`Sessions::expire`] (their gateway session with
//! them). A result a client asked for (GetFlightInfo) but never fetched (DoGet) is held by its
//! session until then, or until cancelled: dropping it closes the gateway operation and cancels
//! the Flink job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::auth::Caller;
use super::error;
use super::params::Bound;
use crate::results::RowSet;
use crate::server::ServerContext;
use crate::session::{ClientSession, ConnectRequest};

/// What a session is found by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub caller: Caller,
    pub database: Option<String>,
    pub cluster: Option<String>,
}

/// A statement started by GetFlightInfo, waiting for its DoGet.
pub struct Pending {
    /// `None`: a statement without rows (DDL, SET): DoGet answers an empty stream.
    pub rows: Option<RowSet>,
    pub sql: String,
    pub started: Instant,
}

/// A prepared statement: its SQL and the parameter rows bound last (DoPut).
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub sql: String,
    pub bound: Vec<Vec<Bound>>,
}

/// One Flight SQL client's session.
pub struct FlightSession {
    pub session: ClientSession,
    pub user: String,
    last_used: Mutex<Instant>,
    /// Results not fetched yet, by ticket handle.
    pending: Mutex<HashMap<String, Pending>>,
    /// Cancel tokens of statements started and not finished, by ticket handle.
    running: Mutex<HashMap<String, CancellationToken>>,
    prepared: Mutex<HashMap<String, Prepared>>,
    /// Places under `limits.max_connections` and `max_connections_per_user`, as a PostgreSQL
    /// connection holds them.
    _slots: (crate::frontend::admission::Slot, crate::frontend::admission::Slot),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FlightSession {
    fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }

    /// Keeps a started statement for its DoGet.
    pub fn park(&self, handle: &str, pending: Pending, cancel: CancellationToken) {
        lock(&self.running).insert(handle.to_owned(), cancel);
        lock(&self.pending).insert(handle.to_owned(), pending);
    }

    /// Takes a started statement for its DoGet (once).
    pub fn take(&self, handle: &str) -> Result<Pending, Status> {
        lock(&self.pending)
            .remove(handle)
            .ok_or_else(|| error::status("34000", "unknown ticket: the result was already fetched, cancelled or expired", None))
    }

    /// The statement behind `handle` ended (its stream finished or was dropped).
    pub fn finished(&self, handle: &str) {
        lock(&self.running).remove(handle);
    }

    /// Cancels a statement: an unread result is dropped (closing its gateway operation, which
    /// cancels the Flink job); a streaming one stops at its next wait. Whether it was known.
    pub fn cancel(&self, handle: &str) -> bool {
        let token = lock(&self.running).remove(handle);
        let unread = lock(&self.pending).remove(handle);
        drop(unread);
        match token {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub fn prepare(&self, handle: &str, sql: String, limit: usize) -> Result<(), Status> {
        let mut prepared = lock(&self.prepared);
        if prepared.len() >= limit {
            return Err(error::status(
                "54000",
                format!("too many prepared statements: this session holds {limit}"),
                Some("close prepared statements that are no longer needed (limits.max_prepared_statements)"),
            ));
        }
        prepared.insert(handle.to_owned(), Prepared { sql, bound: vec![] });
        Ok(())
    }

    pub fn prepared(&self, handle: &str) -> Result<Prepared, Status> {
        lock(&self.prepared).get(handle).cloned().ok_or_else(|| error::status("26000", "prepared statement does not exist", None))
    }

    pub fn bind(&self, handle: &str, rows: Vec<Vec<Bound>>) -> Result<(), Status> {
        let mut prepared = lock(&self.prepared);
        let statement = prepared.get_mut(handle).ok_or_else(|| error::status("26000", "prepared statement does not exist", None))?;
        statement.bound = rows;
        Ok(())
    }

    pub fn unprepare(&self, handle: &str) {
        lock(&self.prepared).remove(handle);
    }
}

/// Every Flight SQL session of the server. A session is opened once per key (a cell per key, so
/// two first calls of one client share one open, and a slow open holds up no other client).
#[derive(Default)]
pub struct Sessions {
    by_key: Mutex<HashMap<SessionKey, Arc<tokio::sync::OnceCell<Arc<FlightSession>>>>>,
}

impl Sessions {
    /// The caller's session, opened (routed, checked against the role) on its first call.
    pub async fn get(&self, ctx: &Arc<ServerContext>, key: SessionKey, user: &str, peer: &str, tls: bool) -> Result<Arc<FlightSession>, Status> {
        let cell = lock(&self.by_key).entry(key.clone()).or_default().clone();
        let session = cell.get_or_try_init(|| open(ctx, &key, user, peer, tls)).await?;
        session.touch();
        Ok(session.clone())
    }

    /// Closes sessions idle for `idle` (none of their streams running); forgets failed opens.
    pub async fn expire(&self, idle: Duration) {
        let expired: Vec<Arc<FlightSession>> = {
            let mut sessions = lock(&self.by_key);
            let keys: Vec<SessionKey> = sessions
                .iter()
                .filter(|(_, cell)| match cell.get() {
                    Some(s) => s.idle_for() >= idle && lock(&s.running).is_empty(),
                    // Not opened (yet): an open in progress holds its own reference to the cell.
                    None => Arc::strong_count(cell) == 1,
                })
                .map(|(k, _)| k.clone())
                .collect();
            keys.iter().filter_map(|k| sessions.remove(k)).filter_map(|cell| cell.get().cloned()).collect()
        };
        close(expired).await;
    }

    /// Cancels everything running and closes every session (shutdown).
    pub async fn close_all(&self) {
        let all: Vec<Arc<FlightSession>> = lock(&self.by_key).drain().filter_map(|(_, cell)| cell.get().cloned()).collect();
        for session in &all {
            let handles: Vec<String> = lock(&session.running).keys().cloned().collect();
            for handle in handles {
                session.cancel(&handle);
            }
        }
        close(all).await;
    }
}

/// Opens a caller's session as a PostgreSQL startup would: admission, role, routing.
async fn open(ctx: &Arc<ServerContext>, key: &SessionKey, user: &str, peer: &str, tls: bool) -> Result<Arc<FlightSession>, Status> {
    let full = || error::status("53300", "sorry, too many clients already", None);
    let server_slot = ctx.admission.enter().ok_or_else(full)?;
    let user_slot = ctx
        .admission
        .enter_user(user)
        .ok_or_else(|| error::status("53300", format!("too many connections for role \"{user}\""), None))?;
    let request = ConnectRequest {
        user: user.to_owned(),
        database: key.database.clone(),
        cluster: key.cluster.clone(),
        session_name: format!("flinkwire-flight:{user}@{peer}"),
        security: ctx.security.clone(),
        startup_options: vec![],
        client_addr: peer.to_owned(),
        tls,
        auth_method: Some(match key.caller {
            Caller::Token(_) => "flight-bearer".to_owned(),
            Caller::Peer { .. } if ctx.accounts.trust_all() => "trust".to_owned(),
            Caller::Peer { .. } => "flight-basic".to_owned(),
        }),
        metrics: ctx.metrics.clone(),
        activity: ctx.activity.clone(),
    };
    let session = ClientSession::connect(&ctx.clusters, &request).await.map_err(|e| error::open_error(&e))?;
    tracing::info!(%user, %peer, database = ?key.database, cluster = ?key.cluster, "Flight SQL session opened");
    Ok(Arc::new(FlightSession {
        session,
        user: user.to_owned(),
        last_used: Mutex::new(Instant::now()),
        pending: Default::default(),
        running: Default::default(),
        prepared: Default::default(),
        _slots: (server_slot, user_slot),
    }))
}

/// Closes sessions and waits for the gateway; a session a stream still holds closes when that
/// stream ends (its gateway session closes itself when dropped).
async fn close(sessions: Vec<Arc<FlightSession>>) {
    for session in sessions {
        if let Ok(session) = Arc::try_unwrap(session) {
            let handle = session.session.handle().to_owned();
            if let Err(err) = session.session.close().await {
                tracing::warn!(session = %handle, cause = %err, "closing the gateway session of a Flight SQL client failed");
            }
        }
    }
}

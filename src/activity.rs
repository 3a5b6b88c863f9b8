//! What every logged-in connection is doing: the source of `pg_stat_activity`, of
//! `pg_cancel_backend` / `pg_terminate_backend`, and of the cancel keys a CancelRequest names.
//!
//! One [`Activity`] per server holds a [`Backend`] per connection, registered when the client
//! has logged in and removed when its [`Registration`] is dropped with the connection. A backend
//! carries what the connection published about itself (state, query, job id), its statement
//! canceller and its own shutdown handle (terminating one connection is a shutdown of one).
//!
//! **Cancel keys carry the replica.** A process id is `replica << 19 | sequence`: several
//! flinkwire replicas behind one address hand out pids that never collide, and a replica can tell
//! from a key whether it names one of its own connections (see `crate::peers` for forwarding the
//! others). PostgreSQL clients only ever see a positive `int4`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use pgwire::messages::startup::SecretKey;
use tokio_util::sync::CancellationToken;

use crate::shutdown::Shutdown;

/// Bits of a pid below the replica number.
const SEQUENCE_BITS: u32 = 19;
/// Replicas a pid can name (`[cancel] replica_id` is below this).
pub const MAX_REPLICAS: u16 = 1 << 12;
/// PostgreSQL's `track_activity_query_size` default: the query text kept per backend.
const QUERY_TEXT_BYTES: usize = 1024;

/// The replica a process id was handed out by.
pub fn replica_of(pid: i32) -> u16 {
    ((pid as u32 >> SEQUENCE_BITS) & u32::from(MAX_REPLICAS - 1)) as u16
}

/// The cancel state of one connection: every statement takes a fresh token, and a cancel
/// (CancelRequest, `pg_cancel_backend`, the client leaving) cancels the token of the statement
/// running at that moment.
#[derive(Debug, Default)]
pub struct QueryCanceller {
    current: Mutex<CancellationToken>,
}

impl QueryCanceller {
    /// A fresh token for the statement about to run.
    pub fn begin(&self) -> CancellationToken {
        let token = CancellationToken::new();
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = token.clone();
        token
    }

    /// Cancels the statement running now, if any.
    pub fn cancel(&self) {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .cancel();
    }
}

/// The server's connections by process id.
#[derive(Debug)]
pub struct Activity {
    replica: u16,
    next_sequence: AtomicU32,
    backends: Mutex<HashMap<i32, Arc<Backend>>>,
}

impl Default for Activity {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Activity {
    /// The activity of replica `replica` (below [`MAX_REPLICAS`]; higher bits are dropped).
    pub fn new(replica: u16) -> Self {
        Self {
            replica: replica & (MAX_REPLICAS - 1),
            next_sequence: AtomicU32::new(1),
            backends: Mutex::default(),
        }
    }

    /// This replica's number, as carried in its pids.
    pub fn replica(&self) -> u16 {
        self.replica
    }

    /// Registers a logged-in connection under a new process id and a random secret key (4 bytes
    /// for protocol 3.0 clients, 32 for 3.2). The connection is listed until the registration is
    /// dropped.
    pub fn register(
        self: &Arc<Self>,
        info: BackendInfo,
        long_key: bool,
        canceller: Arc<QueryCanceller>,
        shutdown: Shutdown,
    ) -> Registration {
        let secret = random_secret(long_key);
        let mut backends = self.backends.lock().unwrap_or_else(|p| p.into_inner());
        let pid = loop {
            let sequence =
                self.next_sequence.fetch_add(1, Ordering::Relaxed) & ((1 << SEQUENCE_BITS) - 1);
            let pid = ((u32::from(self.replica) << SEQUENCE_BITS) | sequence) as i32;
            // After 2^19 connections the sequence wraps: skip pids still in use, and 0.
            if pid != 0 && !backends.contains_key(&pid) {
                break pid;
            }
        };
        let now = Now {
            state: State::Idle,
            application_name: String::new(),
            query: String::new(),
            query_start: None,
            xact_start: None,
            state_change: Utc::now(),
            job_id: None,
        };
        let backend = Arc::new(Backend {
            pid,
            secret,
            info,
            canceller,
            shutdown,
            now: Mutex::new(now),
        });
        backends.insert(pid, backend.clone());
        Registration {
            activity: self.clone(),
            backend,
        }
    }

    /// The connection with this process id.
    pub fn get(&self, pid: i32) -> Option<Arc<Backend>> {
        self.backends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&pid)
            .cloned()
    }

    /// Every connection, by process id.
    pub fn backends(&self) -> Vec<Arc<Backend>> {
        let mut all: Vec<_> = self
            .backends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        all.sort_by_key(|b| b.pid);
        all
    }

    /// Cancels the running statement of the connection with this key, if it is one of ours and
    /// the secret matches. PostgreSQL answers a CancelRequest with nothing either way.
    pub fn cancel_request(&self, pid: i32, secret: &[u8]) -> bool {
        match self.get(pid) {
            Some(backend) if constant_time_eq(&backend.secret.to_bytes(), secret) => {
                tracing::info!(pid, "cancel request");
                backend.cancel();
                true
            }
            _ => false,
        }
    }
}

/// Compares secrets without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_secret(long: bool) -> SecretKey {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; if long { 32 } else { 4 }];
    // getrandom(2) does not fail on Linux once booted; should it, the key is still unique per
    // pid, only guessable, and that is logged.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        tracing::error!("the system's random source failed: cancel keys are guessable");
    }
    if long {
        SecretKey::Bytes(bytes.into())
    } else {
        SecretKey::I32(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

/// Keeps a connection listed; dropping it removes the connection.
#[derive(Debug)]
pub struct Registration {
    activity: Arc<Activity>,
    backend: Arc<Backend>,
}

impl Registration {
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut backends = self
            .activity
            .backends
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if backends
            .get(&self.backend.pid)
            .is_some_and(|b| Arc::ptr_eq(b, &self.backend))
        {
            backends.remove(&self.backend.pid);
        }
    }
}

/// What does not change over a connection's life.
#[derive(Debug, Clone)]
pub struct BackendInfo {
    pub user: String,
    /// The PostgreSQL database (Flink catalog) the client asked for, if any.
    pub database: Option<String>,
    pub client: SocketAddr,
    pub started: DateTime<Utc>,
    /// The Flink cluster the connection was routed to.
    pub cluster: Option<String>,
    /// The role the user logged in with, if roles are configured.
    pub role: Option<String>,
}

/// `pg_stat_activity.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Active,
    Idle,
    IdleInTransaction,
    IdleInTransactionAborted,
}

impl State {
    /// The text PostgreSQL shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
            Self::IdleInTransaction => "idle in transaction",
            Self::IdleInTransactionAborted => "idle in transaction (aborted)",
        }
    }
}

/// What a connection is doing now.
#[derive(Debug, Clone)]
pub struct Now {
    pub state: State,
    /// The client's `application_name` as of its latest statement.
    pub application_name: String,
    /// The running statement, or the last one when idle (PostgreSQL's convention); at most
    /// [`QUERY_TEXT_BYTES`].
    pub query: String,
    pub query_start: Option<DateTime<Utc>>,
    /// When the transaction began: the first statement after idle (autocommit: the statement).
    pub xact_start: Option<DateTime<Utc>>,
    pub state_change: DateTime<Utc>,
    /// The Flink job of the running statement, or of the last one sent to Flink, once the
    /// gateway named it.
    pub job_id: Option<String>,
}

/// One logged-in connection.
#[derive(Debug)]
pub struct Backend {
    pub pid: i32,
    secret: SecretKey,
    pub info: BackendInfo,
    canceller: Arc<QueryCanceller>,
    shutdown: Shutdown,
    now: Mutex<Now>,
}

impl Backend {
    /// The key data for BackendKeyData.
    pub fn key(&self) -> (i32, SecretKey) {
        (self.pid, self.secret.clone())
    }

    /// What the connection is doing now.
    pub fn now(&self) -> Now {
        self.now.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A statement starts; `application_name` is the client's setting now.
    pub fn begin(&self, sql: &str, application_name: Option<String>) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let at = Utc::now();
        if now.state == State::Idle {
            now.xact_start = Some(at);
        }
        if let Some(name) = application_name {
            now.application_name = name;
        }
        now.state = State::Active;
        now.query = truncate(sql, QUERY_TEXT_BYTES).to_owned();
        now.query_start = Some(at);
        now.state_change = at;
    }

    /// A statement is sent to Flink: its job is not known yet. (Not part of [`Backend::begin`]:
    /// a prepared query starts on Flink at Describe, before the Execute that makes it active.)
    pub fn submitting(&self) {
        self.now.lock().unwrap_or_else(|p| p.into_inner()).job_id = None;
    }

    /// The gateway named the running statement's Flink job.
    pub fn job(&self, job_id: &str) {
        self.now.lock().unwrap_or_else(|p| p.into_inner()).job_id = Some(job_id.to_owned());
    }

    /// The connection waits for the client again.
    pub fn idle(&self, state: State) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        if now.state != state {
            now.state = state;
            now.state_change = Utc::now();
        }
        if state == State::Idle {
            now.xact_start = None;
        }
    }

    /// Cancels the running statement (57014 for its client), if any.
    pub fn cancel(&self) {
        self.canceller.cancel();
    }

    /// Ends the connection: an idle one at once, a running statement is cancelled first; the
    /// client gets FATAL 57P01 either way.
    pub fn terminate(&self) {
        self.shutdown.terminate();
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> BackendInfo {
        BackendInfo {
            user: "alice".into(),
            database: None,
            client: "127.0.0.1:5000".parse().unwrap(),
            started: Utc::now(),
            cluster: Some("default".into()),
            role: None,
        }
    }

    #[test]
    fn pids_carry_the_replica_and_are_positive() {
        for replica in [0, 1, 7, MAX_REPLICAS - 1] {
            let activity = Arc::new(Activity::new(replica));
            let a = activity.register(info(), false, Arc::default(), Shutdown::default());
            let b = activity.register(info(), true, Arc::default(), Shutdown::default());
            assert!(a.backend().pid > 0 && b.backend().pid > 0);
            assert_ne!(a.backend().pid, b.backend().pid);
            assert_eq!(replica_of(a.backend().pid), replica);
            assert_eq!(a.backend().key().1.to_bytes().len(), 4);
            assert_eq!(b.backend().key().1.to_bytes().len(), 32);
        }
    }

    #[test]
    fn a_wrapped_sequence_skips_pids_in_use() {
        let activity = Arc::new(Activity::new(3));
        let first = activity.register(info(), false, Arc::default(), Shutdown::default());
        activity.next_sequence.store(
            first.backend().pid as u32 & ((1 << SEQUENCE_BITS) - 1),
            Ordering::Relaxed,
        );
        let second = activity.register(info(), false, Arc::default(), Shutdown::default());
        assert_ne!(first.backend().pid, second.backend().pid);
    }

    #[test]
    fn cancel_requests_need_the_secret_and_a_live_connection() {
        let activity = Arc::new(Activity::new(0));
        let canceller = Arc::new(QueryCanceller::default());
        let registration = activity.register(info(), false, canceller.clone(), Shutdown::default());
        let (pid, secret) = registration.backend().key();
        let running = canceller.begin();
        assert!(!activity.cancel_request(pid, &[0, 0, 0, 0]));
        assert!(!activity.cancel_request(pid + 1, &secret.to_bytes()));
        assert!(!running.is_cancelled());
        assert!(activity.cancel_request(pid, &secret.to_bytes()));
        assert!(running.is_cancelled());
        assert!(
            !canceller.begin().is_cancelled(),
            "a cancel does not reach the next statement"
        );
        drop(registration);
        assert!(activity.get(pid).is_none());
        assert!(!activity.cancel_request(pid, &secret.to_bytes()));
    }

    #[test]
    fn state_and_query_follow_the_statements() {
        let activity = Arc::new(Activity::new(0));
        let registration = activity.register(info(), false, Arc::default(), Shutdown::default());
        let backend = registration.backend();
        assert_eq!(backend.now().state, State::Idle);
        backend.begin(&"é".repeat(1000), Some("psql".into()));
        backend.job("f00");
        let now = backend.now();
        assert_eq!(now.state, State::Active);
        assert!(now.query.len() <= QUERY_TEXT_BYTES && now.query.chars().all(|c| c == 'é'));
        assert_eq!(now.job_id.as_deref(), Some("f00"));
        assert_eq!(now.application_name, "psql");
        assert_eq!(now.xact_start, now.query_start);
        backend.idle(State::IdleInTransaction);
        assert_eq!(backend.now().state.name(), "idle in transaction");
        assert_eq!(
            backend.now().job_id.as_deref(),
            Some("f00"),
            "the last statement's job stays shown"
        );
        backend.begin("SELECT 1", None);
        assert_eq!(backend.now().job_id.as_deref(), Some("f00"), "until the next goes to Flink");
        backend.submitting();
        assert_eq!(backend.now().job_id, None);
    }

    #[test]
    fn terminate_ends_only_that_connection() {
        let server = Shutdown::default();
        let activity = Arc::new(Activity::new(0));
        let one = activity.register(info(), false, Arc::default(), server.child());
        let other = activity.register(info(), false, Arc::default(), server.child());
        one.backend().terminate();
        assert!(one.backend().shutdown.is_terminating());
        assert!(!other.backend().shutdown.is_draining());
        assert!(!server.is_draining());
    }
}

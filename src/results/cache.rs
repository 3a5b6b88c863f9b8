//! The opt-in result cache (`SET flinkwire.result_cache = on`, `[result_cache]`,
//! docs/result-cache.md): dashboards refresh the same bounded queries, and each costs a Flink job.
//!
//! One [`ResultCache`] per server, owned by the cluster registry ([`crate::cluster::Clusters`])
//! and reached through each session's route; no global state. An entry is the Arrow batches a
//! result was sent as, with their schema, so a hit is encoded by the same code as the original
//! answer (same RowDescription, same DataRows, same tag).
//!
//! - **Key** ([`CacheKey`]): the statement as the client sent it (parameters inlined), trimmed,
//!   plus everything else that can change its answer: cluster, environment, startup database
//!   (Flink catalog), search path (Flink database), every statement that changed the session's
//!   gateway state (`SET 'k' = 'v'`, `USE`, temporary tables…), result mode, `flinkwire.max_rows`,
//!   the role, the metadata snapshot's load time and the cache's generation.
//! - **What is cached**: only results that ended at their end (complete, bounded), not cut by
//!   `flinkwire.max_rows`, a timeout or a cancel, no larger than `max_entry_bytes` (a larger one
//!   is simply not kept: its batches are released as soon as it passes the bound, and the rows
//!   stream on). [`refusal`] names what is never cached: non-queries, non-deterministic
//!   functions, tables whose data is generated (`datagen`) or computed by such functions.
//! - **Invalidation**: DDL and jobs through flinkwire bump the generation and drop every entry
//!   (catalogs may be shared by clusters); a reloaded snapshot changes the keys; entries expire
//!   after `ttl_secs`; beyond `max_bytes` the least recently used go first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::admin::metrics::CacheCounters;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arrow_array::RecordBatch;

use super::ResultSchema;

/// Functions whose value changes from one run to the next (Flink's "dynamic" and
/// non-deterministic built-ins, docs "Determinism in Continuous Queries"), and PostgreSQL's
/// spellings of them. A statement naming one, anywhere outside a literal, is never cached.
pub const NON_DETERMINISTIC: &[&str] = &[
    "CLOCK_TIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_ROW_TIMESTAMP",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_WATERMARK",
    "GEN_RANDOM_UUID",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NOW",
    "PROCTIME",
    "RAND",
    "RANDOM",
    "RAND_INTEGER",
    "STATEMENT_TIMESTAMP",
    "TIMEOFDAY",
    "TRANSACTION_TIMESTAMP",
    "UNIX_TIMESTAMP",
    "UUID",
];

/// Connectors whose rows are made up on every read.
const GENERATING_CONNECTORS: &[&str] = &["datagen", "faker"];

/// `[result_cache]`: the bounds of the server's result cache and whether sessions start with it
/// on.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// The default of `flinkwire.result_cache` for every session (an environment's
    /// `result_cache` overrides it for its sessions).
    #[serde(default)]
    pub enabled: bool,
    /// Bytes all entries may take together (Arrow buffers and keys); the least recently used
    /// are dropped beyond it. 0 turns the cache off for everyone.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// A result larger than this is sent but not cached.
    #[serde(default = "default_max_entry_bytes")]
    pub max_entry_bytes: u64,
    /// Seconds an entry answers before the query goes to Flink again.
    #[serde(default = "default_ttl_secs")]
    pub ttl_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { enabled: false, max_bytes: default_max_bytes(), max_entry_bytes: default_max_entry_bytes(), ttl_secs: default_ttl_secs() }
    }
}

fn default_max_bytes() -> u64 {
    64 << 20
}

fn default_max_entry_bytes() -> u64 {
    4 << 20
}

fn default_ttl_secs() -> u64 {
    60
}

/// Everything that can change the answer to a cached statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The statement as the client sent it (parameters inlined), trimmed.
    pub sql: String,
    pub cluster: String,
    pub environment: Option<String>,
    /// The startup database (a Flink catalog) and the search path (the Flink database).
    pub database: Option<String>,
    pub search_path: Vec<String>,
    /// The statements that changed the session's gateway state, in order ([`SessionLog`]).
    pub session_log: Arc<str>,
    /// `flinkwire.result_mode` (its name) and `flinkwire.max_rows`.
    pub result_mode: &'static str,
    pub max_rows: u64,
    pub role: Option<String>,
    /// When the session's metadata snapshot was loaded (`None`: not loaded).
    pub snapshot: Option<SystemTime>,
    /// The cache's generation when the key was made ([`ResultCache::invalidate`]).
    pub generation: u64,
}

impl CacheKey {
    fn bytes(&self) -> usize {
        let strings = [Some(&self.sql), Some(&self.cluster), self.environment.as_ref(), self.database.as_ref(), self.role.as_ref()];
        std::mem::size_of::<Self>()
            + strings.iter().flatten().map(|s| s.len()).sum::<usize>()
            + self.search_path.iter().map(|s| s.len() + std::mem::size_of::<String>()).sum::<usize>()
            + self.session_log.len()
    }
}

/// A cached answer: the columns as sent and the batches in order.
#[derive(Debug)]
pub struct Entry {
    pub schema: Arc<ResultSchema>,
    pub batches: Vec<RecordBatch>,
    pub rows: usize,
    bytes: usize,
    stored: Instant,
}

/// The statements that changed one session's gateway state (what the key needs to tell two
/// sessions apart), and what they make uncacheable.
#[derive(Debug, Default)]
pub struct SessionLog {
    text: String,
    /// Too long to be part of keys: the session caches nothing any more.
    overflowed: bool,
    /// The session created a function (which may be non-deterministic) or used a
    /// non-deterministic one in its own DDL: the session caches nothing any more.
    volatile: bool,
    /// Tables the session created on a data-generating connector (lower case).
    generated: HashSet<String>,
    shared: Option<Arc<str>>,
}

/// Longest [`SessionLog`] kept in keys.
const MAX_SESSION_LOG: usize = 64 << 10;

impl SessionLog {
    /// Records a statement that went to the gateway and may have changed the session's state.
    pub fn record(&mut self, sql: &str) {
        let words = words(sql);
        if words.iter().any(|w| is_non_deterministic(w)) || (words.first().is_some_and(|w| w == "CREATE") && words.iter().any(|w| w == "FUNCTION")) {
            self.volatile = true;
        }
        if let Some(table) = generated_table(sql) {
            self.generated.insert(table);
        }
        if self.text.len() + sql.len() + 1 > MAX_SESSION_LOG {
            self.overflowed = true;
            return;
        }
        self.text.push_str(sql);
        self.text.push('\0');
        self.shared = None;
    }

    /// The log for a key; `None` if this session can no longer cache.
    fn key_part(&mut self) -> Option<Arc<str>> {
        if self.overflowed || self.volatile {
            return None;
        }
        Some(self.shared.get_or_insert_with(|| Arc::from(self.text.as_str())).clone())
    }
}

/// What a session knows when it asks whether a statement may be cached.
pub struct KeyParts<'a> {
    pub sql: &'a str,
    pub cluster: &'a str,
    pub environment: Option<&'a str>,
    /// Tables the environment creates on generating connectors (lower case).
    pub environment_generated: &'a [String],
    pub database: Option<&'a str>,
    pub search_path: Vec<String>,
    pub result_mode: &'static str,
    pub max_rows: u64,
    pub role: Option<&'a str>,
    pub snapshot: Option<&'a crate::catalog::MetadataSnapshot>,
}

/// Why a statement is not cached (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAQuery,
    NonDeterministic(String),
    GeneratedTable(String),
    VolatileSession,
}

/// Whether `sql` (as the client sent it) may ever be cached: queries only, no
/// non-deterministic function, no table of the snapshot whose columns or view query call one,
/// no user function, no table on a generating connector.
pub fn refusal(sql: &str, snapshot: Option<&crate::catalog::MetadataSnapshot>, generated: &dyn Fn(&str) -> bool) -> Option<Refusal> {
    let leading = crate::router::leading_words(sql, 1);
    if !matches!(leading.first().map(String::as_str), Some("SELECT" | "WITH" | "VALUES" | "TABLE")) {
        return Some(Refusal::NotAQuery);
    }
    let mut names: HashSet<String> = HashSet::new();
    for word in words(sql) {
        if is_non_deterministic(&word) {
            return Some(Refusal::NonDeterministic(word));
        }
        names.insert(word.to_ascii_lowercase());
    }
    for quoted in quoted_names(sql) {
        names.insert(quoted.to_ascii_lowercase());
    }
    if let Some(name) = names.iter().find(|n| generated(n)) {
        return Some(Refusal::GeneratedTable(name.clone()));
    }
    let snapshot = snapshot?;
    if let Some(f) = snapshot.functions.iter().find(|f| f.kind == crate::catalog::FunctionKind::User && names.contains(&f.name.to_ascii_lowercase())) {
        return Some(Refusal::NonDeterministic(f.name.clone()));
    }
    for table in snapshot.catalogs.iter().flat_map(|c| &c.databases).flat_map(|d| &d.tables) {
        if !names.contains(&table.name.to_ascii_lowercase()) {
            continue;
        }
        let computed = table.columns.iter().filter_map(|c| match &c.kind {
            crate::catalog::ColumnKind::Computed(expr) => Some(expr.as_str()),
            _ => None,
        });
        if let Some(word) = computed.chain(table.view_query.as_deref()).flat_map(words).find(|w| is_non_deterministic(w)) {
            return Some(Refusal::NonDeterministic(format!("{} ({word})", table.name)));
        }
    }
    None
}

/// Whether the SQL sent to Flink for a statement [`refusal`] admitted calls a non-deterministic
/// function the translation brought in (PostgreSQL's one-argument `age` reads the clock).
pub fn translation_refusal(flink_sql: &str) -> Option<Refusal> {
    words(flink_sql).into_iter().find(|w| is_non_deterministic(w)).map(Refusal::NonDeterministic)
}

fn is_non_deterministic(word: &str) -> bool {
    NON_DETERMINISTIC.binary_search(&word.to_ascii_uppercase().as_str()).is_ok()
}

/// The words of `sql` outside literals, quoted identifiers and comments, upper case.
fn words(sql: &str) -> Vec<String> {
    crate::router::tokens(sql)
        .into_iter()
        .filter_map(|t| match t {
            crate::router::Token::Word(w) => Some(w.to_ascii_uppercase()),
            _ => None,
        })
        .collect()
}

/// Quoted identifiers of `sql` (double quotes or backticks), unquoted.
fn quoted_names(sql: &str) -> Vec<String> {
    crate::router::tokens(sql)
        .into_iter()
        .filter_map(|t| match t {
            crate::router::Token::Quoted(q) if q.len() >= 2 && (q.starts_with('"') || q.starts_with('`')) => {
                let quote = &q[..1];
                Some(q[1..q.len() - 1].replace(&quote.repeat(2), quote))
            }
            _ => None,
        })
        .collect()
}

/// The table a `CREATE [TEMPORARY] TABLE name … 'connector' = 'datagen'` creates (its last name
/// part, lower case); `None` for any other statement.
pub fn generated_table(sql: &str) -> Option<String> {
    let tokens = crate::router::tokens(sql);
    let mut words = tokens.iter().filter_map(|t| match t {
        crate::router::Token::Word(w) => Some(w.to_ascii_uppercase()),
        _ => None,
    });
    if words.next().as_deref() != Some("CREATE") {
        return None;
    }
    let generating = tokens.windows(3).any(|w| match w {
        [crate::router::Token::Quoted(k), crate::router::Token::Equals, crate::router::Token::Quoted(v)] => {
            k.eq_ignore_ascii_case("'connector'") && GENERATING_CONNECTORS.iter().any(|c| v.eq_ignore_ascii_case(&format!("'{c}'")))
        }
        _ => false,
    });
    if !generating {
        return None;
    }
    // The name: the tokens after TABLE [IF NOT EXISTS], up to the first that is not a name part.
    let start = tokens.iter().position(|t| matches!(t, crate::router::Token::Word(w) if w.eq_ignore_ascii_case("TABLE")))? + 1;
    let mut last = None;
    for token in &tokens[start..] {
        match token {
            crate::router::Token::Word(w) if ["IF", "NOT", "EXISTS"].iter().any(|k| w.eq_ignore_ascii_case(k)) && last.is_none() => {}
            crate::router::Token::Word(w) => last = Some(w.to_string()),
            crate::router::Token::Quoted(q) if q.len() >= 2 && !q.starts_with('\'') => last = Some(q[1..q.len() - 1].to_owned()),
            crate::router::Token::Dot => {}
            _ => break,
        }
    }
    last.map(|n| n.to_ascii_lowercase())
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<CacheKey, (Arc<Entry>, u64)>,
    /// Use order: tick → key, oldest first.
    order: BTreeMap<u64, CacheKey>,
    tick: u64,
    bytes: usize,
}

/// The server's result cache.
#[derive(Debug)]
pub struct ResultCache {
    config: CacheConfig,
    inner: Mutex<Inner>,
    generation: AtomicU64,
    pub counters: CacheCounters,
}

impl ResultCache {
    pub fn new(config: &CacheConfig) -> Self {
        Self { config: config.clone(), inner: Mutex::default(), generation: AtomicU64::new(0), counters: CacheCounters::default() }
    }

    /// Whether sessions of an environment with this `result_cache` setting start with the
    /// cache on.
    pub fn enabled_by_default(&self, environment: Option<bool>) -> bool {
        environment.unwrap_or(self.config.enabled)
    }

    /// Whether the cache can hold anything at all.
    pub fn is_usable(&self) -> bool {
        self.config.max_bytes > 0 && self.config.max_entry_bytes > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key for a statement, or why it is not cached.
    pub fn key(&self, parts: KeyParts<'_>, log: &mut SessionLog) -> Result<CacheKey, Refusal> {
        let session_log = log.key_part().ok_or(Refusal::VolatileSession)?;
        let generated = |name: &str| {
            log.generated.contains(name) || parts.environment_generated.iter().any(|t| t == name)
        };
        if let Some(refusal) = refusal(parts.sql, parts.snapshot, &generated) {
            return Err(refusal);
        }
        Ok(CacheKey {
            sql: parts.sql.trim().to_owned(),
            cluster: parts.cluster.to_owned(),
            environment: parts.environment.map(str::to_owned),
            database: parts.database.map(str::to_owned),
            search_path: parts.search_path,
            session_log,
            result_mode: parts.result_mode,
            max_rows: parts.max_rows,
            role: parts.role.map(str::to_owned),
            snapshot: parts.snapshot.map(|s| s.loaded_at),
            generation: self.generation.load(Ordering::Acquire),
        })
    }

    /// The entry for `key` if it is there and fresh.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<Entry>> {
        let ttl = Duration::from_secs(self.config.ttl_secs);
        let mut inner = self.lock();
        let (entry, tick) = inner.entries.get(key).map(|(e, t)| (e.clone(), *t))?;
        if entry.stored.elapsed() >= ttl || key.generation != self.generation.load(Ordering::Acquire) {
            inner.remove(key);
            self.counters.evicted("expired", 1);
            return None;
        }
        inner.tick += 1;
        let now = inner.tick;
        inner.order.remove(&tick);
        inner.order.insert(now, key.clone());
        if let Some(slot) = inner.entries.get_mut(key) {
            slot.1 = now;
        }
        Some(entry)
    }

    /// Starts recording the answer to `key` as it is sent.
    pub fn recorder(self: &Arc<Self>, key: CacheKey) -> Recorder {
        let bytes = key.bytes();
        Recorder { cache: self.clone(), key, batches: Vec::new(), bytes, rows: 0 }
    }

    /// Stores a complete answer (unless the cache moved to a newer generation meanwhile).
    fn store(&self, key: CacheKey, schema: Arc<ResultSchema>, batches: Vec<RecordBatch>, rows: usize, bytes: usize) {
        let max = usize::try_from(self.config.max_bytes).unwrap_or(usize::MAX);
        if bytes > max || key.generation != self.generation.load(Ordering::Acquire) {
            return;
        }
        let entry = Arc::new(Entry { schema, batches, rows, bytes, stored: Instant::now() });
        let mut inner = self.lock();
        inner.remove(&key);
        while inner.bytes + bytes > max {
            let Some((_, oldest)) = inner.order.pop_first() else { break };
            inner.remove(&oldest);
            self.counters.evicted("lru", 1);
        }
        inner.tick += 1;
        let tick = inner.tick;
        inner.order.insert(tick, key.clone());
        inner.entries.insert(key, (entry, tick));
        inner.bytes += bytes;
        self.counters.stored();
    }

    /// DDL or a job went through flinkwire: every entry may be stale (catalogs can be shared by
    /// clusters, jobs write tables), and answers still being recorded must not be stored.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut inner = self.lock();
        let dropped = inner.entries.len() as u64;
        *inner = Inner::default();
        self.counters.evicted("invalidated", dropped);
    }

    /// Entries and the bytes they take.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

impl Inner {
    fn remove(&mut self, key: &CacheKey) {
        if let Some((entry, tick)) = self.entries.remove(key) {
            self.order.remove(&tick);
            self.bytes = self.bytes.saturating_sub(entry.bytes);
        }
    }
}

/// Collects the batches of one answer as they are sent; [`Recorder::add`] refuses once they
/// pass `max_entry_bytes` (and the recorder is dropped, releasing them).
#[derive(Debug)]
pub struct Recorder {
    cache: Arc<ResultCache>,
    key: CacheKey,
    batches: Vec<RecordBatch>,
    bytes: usize,
    rows: usize,
}

impl Recorder {
    /// Keeps a batch (it shares the sent batch's buffers); `false` once the answer is too large.
    pub fn add(&mut self, batch: &RecordBatch) -> bool {
        self.bytes += batch.get_array_memory_size();
        if self.bytes as u64 > self.cache.config.max_entry_bytes {
            self.cache.counters.too_large();
            return false;
        }
        self.rows += batch.num_rows();
        self.batches.push(batch.clone());
        true
    }

    /// The answer was sent to its end: store it.
    pub fn finish(self, schema: Arc<ResultSchema>) {
        self.cache.store(self.key, schema, self.batches, self.rows, self.bytes);
    }
}

/// The key parts of `sql` in a plain session of cluster `default` (for tests).
#[cfg(test)]
pub(crate) fn plain_parts(sql: &str) -> KeyParts<'_> {
    KeyParts {
        sql,
        cluster: "default",
        environment: None,
        environment_generated: &[],
        database: None,
        search_path: vec![],
        result_mode: "auto",
        max_rows: 0,
        role: None,
        snapshot: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::plain_parts as parts;

    fn key(sql: &str, generation: u64) -> CacheKey {
        CacheKey {
            sql: sql.into(),
            cluster: "default".into(),
            environment: None,
            database: None,
            search_path: vec![],
            session_log: Arc::from(""),
            result_mode: "auto",
            max_rows: 0,
            role: None,
            snapshot: None,
            generation,
        }
    }


    fn schema() -> Arc<ResultSchema> {
        let columns: Vec<flinkwire_protocol::rest::ColumnInfo> = serde_json::from_value(serde_json::json!([
            {"name": "n", "logicalType": {"type": "INTEGER", "nullable": false}, "comment": null}
        ]))
        .unwrap();
        Arc::new(ResultSchema::from_columns(&columns).unwrap())
    }

    fn batch(rows: i32) -> RecordBatch {
        let column: arrow_array::ArrayRef = Arc::new(arrow_array::Int32Array::from((0..rows).collect::<Vec<_>>()));
        RecordBatch::try_from_iter([("n", column)]).unwrap()
    }

    fn cache(max_bytes: u64, max_entry_bytes: u64, ttl_secs: u64) -> Arc<ResultCache> {
        Arc::new(ResultCache::new(&CacheConfig { enabled: true, max_bytes, max_entry_bytes, ttl_secs }))
    }

    #[test]
    fn the_list_is_sorted_for_binary_search() {
        assert!(NON_DETERMINISTIC.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn non_deterministic_statements_are_refused_outside_literals_only() {
        let none = |_: &str| false;
        for sql in [
            "SELECT NOW()",
            "select now()",
            "SELECT CURRENT_TIMESTAMP",
            "SELECT a FROM t WHERE ts > current_date - INTERVAL '1' DAY",
            "SELECT RAND(), 1",
            "SELECT uuid()",
            "SELECT UNIX_TIMESTAMP()",
            "WITH x AS (SELECT PROCTIME() AS p) SELECT * FROM x",
            "SELECT random()",
        ] {
            assert!(matches!(refusal(sql, None, &none), Some(Refusal::NonDeterministic(_))), "{sql}");
        }
        for sql in ["SELECT 'now()' AS s", "SELECT \"now\" FROM t", "SELECT `rand` FROM t", "SELECT a -- now()\nFROM t", "SELECT a /* NOW() */ FROM t"] {
            assert_eq!(refusal(sql, None, &none), None, "{sql}");
        }
        // The translation counts too.
        assert_eq!(translation_refusal("SELECT x(CURRENT_DATE, ts) FROM t"), Some(Refusal::NonDeterministic("CURRENT_DATE".into())));
        assert_eq!(translation_refusal("SELECT `now` FROM t"), None);
        for sql in ["SHOW TABLES", "EXPLAIN SELECT 1", "INSERT INTO t SELECT 1", "SET", "DESCRIBE t"] {
            assert_eq!(refusal(sql, None, &none), Some(Refusal::NotAQuery), "{sql}");
        }
    }

    #[test]
    fn tables_on_generating_connectors_are_found_by_name() {
        assert_eq!(generated_table("CREATE TEMPORARY TABLE IF NOT EXISTS `db`.`Clicks` (a INT) WITH ('connector' = 'datagen')").as_deref(), Some("clicks"));
        assert_eq!(generated_table("create table c.d.gen (a INT) with ('CONNECTOR'='DataGen', 'number-of-rows' = '5')").as_deref(), Some("gen"));
        assert_eq!(generated_table("CREATE TABLE f (a INT) WITH ('connector' = 'filesystem')"), None);
        assert_eq!(generated_table("SELECT * FROM t WHERE 'connector' = 'datagen'"), None);
        let generated = |n: &str| n == "clicks";
        assert_eq!(refusal("SELECT * FROM Clicks", None, &generated), Some(Refusal::GeneratedTable("clicks".into())));
        assert_eq!(refusal("SELECT * FROM `clicks`", None, &generated), Some(Refusal::GeneratedTable("clicks".into())));
        assert_eq!(refusal("SELECT * FROM orders", None, &generated), None);
    }

    #[test]
    fn keys_tell_sessions_settings_and_statements_apart() {
        let cache = cache(1 << 20, 1 << 20, 60);
        let mut log = SessionLog::default();
        let a = cache.key(parts("SELECT * FROM orders "), &mut log).unwrap();
        assert_eq!(a.sql, "SELECT * FROM orders", "surrounding whitespace is trimmed");
        // Nothing inside the statement is normalized: literals and quoted names keep their case.
        let b = cache.key(parts("SELECT * FROM orders WHERE s = 'A'"), &mut log).unwrap();
        let c = cache.key(parts("SELECT * FROM orders WHERE s = 'a'"), &mut log).unwrap();
        assert_ne!(b, c);
        log.record("SET 'table.local-time-zone' = 'Europe/Berlin'");
        let after_set = cache.key(parts("SELECT * FROM orders"), &mut log).unwrap();
        assert_ne!(a, after_set, "a SET through flinkwire changes the key");
        let mut other = SessionLog::default();
        other.record("SET 'table.local-time-zone' = 'UTC'");
        assert_ne!(after_set, cache.key(parts("SELECT * FROM orders"), &mut other).unwrap());
        let mut same = SessionLog::default();
        same.record("SET 'table.local-time-zone' = 'Europe/Berlin'");
        assert_eq!(after_set, cache.key(parts("SELECT * FROM orders"), &mut same).unwrap(), "the same history, the same key");
        let changelog = KeyParts { result_mode: "changelog", ..parts("SELECT * FROM orders") };
        assert_ne!(after_set, cache.key(changelog, &mut same).unwrap());
        let limited = KeyParts { max_rows: 10, ..parts("SELECT * FROM orders") };
        assert_ne!(after_set, cache.key(limited, &mut same).unwrap());
        let role = KeyParts { role: Some("bi"), ..parts("SELECT * FROM orders") };
        assert_ne!(after_set, cache.key(role, &mut same).unwrap());
        // A session that created a function or used NOW() in its DDL caches nothing.
        same.record("CREATE TEMPORARY VIEW v AS SELECT NOW() AS t");
        assert_eq!(cache.key(parts("SELECT * FROM orders"), &mut same), Err(Refusal::VolatileSession));
        let mut functions = SessionLog::default();
        functions.record("CREATE TEMPORARY FUNCTION f AS 'com.example.F'");
        assert_eq!(cache.key(parts("SELECT 1"), &mut functions), Err(Refusal::VolatileSession));
        // Tables the session made on datagen are refused by name.
        let mut gen = SessionLog::default();
        gen.record("CREATE TEMPORARY TABLE g (a INT) WITH ('connector' = 'datagen')");
        assert_eq!(cache.key(parts("SELECT * FROM g"), &mut gen), Err(Refusal::GeneratedTable("g".into())));
        let env = ["clicks".to_owned()];
        let with_env = KeyParts { environment_generated: &env, ..parts("SELECT * FROM clicks") };
        assert_eq!(cache.key(with_env, &mut SessionLog::default()), Err(Refusal::GeneratedTable("clicks".into())));
    }

    #[test]
    fn entries_answer_until_ttl_and_invalidation() {
        let cache = cache(1 << 20, 1 << 20, 60);
        let mut recorder = cache.recorder(key("q", 0));
        assert!(recorder.add(&batch(3)));
        recorder.finish(schema());
        let hit = cache.get(&key("q", 0)).expect("a hit");
        assert_eq!((hit.rows, hit.batches.len()), (3, 1));
        assert!(cache.get(&key("other", 0)).is_none());
        // An answer recorded across an invalidation is not stored.
        let mut late = cache.recorder(key("late", 0));
        cache.invalidate();
        assert!(cache.get(&key("q", 0)).is_none());
        assert!(late.add(&batch(1)));
        late.finish(schema());
        assert!(cache.get(&key("late", 0)).is_none() && cache.get(&key("late", 1)).is_none());
        assert_eq!(cache.size(), (0, 0));

        let expired = self::cache(1 << 20, 1 << 20, 0);
        let recorder = expired.recorder(key("q", 0));
        recorder.finish(schema());
        assert!(expired.get(&key("q", 0)).is_none(), "ttl 0: never answers");
    }

    #[test]
    fn memory_is_bounded_per_entry_and_in_total() {
        let one = batch(1000).get_array_memory_size();
        let cache = cache((3 * one + 3 * 1024) as u64, (one + 1024) as u64, 60);
        let mut big = cache.recorder(key("big", 0));
        assert!(big.add(&batch(1000)));
        assert!(!big.add(&batch(1000)), "past max_entry_bytes");
        assert_eq!(cache.counters.counts("lru").1, 1);
        for name in ["a", "b", "c", "d"] {
            let mut r = cache.recorder(key(name, 0));
            assert!(r.add(&batch(1000)));
            r.finish(schema());
            if name == "b" {
                assert!(cache.get(&key("a", 0)).is_some(), "a is used: b is older now");
            }
        }
        let (entries, bytes) = cache.size();
        assert!(bytes <= 3 * one + 3 * 1024, "{bytes}");
        assert_eq!(entries, 3);
        assert!(cache.get(&key("b", 0)).is_none(), "the least recently used went first");
        assert!(cache.get(&key("a", 0)).is_some() && cache.get(&key("d", 0)).is_some());
        assert_eq!(cache.counters.counts("lru"), (4, 1, 1));
    }
}

//! Roles and statement policy (docs/security.md, "Roles and statement policy").
//!
//! - [`config`]: `[roles.NAME]`.
//! - [`classify`]: what a statement does (a Flink-aware scan; unknown = refused).
//! - [`Policy`]: the compiled roles, the users' roles and who started which job; shared by
//!   every connection. [`Access`]: what one connection may do.
//!
//! The gate is [`crate::session::ClientSession::run`]: every statement that reaches Flink
//! passes it, whichever protocol path sent it (simple query, extended protocol, cursors,
//! COPY). PostgreSQL session commands never reach Flink; their limits are the result settings'
//! (`crate::results::settings::SettingLimits`). Startup options are checked at connect.

pub mod classify;
pub mod config;
pub mod glob;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

pub use classify::{classify, Class, Statement};
pub use config::RoleConfig;

/// Flink keys no role but admin may `SET`, whatever its `set_keys` say: they load code, point
/// the session at another cluster, or read and write files.
pub const NEVER_SET: &[&str] = &[
    "pipeline.jars",
    "pipeline.classpaths",
    "pipeline.cached-files",
    "python.*",
    "rest.*",
    "execution.target",
    "jobmanager.*",
    "taskmanager.*",
    "kubernetes.*",
    "yarn.*",
    "high-availability*",
    "security.*",
    "env.*",
    "classloader.*",
    "sql-gateway.*",
    "table.resources.download-dir",
    "execution.savepoint.path",
    "state.checkpoints.dir",
    "state.savepoints.dir",
    "execution.checkpointing.dir",
    "execution.checkpointing.savepoint-dir",
    "table.dynamic-table-options.enabled",
];

/// The name of the role that users without `role` get when roles are configured.
pub const DEFAULT_ROLE: &str = "default";

/// A refused statement or startup: 42501, naming the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("permission denied: {message} (rule: {rule})")]
pub struct Denied {
    /// The configuration key or policy rule that refused it (`roles.bi.read_only`).
    pub rule: String,
    pub message: String,
}

impl Denied {
    fn new(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self { rule: rule.into(), message: message.into() }
    }

    /// The SQLSTATE: insufficient_privilege.
    pub const SQLSTATE: &'static str = "42501";

    /// As the error a statement answers with.
    pub fn into_refusal(self) -> crate::dialect::Refusal {
        crate::dialect::Refusal {
            sqlstate: flinkwire_protocol::sqlstate::SqlState(Self::SQLSTATE),
            message: self.to_string(),
        }
    }
}

/// A compiled role.
#[derive(Debug)]
pub struct Role {
    pub name: String,
    pub config: RoleConfig,
    /// `max_concurrent_queries` over all connections of the role.
    running: Option<Arc<tokio::sync::Semaphore>>,
}

/// Who started which Flink job (for `STOP JOB`); the newest [`JobOwners::CAPACITY`] jobs.
#[derive(Debug, Default)]
pub struct JobOwners {
    owners: Mutex<(HashMap<String, String>, VecDeque<String>)>,
}

impl JobOwners {
    const CAPACITY: usize = 100_000;

    pub fn record(&self, job: &str, user: &str) {
        let mut guard = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        let (owners, order) = &mut *guard;
        if owners.insert(job.to_owned(), user.to_owned()).is_none() {
            order.push_back(job.to_owned());
        }
        while order.len() > Self::CAPACITY {
            if let Some(old) = order.pop_front() {
                owners.remove(&old);
            }
        }
    }

    pub fn owner(&self, job: &str) -> Option<String> {
        self.owners.lock().unwrap_or_else(|p| p.into_inner()).0.get(job).cloned()
    }
}

/// The roles, the users' roles and the job owners; one per server.
#[derive(Debug, Default)]
pub struct Policy {
    roles: BTreeMap<String, Arc<Role>>,
    user_roles: HashMap<String, String>,
    pub jobs: JobOwners,
}

impl Policy {
    /// Compiles the configured roles (already validated by `Config::load`).
    pub fn new(config: &crate::config::Config) -> Self {
        let roles = config
            .roles
            .iter()
            .map(|(name, role)| {
                let running = role.max_concurrent_queries.map(|n| Arc::new(tokio::sync::Semaphore::new(n)));
                (name.clone(), Arc::new(Role { name: name.clone(), config: role.clone(), running }))
            })
            .collect();
        let user_roles = config.users.iter().filter_map(|u| Some((u.name.clone(), u.role.clone()?))).collect();
        Self { roles, user_roles, jobs: JobOwners::default() }
    }

    /// What `user` may do. No roles configured: everything (as before roles existed). Roles
    /// configured: the user's role, else the role called [`DEFAULT_ROLE`], else the login is
    /// refused (fail closed).
    pub fn access(&self, user: &str) -> Result<Access, Denied> {
        if self.roles.is_empty() {
            return Ok(Access::Unrestricted);
        }
        let name = self.user_roles.get(user).map(String::as_str).unwrap_or(DEFAULT_ROLE);
        match self.roles.get(name) {
            Some(role) => Ok(Access::Role(role.clone())),
            None => Err(Denied::new(
                "users.role",
                format!("user \"{user}\" has no role, and no role \"{DEFAULT_ROLE}\" is configured"),
            )),
        }
    }
}

/// What one connection may do.
#[derive(Debug, Clone, Default)]
pub enum Access {
    /// No roles are configured: everything.
    #[default]
    Unrestricted,
    Role(Arc<Role>),
}

/// What the policy needs to know about the session besides the statement.
pub struct Context<'a> {
    pub user: &'a str,
    /// The session's current Flink catalog, if known.
    pub current_catalog: Option<&'a str>,
    /// The statement is answered by the pg_catalog emulation (which shows allowed catalogs only).
    pub emulated: bool,
    pub jobs: &'a JobOwners,
}

/// A permit for one running statement; the role's slot is free again when it is dropped.
pub type QueryPermit = Option<tokio::sync::OwnedSemaphorePermit>;

impl Access {
    /// The role, `None` when unrestricted.
    pub fn role(&self) -> Option<&Arc<Role>> {
        match self {
            Self::Unrestricted => None,
            Self::Role(role) => Some(role),
        }
    }

    fn restricted(&self) -> Option<&Arc<Role>> {
        self.role().filter(|r| !r.config.admin)
    }

    /// Whether the role may use `catalog` (case-insensitively, like Flink's catalog names).
    pub fn allows_catalog(&self, catalog: &str) -> bool {
        match self.restricted() {
            Some(role) if !role.config.catalogs.is_empty() => role.config.catalogs.iter().any(|c| c.eq_ignore_ascii_case(catalog)),
            _ => true,
        }
    }

    /// The catalogs the role is limited to (empty = all).
    pub fn catalogs(&self) -> &[String] {
        self.restricted().map_or(&[], |r| &r.config.catalogs)
    }

    /// Whether the role may connect to `cluster`.
    pub fn check_cluster(&self, cluster: &str) -> Result<(), Denied> {
        let Some(role) = self.role() else { return Ok(()) };
        if role.config.clusters.is_empty() || role.config.clusters.iter().any(|c| c == cluster) {
            return Ok(());
        }
        Err(Denied::new(format!("roles.{}.clusters", role.name), format!("role \"{}\" may not use cluster \"{cluster}\"", role.name)))
    }

    /// Startup `options` (`-c name=value`): PostgreSQL parameters and the `flinkwire.*` keys
    /// flinkwire knows; for a restricted role nothing else (no Flink key).
    pub fn check_startup_option(&self, name: &str) -> Result<(), Denied> {
        let Some(role) = self.restricted() else { return Ok(()) };
        let lower = name.to_ascii_lowercase();
        let flinkwire_key = matches!(lower.as_str(), "flinkwire.cluster" | "flinkwire.result_mode" | "flinkwire.max_rows" | "flinkwire.result_cache");
        let postgres = !lower.contains('.') && crate::local::settings::is_local_parameter(name);
        if flinkwire_key || postgres {
            return Ok(());
        }
        Err(Denied::new(
            format!("roles.{}.startup_options", role.name),
            format!("role \"{}\" may set only PostgreSQL parameters and flinkwire.* keys at startup, not \"{name}\"", role.name),
        ))
    }

    /// The statement's decision.
    pub fn decide(&self, statement: &Statement, ctx: &Context<'_>) -> Result<(), Denied> {
        let Some(role) = self.restricted() else { return Ok(()) };
        role.decide(statement, ctx)
    }

    /// Takes one of the role's `max_concurrent_queries` slots; 53400 when none is free.
    pub fn begin_query(&self) -> Result<QueryPermit, TooManyQueries> {
        let Some(role) = self.role() else { return Ok(None) };
        let Some(running) = &role.running else { return Ok(None) };
        running.clone().try_acquire_owned().map(Some).map_err(|_| TooManyQueries {
            role: role.name.clone(),
            max: role.config.max_concurrent_queries.unwrap_or_default(),
        })
    }
}

/// The role's `max_concurrent_queries` are all running.
#[derive(Debug, Clone, thiserror::Error)]
#[error("too many concurrent queries for role \"{role}\": {max} are running (roles.{role}.max_concurrent_queries)")]
pub struct TooManyQueries {
    pub role: String,
    pub max: usize,
}

impl Role {
    fn rule(&self, key: &str) -> String {
        format!("roles.{}.{key}", self.name)
    }

    fn deny(&self, key: &str, what: &str) -> Denied {
        Denied::new(self.rule(key), format!("role \"{}\" may not run {what}", self.name))
    }

    fn decide(&self, statement: &Statement, ctx: &Context<'_>) -> Result<(), Denied> {
        let c = &self.config;
        if statement.options_hint {
            return Err(self.deny("admin", "statements with OPTIONS(…) table hints (they override connector options)"));
        }
        self.check_catalogs(statement, ctx)?;
        let writes = || if c.read_only { Err(self.deny("read_only", "statements that change anything")) } else { Ok(()) };
        let jobs = || {
            writes()?;
            if c.allow_jobs {
                Ok(())
            } else {
                Err(self.deny("allow_jobs", "statements that submit jobs (INSERT, statement sets, CTAS, DELETE, UPDATE, TRUNCATE, ANALYZE)"))
            }
        };
        match &statement.class {
            Class::Empty | Class::Read | Class::Session | Class::Reset | Class::UseCatalog(_) | Class::UseDatabase => Ok(()),
            Class::Declare(inner) | Class::Copy(inner) => {
                self.decide(&Statement { class: (**inner).clone(), ..statement.clone() }, ctx)
            }
            Class::ShowCreate => Err(self.deny("admin", "SHOW CREATE (table options may hold credentials)")),
            Class::SetKey(key) => self.check_set_key(key),
            Class::Job => jobs(),
            Class::CreateTable { as_query } => {
                writes()?;
                if *as_query {
                    jobs()?;
                }
                if statement.connectors.is_empty() && !self.config.connectors.iter().any(|c| c == "*") {
                    return Err(Denied::new(
                        self.rule("connectors"),
                        format!("role \"{}\" may not create tables that name no connector (LIKE, catalog-managed tables) unless its connectors include \"*\"", self.name),
                    ));
                }
                self.check_connectors(&statement.connectors)
            }
            Class::Ddl => {
                writes()?;
                self.check_connectors(&statement.connectors)
            }
            Class::TableOptions => Err(self.deny("admin", "ALTER TABLE … SET/RESET of table options")),
            Class::Function => Err(self.deny("admin", "CREATE/DROP/ALTER FUNCTION")),
            Class::Jar => Err(self.deny("admin", "ADD JAR / REMOVE JAR")),
            Class::Module => Err(self.deny("admin", "LOAD MODULE / UNLOAD MODULE / USE MODULES")),
            Class::Call => Err(self.deny("admin", "CALL")),
            Class::Catalog => Err(self.deny("admin", "CREATE/DROP/ALTER CATALOG")),
            Class::Plan => Err(self.deny("admin", "COMPILE PLAN / EXECUTE PLAN")),
            Class::StopJob(job) => {
                if c.read_only {
                    return Err(self.deny("read_only", "STOP JOB"));
                }
                if !c.allow_jobs {
                    return Err(self.deny("allow_jobs", "STOP JOB"));
                }
                match ctx.jobs.owner(job) {
                    Some(owner) if owner == ctx.user => Ok(()),
                    _ => Err(Denied::new(
                        self.rule("allow_jobs"),
                        format!("user \"{}\" may stop only the jobs it started through flinkwire; job {job} is not one", ctx.user),
                    )),
                }
            }
            Class::Unknown => Err(Denied::new(
                "policy.unrecognized",
                format!("role \"{}\" may run only statements flinkwire recognizes; this one is not (fail closed)", self.name),
            )),
        }
    }

    fn check_set_key(&self, key: &str) -> Result<(), Denied> {
        if NEVER_SET.iter().any(|p| glob::matches(p, key)) {
            return Err(Denied::new(
                "policy.never_set",
                format!("role \"{}\" may not SET '{key}': it loads code, reaches files or other clusters (admin only)", self.name),
            ));
        }
        if self.config.set_keys.iter().any(|p| glob::matches(p, key)) {
            return Ok(());
        }
        Err(Denied::new(self.rule("set_keys"), format!("role \"{}\" may not SET '{key}'", self.name)))
    }

    fn check_connectors(&self, connectors: &[String]) -> Result<(), Denied> {
        let allowed = &self.config.connectors;
        let any = allowed.iter().any(|c| c == "*");
        for connector in connectors {
            if !any && !allowed.iter().any(|a| a.eq_ignore_ascii_case(connector)) {
                return Err(Denied::new(
                    self.rule("connectors"),
                    format!("role \"{}\" may not create tables with connector '{connector}'", self.name),
                ));
            }
        }
        Ok(())
    }

    fn check_catalogs(&self, statement: &Statement, ctx: &Context<'_>) -> Result<(), Denied> {
        let allowed = &self.config.catalogs;
        if allowed.is_empty() || matches!(statement.class, Class::Empty | Class::Session) {
            return Ok(());
        }
        let ok = |c: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(c));
        let deny = |c: &str| {
            Denied::new(self.rule("catalogs"), format!("role \"{}\" may not use catalog \"{c}\"", self.name))
        };
        if let Some(c) = statement.catalogs.iter().find(|c| !ok(c)) {
            return Err(deny(c));
        }
        // Unqualified names resolve in the current catalog; `USE CATALOG` of an allowed one
        // is how to leave a catalog that is not.
        let leaves = matches!(statement.class, Class::UseCatalog(_)) || matches!(statement.class, Class::UseDatabase if !statement.catalogs.is_empty());
        if !ctx.emulated && !leaves {
            match ctx.current_catalog {
                Some(current) if !ok(current) => return Err(deny(current)),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// What the server enforces and records, shared by every connection: the policy and the audit
/// log (`crate::audit`).
#[derive(Debug, Clone, Default)]
pub struct Security {
    pub policy: Arc<Policy>,
    pub audit: Arc<crate::audit::AuditLog>,
}

impl Security {
    /// The compiled roles and the opened audit log; fails when the audit file cannot be opened.
    pub fn new(config: &crate::config::Config) -> std::io::Result<Self> {
        Ok(Self { policy: Arc::new(Policy::new(config)), audit: Arc::new(crate::audit::AuditLog::open(&config.audit)?) })
    }
}

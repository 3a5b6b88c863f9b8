//! `pg_stat_activity`, `pg_backend_pid()`, `pg_cancel_backend(pid)` and
//! `pg_terminate_backend(pid)`, answered from the server's [`Activity`] (DBeaver's and pgAdmin's
//! session managers, `psql` one-liners).
//!
//! The emulation's contexts are shared by every session, so the table reads who is asking from
//! the query's own session state ([`LiveView`], a DataFusion config extension set on the
//! per-query overlay); the functions are registered on that overlay. Answers that read these
//! are never cached (`is_live`).
//!
//! Visibility and permissions follow PostgreSQL: every connection is listed, but the details
//! of another user's (query, client address, times, job) show only to an admin role, as
//! `<insufficient privilege>` / NULL otherwise; a user may cancel or terminate its own
//! connections, an admin any.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

use crate::activity::{Activity, Backend};

/// Who is asking, and the server's connections: what the live relations and functions need.
#[derive(Debug, Clone)]
pub struct LiveView {
    pub activity: Arc<Activity>,
    pub viewer: Viewer,
}

/// The connection running the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user: String,
    pub pid: i32,
    /// An admin role sees and signals every connection.
    pub admin: bool,
}

impl Viewer {
    fn may_see(&self, backend: &Backend) -> bool {
        self.admin || backend.info.user == self.user
    }
}

/// Whether `sql` reads something live (never answered from the answer cache).
pub fn is_live(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    [
        "pg_stat_activity",
        "pg_cancel_backend",
        "pg_terminate_backend",
    ]
    .iter()
    .any(|name| lower.contains(name))
}

/// Whether `sql` asks for the connection's own pid (its answer is cached per connection).
pub fn reads_backend_pid(sql: &str) -> bool {
    sql.to_ascii_lowercase().contains("pg_backend_pid")
}

/// Why a signal function refused: 42501, in PostgreSQL's words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("permission denied to {action}")]
pub struct SignalDenied {
    action: &'static str,
    pub detail: String,
}

/// `pg_catalog.pg_stat_activity`.
#[derive(Debug)]
pub struct StatActivity {
    schema: SchemaRef,
}

impl Default for StatActivity {
    fn default() -> Self {
        let text = |name: &str| Field::new(name, DataType::Utf8, true);
        let int = |name: &str| Field::new(name, DataType::Int32, true);
        let time = |name: &str| {
            Field::new(
                name,
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            )
        };
        // PostgreSQL 15's columns in its order, then flinkwire's.
        let schema = Schema::new(vec![
            int("datid"),
            text("datname"),
            int("pid"),
            int("leader_pid"),
            int("usesysid"),
            text("usename"),
            text("application_name"),
            text("client_addr"),
            text("client_hostname"),
            int("client_port"),
            time("backend_start"),
            time("xact_start"),
            time("query_start"),
            time("state_change"),
            text("wait_event_type"),
            text("wait_event"),
            text("state"),
            text("backend_xid"),
            text("backend_xmin"),
            Field::new("query_id", DataType::Int64, true),
            text("query"),
            text("backend_type"),
            text("cluster"),
            text("flink_job_id"),
        ]);
        Self {
            schema: Arc::new(schema),
        }
    }
}

impl StatActivity {
    fn batch(&self, live: Option<&LiveView>) -> Result<RecordBatch> {
        let backends = live.map(|l| l.activity.backends()).unwrap_or_default();
        let visible: Vec<(Arc<Backend>, bool)> = backends
            .into_iter()
            .map(|b| {
                let shown = live.is_some_and(|l| l.viewer.may_see(&b));
                (b, shown)
            })
            .collect();
        let rows: Vec<_> = visible
            .iter()
            .map(|(b, shown)| (b, *shown, b.now()))
            .collect();
        let text =
            |f: &dyn Fn(&Backend, bool, &crate::activity::Now) -> Option<String>| -> ArrayRef {
                Arc::new(StringArray::from(
                    rows.iter().map(|(b, s, n)| f(b, *s, n)).collect::<Vec<_>>(),
                ))
            };
        let int = |f: &dyn Fn(&Backend, bool) -> Option<i32>| -> ArrayRef {
            Arc::new(Int32Array::from(
                rows.iter().map(|(b, s, _)| f(b, *s)).collect::<Vec<_>>(),
            ))
        };
        let time = |f: &dyn Fn(
            &Backend,
            bool,
            &crate::activity::Now,
        ) -> Option<chrono::DateTime<chrono::Utc>>|
         -> ArrayRef {
            let micros: Vec<_> = rows
                .iter()
                .map(|(b, s, n)| f(b, *s, n).map(|t| t.timestamp_micros()))
                .collect();
            Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
        };
        let nothing = |_: &Backend, _: bool, _: &crate::activity::Now| None::<String>;
        let columns: Vec<ArrayRef> = vec![
            int(&|_, _| None),
            text(&|b, _, _| b.info.database.clone()),
            int(&|b, _| Some(b.pid)),
            int(&|_, _| None),
            int(&|_, _| None),
            text(&|b, _, _| Some(b.info.user.clone())),
            text(&|_, _, n| Some(n.application_name.clone())),
            text(&|b, s, _| s.then(|| b.info.client.ip().to_string())),
            text(&nothing),
            int(&|b, s| s.then(|| i32::from(b.info.client.port()))),
            time(&|b, s, _| s.then_some(b.info.started)),
            time(&|_, s, n| if s { n.xact_start } else { None }),
            time(&|_, s, n| if s { n.query_start } else { None }),
            time(&|_, s, n| s.then_some(n.state_change)),
            text(&nothing),
            text(&nothing),
            text(&|_, s, n| s.then(|| n.state.name().to_owned())),
            text(&nothing),
            text(&nothing),
            Arc::new(Int64Array::from(vec![None::<i64>; rows.len()])),
            text(&|_, s, n| {
                Some(if s {
                    n.query.clone()
                } else {
                    "<insufficient privilege>".to_owned()
                })
            }),
            text(&|_, _, _| Some("client backend".to_owned())),
            text(&|b, _, _| b.info.cluster.clone()),
            text(&|_, s, n| if s { n.job_id.clone() } else { None }),
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

#[async_trait::async_trait]
impl TableProvider for StatActivity {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let live = state.config().get_extension::<LiveView>();
        let batch = self.batch(live.as_deref())?;
        MemTable::try_new(self.schema.clone(), vec![vec![batch]])?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// Registers the functions that act on connections on a query's overlay context.
pub fn register_functions(ctx: &SessionContext, live: &LiveView) {
    ctx.register_udf(ScalarUDF::new_from_impl(BackendPid {
        pid: live.viewer.pid,
        signature: Signature::nullary(Volatility::Stable),
    }));
    for signal in [Signal::Cancel, Signal::Terminate] {
        // `pg_terminate_backend(pid, timeout)` (PostgreSQL 14+): the timeout is accepted and
        // not waited for; the connection ends within moments anyway.
        let arities: &[usize] = if signal == Signal::Cancel {
            &[1]
        } else {
            &[1, 2]
        };
        let signature = Signature::one_of(
            arities.iter().map(|n| TypeSignature::Any(*n)).collect(),
            Volatility::Volatile,
        );
        ctx.register_udf(ScalarUDF::new_from_impl(SignalFunction {
            signal,
            live: live.clone(),
            signature,
        }));
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct BackendPid {
    pid: i32,
    signature: Signature,
}

impl ScalarUDFImpl for BackendPid {
    fn name(&self) -> &str {
        "pg_backend_pid"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Int32(Some(self.pid))))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Signal {
    Cancel,
    Terminate,
}

#[derive(Debug)]
struct SignalFunction {
    signal: Signal,
    live: LiveView,
    signature: Signature,
}

impl PartialEq for SignalFunction {
    fn eq(&self, other: &Self) -> bool {
        self.signal == other.signal
            && self.live.viewer == other.live.viewer
            && Arc::ptr_eq(&self.live.activity, &other.live.activity)
    }
}

impl Eq for SignalFunction {}

impl std::hash::Hash for SignalFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.signal.hash(state);
        self.live.viewer.pid.hash(state);
    }
}

impl SignalFunction {
    /// Signals `pid`: `Ok(false)` when it is not a connection (PostgreSQL warns and answers
    /// false), 42501 when it is someone else's and the viewer is no admin.
    fn signal(&self, pid: i32) -> Result<bool> {
        let Some(backend) = self.live.activity.get(pid) else {
            tracing::info!(
                pid,
                "pg_{}_backend: not a flinkwire connection",
                self.verb()
            );
            return Ok(false);
        };
        if !self.live.viewer.may_see(&backend) {
            let (action, detail) = match self.signal {
                Signal::Cancel => (
                    "cancel query",
                    "Only roles with privileges of the role whose query is being canceled or with the admin role may cancel this query.",
                ),
                Signal::Terminate => (
                    "terminate process",
                    "Only roles with privileges of the role whose process is being terminated or with the admin role may terminate this process.",
                ),
            };
            return Err(DataFusionError::External(Box::new(SignalDenied {
                action,
                detail: detail.to_owned(),
            })));
        }
        tracing::info!(pid, by = self.live.viewer.pid, user = %self.live.viewer.user, "pg_{}_backend", self.verb());
        match self.signal {
            Signal::Cancel => backend.cancel(),
            Signal::Terminate => backend.terminate(),
        }
        Ok(true)
    }

    fn verb(&self) -> &'static str {
        match self.signal {
            Signal::Cancel => "cancel",
            Signal::Terminate => "terminate",
        }
    }
}

impl ScalarUDFImpl for SignalFunction {
    fn name(&self) -> &str {
        match self.signal {
            Signal::Cancel => "pg_cancel_backend",
            Signal::Terminate => "pg_terminate_backend",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let pids = args.args[0].to_array(args.number_rows)?;
        let pids = datafusion::arrow::compute::cast(&pids, &DataType::Int32)?;
        let pids = pids
            .as_any()
            .downcast_ref::<Int32Array>()
            .ok_or_else(|| DataFusionError::Internal("pid is not an integer".into()))?;
        let mut out = BooleanBuilder::with_capacity(pids.len());
        for pid in pids.iter() {
            out.append_option(pid.map(|pid| self.signal(pid)).transpose()?);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

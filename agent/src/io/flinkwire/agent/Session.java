package io.flinkwire.agent;

import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.api.internal.TableResultInternal;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.gateway.service.utils.SqlExecutionException;
import org.apache.flink.table.operations.BeginStatementSetOperation;
import org.apache.flink.table.operations.EndStatementSetOperation;
import org.apache.flink.table.operations.LoadModuleOperation;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.QueryOperation;
import org.apache.flink.table.operations.StatementSetOperation;
import org.apache.flink.table.operations.UnloadModuleOperation;
import org.apache.flink.table.operations.UseOperation;
import org.apache.flink.table.operations.command.AddJarOperation;
import org.apache.flink.table.operations.command.DescribeJobOperation;
import org.apache.flink.table.operations.command.ResetOperation;
import org.apache.flink.table.operations.command.SetOperation;
import org.apache.flink.table.operations.command.ShowJobsOperation;
import org.apache.flink.table.operations.command.StopJobOperation;
import org.apache.flink.table.operations.ddl.AlterOperation;
import org.apache.flink.table.operations.ddl.CreateOperation;
import org.apache.flink.table.operations.ddl.DropOperation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A REST session: its configuration map, its TableEnvironment and its operations. */
final class Session {
    private static final String CONFIGURE_SESSION_TYPES =
            "SET, RESET, CREATE TABLE, CREATE VIEW, CREATE DATABASE, CREATE FUNCTION, CREATE TEMPORARY SYSTEM FUNCTION,"
                    + " CREATE CATALOG, CREATE MODEL, CREATE MATERIALIZED TABLE, DROP TABLE, DROP VIEW, DROP DATABASE,"
                    + " DROP FUNCTION, DROP TEMPORARY SYSTEM FUNCTION, DROP CATALOG, DROP MODEL, DROP MATERIALIZED TABLE,"
                    + " ALTER TABLE, ALTER VIEW, ALTER DATABASE, ALTER FUNCTION, ALTER CATALOG SET, ALTER CATALOG RESET,"
                    + " ALTER CATALOG COMMENT, ALTER MODEL, ALTER MODEL, ALTER MATERIALIZED TABLE, USE CATALOG,"
                    + " USE [CATALOG.]DATABASE, USE MODULES, LOAD MODULE, UNLOAD MODULE, ADD JAR.";

    final Agent agent;
    final UUID handle;
    final String name;
    final Map<UUID, io.flinkwire.agent.Operation> operations = new ConcurrentHashMap<>();
    volatile long lastAccess = System.currentTimeMillis();

    private final Object lock = new Object();
    /** The session's defaults (agent + cluster config + session properties): RESET goes back here. */
    private final Map<String, String> defaults;
    /** The current session configuration (defaults + SET). */
    private final Map<String, String> config;
    private final TableEnvironmentInternal env;
    private List<ModifyOperation> statementSet; // non-null inside BEGIN STATEMENT SET
    private volatile boolean closed;
    private final ExecutorService worker;

    Session(Agent agent, UUID handle, String name, Map<String, String> properties) {
        this.agent = agent;
        this.handle = handle;
        this.name = name;
        Map<String, String> d = new LinkedHashMap<>(agent.baseConfig);
        d.put("table.resources.download-dir",
                System.getProperty("java.io.tmpdir") + "/sql-gateway-" + handle);
        d.putAll(properties);
        this.defaults = Collections.unmodifiableMap(new LinkedHashMap<>(d));
        this.config = new LinkedHashMap<>(d);
        Configuration conf = Configuration.fromMap(d);
        EnvironmentSettings settings = EnvironmentSettings.newInstance().withConfiguration(conf).build();
        // The planner keeps Calcite metadata providers in thread-locals of the thread that created
        // it, so the TableEnvironment is created and used on one thread per session.
        this.worker = Executors.newSingleThreadExecutor(r -> Agent.daemon(r, "fw-session-" + handle));
        this.env = onWorker(() -> (TableEnvironmentInternal) TableEnvironment.create(settings));
    }

    private <T> T onWorker(Callable<T> c) {
        try {
            return worker.submit(c).get();
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException) throw (RuntimeException) t;
            if (t instanceof Error) throw (Error) t;
            throw new RuntimeException(t);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }

    void touch() {
        lastAccess = System.currentTimeMillis();
    }

    Map<String, String> configSnapshot() {
        synchronized (lock) {
            return new LinkedHashMap<>(config);
        }
    }

    io.flinkwire.agent.Operation submit(String statement, Map<String, String> execConfig) {
        io.flinkwire.agent.Operation op = new io.flinkwire.agent.Operation(UUID.randomUUID(), agent.opts.maxRowsPerPage);
        operations.put(op.handle, op);
        op.future = worker.submit(() -> {
            try {
                ResultSpec r = execute(statement, execConfig);
                op.finished(r);
            } catch (Throwable t) {
                op.failed(t);
            }
        });
        return op;
    }

    String[] complete(String statement, int position) {
        return onWorker(() -> {
            synchronized (lock) {
                return env.getParser().getCompletionHints(statement, position);
            }
        });
    }

    /** POST configure-session: only configuration-like statements, executed synchronously. */
    void configure(String statement) {
        onWorker(() -> {
            configureOnWorker(statement);
            return null;
        });
    }

    private void configureOnWorker(String statement) {
        synchronized (lock) {
            try {
                List<Operation> ops = env.getParser().parse(statement);
                if (ops.size() != 1) throw new UnsupportedOperationException("Unsupported SQL statement! Configure session only accepts a single SQL statement.");
                Operation o = ops.get(0);
                if (o instanceof SetOperation) {
                    callSet((SetOperation) o).close();
                } else if (o instanceof ResetOperation) {
                    callReset((ResetOperation) o).close();
                } else if (o instanceof CreateOperation || o instanceof DropOperation || o instanceof AlterOperation
                        || o instanceof UseOperation || o instanceof LoadModuleOperation
                        || o instanceof UnloadModuleOperation || o instanceof AddJarOperation) {
                    env.executeInternal(o);
                } else {
                    throw new UnsupportedOperationException(String.format(
                            "Unsupported statement for configuring session: %s%nThe configureSession API only supports executing statements of type %s",
                            statement, CONFIGURE_SESSION_TYPES));
                }
            } catch (Throwable t) {
                throw new SqlExecutionException(String.format("Failed to execute the operation %s.", UUID.randomUUID()), t);
            }
        }
    }

    private ResultSpec execute(String statement, Map<String, String> execConfig) throws Exception {
        synchronized (lock) {
            if (closed) throw new SqlExecutionException("Session " + handle + " is closed.");
            Map<String, String> saved = new LinkedHashMap<>();
            Map<String, String> current = env.getConfig().getConfiguration().toMap();
            for (Map.Entry<String, String> e : execConfig.entrySet()) {
                saved.put(e.getKey(), current.get(e.getKey()));
                env.getConfig().set(e.getKey(), e.getValue());
            }
            try {
                List<Operation> ops = env.getParser().parse(statement);
                if (ops.size() > 1) {
                    throw new UnsupportedOperationException(
                            "Unsupported SQL statement! Execute statement only accepts a single SQL statement or multiple 'INSERT INTO' statements wrapped in a 'STATEMENT SET' block.");
                }
                Operation o = ops.get(0);
                return statementSet != null ? executeInStatementSet(o) : executeOperation(o);
            } finally {
                for (Map.Entry<String, String> e : saved.entrySet()) {
                    if (e.getValue() == null) env.getConfig().getConfiguration().removeKey(e.getKey());
                    else env.getConfig().set(e.getKey(), e.getValue());
                }
            }
        }
    }

    private ResultSpec executeInStatementSet(Operation o) {
        if (o instanceof EndStatementSetOperation) {
            List<ModifyOperation> ops = statementSet;
            statementSet = null;
            if (ops.isEmpty()) return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
            return callModify(ops);
        } else if (o instanceof ModifyOperation) {
            statementSet.add((ModifyOperation) o);
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        }
        throw new SqlExecutionException(
                "Only 'INSERT/CREATE TABLE AS' statement is allowed in Statement Set or use 'END' statement to submit Statement Set.");
    }

    private ResultSpec executeOperation(Operation o) throws Exception {
        if (o instanceof SetOperation) return callSet((SetOperation) o);
        if (o instanceof ResetOperation) return callReset((ResetOperation) o);
        if (o instanceof BeginStatementSetOperation) {
            statementSet = new ArrayList<>();
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        }
        if (o instanceof EndStatementSetOperation) {
            throw new SqlExecutionException("No Statement Set to submit. 'END' statement should be used after 'BEGIN STATEMENT SET'.");
        }
        if (o instanceof ModifyOperation) return callModify(Collections.singletonList((ModifyOperation) o));
        if (o instanceof StatementSetOperation) return callModify(((StatementSetOperation) o).getOperations());
        if (o instanceof QueryOperation) return ResultSpec.fromTableResult(env.executeInternal(o), true);
        if (o instanceof ShowJobsOperation) return callShowJobs();
        if (o instanceof StopJobOperation) return callStopJob((StopJobOperation) o);
        if (o instanceof DescribeJobOperation) return callDescribeJob((DescribeJobOperation) o);
        return ResultSpec.fromTableResult(env.executeInternal(o), false);
    }

    private ResultSpec callSet(SetOperation o) {
        if (o.getKey().isPresent() && o.getValue().isPresent()) {
            String k = o.getKey().get().trim();
            String v = o.getValue().get().trim();
            config.put(k, v);
            env.getConfig().set(k, v);
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        }
        if (o.getKey().isPresent()) {
            throw new SqlExecutionException("Illegal SET statement: " + o.asSummaryString());
        }
        List<RowData> rows = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(config).entrySet()) {
            rows.add(GenericRowData.of(StringData.fromString(e.getKey()), StringData.fromString(e.getValue())));
        }
        return ResultSpec.fixed(ResolvedSchema.of(Column.physical("key", DataTypes.STRING()), Column.physical("value", DataTypes.STRING())),
                rows, null, ResultKind.SUCCESS_WITH_CONTENT.name());
    }

    private ResultSpec callReset(ResetOperation o) {
        Configuration tc = env.getConfig().getConfiguration();
        if (o.getKey().isPresent()) {
            String k = o.getKey().get().trim();
            config.remove(k);
            tc.removeKey(k);
            if (defaults.containsKey(k)) {
                config.put(k, defaults.get(k));
                env.getConfig().set(k, defaults.get(k));
            }
        } else {
            for (String k : new ArrayList<>(config.keySet())) {
                if (!defaults.containsKey(k)) tc.removeKey(k);
            }
            config.clear();
            config.putAll(defaults);
            defaults.forEach((k, v) -> env.getConfig().set(k, v));
        }
        return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
    }

    private ResultSpec callModify(List<ModifyOperation> ops) {
        TableResultInternal r = env.executeInternal(ops);
        if (r.getJobClient().isEmpty()) return ResultSpec.fromTableResult(r, false);
        String jobId = r.getJobClient().get().getJobID().toString();
        return ResultSpec.fixed(ResolvedSchema.of(Column.physical("job id", DataTypes.STRING())),
                Collections.singletonList(GenericRowData.of(StringData.fromString(jobId))), jobId, r.getResultKind().name());
    }

    private RestClusterClient<StandaloneClusterId> clusterClient() throws Exception {
        return new RestClusterClient<>(Configuration.fromMap(config), StandaloneClusterId.getInstance());
    }

    private static final ResolvedSchema JOBS_SCHEMA = ResolvedSchema.of(
            Column.physical("job id", DataTypes.STRING()),
            Column.physical("job name", DataTypes.STRING()),
            Column.physical("status", DataTypes.STRING()),
            Column.physical("start time", DataTypes.TIMESTAMP_LTZ(3)));

    private static RowData jobRow(JobStatusMessage j) {
        return GenericRowData.of(StringData.fromString(j.getJobId().toString()), StringData.fromString(j.getJobName()),
                StringData.fromString(j.getJobState().toString()), TimestampData.fromEpochMillis(j.getStartTime()));
    }

    private ResultSpec callShowJobs() throws Exception {
        try (RestClusterClient<StandaloneClusterId> c = clusterClient()) {
            Collection<JobStatusMessage> jobs = c.listJobs().get();
            List<RowData> rows = new ArrayList<>();
            for (JobStatusMessage j : jobs) rows.add(jobRow(j));
            return ResultSpec.fixed(JOBS_SCHEMA, rows, null, ResultKind.SUCCESS_WITH_CONTENT.name());
        }
    }

    private ResultSpec callDescribeJob(DescribeJobOperation o) throws Exception {
        try (RestClusterClient<StandaloneClusterId> c = clusterClient()) {
            for (JobStatusMessage j : c.listJobs().get()) {
                if (j.getJobId().toString().equals(o.getJobId())) {
                    return ResultSpec.fixed(JOBS_SCHEMA, Collections.singletonList(jobRow(j)), null,
                            ResultKind.SUCCESS_WITH_CONTENT.name());
                }
            }
            throw new SqlExecutionException(String.format("Described job %s does not exist in the cluster.", o.getJobId()));
        }
    }

    private ResultSpec callStopJob(StopJobOperation o) throws Exception {
        JobID id = JobID.fromHexString(o.getJobId());
        try (RestClusterClient<StandaloneClusterId> c = clusterClient()) {
            if (o.isWithSavepoint()) {
                String dir = config.get("execution.checkpointing.savepoint-dir");
                String path = c.stopWithSavepoint(id, o.isWithDrain(), dir, SavepointFormatType.DEFAULT).get();
                return ResultSpec.fixed(ResolvedSchema.of(Column.physical("savepoint path", DataTypes.STRING())),
                        Collections.singletonList(GenericRowData.of(StringData.fromString(path))), null,
                        ResultKind.SUCCESS_WITH_CONTENT.name());
            }
            c.cancel(id).get();
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        } catch (Exception e) {
            throw new SqlExecutionException(String.format("Could not stop job %s in session %s.", o.getJobId(), handle), e);
        }
    }

    /** Closes every operation (cancelling their Flink jobs). */
    void close() {
        closed = true;
        for (io.flinkwire.agent.Operation op : new ArrayList<>(operations.values())) {
            try {
                op.close();
            } catch (Throwable t) {
                Agent.log("closing operation %s: %s", op.handle, t);
            }
        }
        operations.clear();
        worker.shutdownNow();
    }
}

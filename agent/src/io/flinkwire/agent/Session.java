package io.flinkwire.agent;

import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.TableConfig;
import org.apache.flink.table.api.TableException;
import org.apache.flink.table.api.bridge.java.internal.StreamTableEnvironmentImpl;
import org.apache.flink.table.api.config.TableConfigOptions;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.api.internal.TableResultInternal;
import org.apache.flink.table.catalog.Catalog;
import org.apache.flink.table.catalog.CatalogManager;
import org.apache.flink.table.catalog.CatalogStoreHolder;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.FunctionCatalog;
import org.apache.flink.table.catalog.GenericInMemoryCatalog;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.delegation.Executor;
import org.apache.flink.table.delegation.ExecutorFactory;
import org.apache.flink.table.delegation.Planner;
import org.apache.flink.table.delegation.StreamExecutorFactory;
import org.apache.flink.table.factories.ApiFactoryUtil;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.PlannerFactoryUtil;
import org.apache.flink.table.factories.TableFactoryUtil;
import org.apache.flink.table.gateway.service.utils.SqlExecutionException;
import org.apache.flink.table.module.ModuleManager;
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
import org.apache.flink.table.resource.ResourceManager;
import org.apache.flink.util.FlinkUserCodeClassLoaders;
import org.apache.flink.util.MutableURLClassLoader;

import java.net.URL;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A REST session, built like the gateway's SessionContext: its configuration, and the state that
 * outlives statements (user class loader, resource manager, module manager, catalog manager,
 * function catalog). Each statement runs in a TableEnvironment built for it over that state, as
 * the gateway's OperationExecutor does, so every key it reads per statement
 * ({@code execution.runtime-mode}, {@code parallelism.default}, {@code table.*}, ...) works after a
 * SET, while temporary objects, USE and loaded modules stay.
 */
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

    /** Guards the compound changes of sessionConf (RESET) against GET /sessions/:h, and close. */
    private final Object lock = new Object();
    /** The gateway's default Flink configuration (the agent's baseConfig): RESET goes back to it, not to the open properties. */
    private final Configuration defaultFlinkConfig;
    /** The session configuration: the defaults, the open properties, the download dir, then SET / RESET. */
    private final Configuration sessionConf;
    private final MutableURLClassLoader userClassLoader;
    private final ResourceManager resourceManager;
    private final ModuleManager moduleManager;
    private final CatalogManager catalogManager;
    private final FunctionCatalog functionCatalog;
    private List<ModifyOperation> statementSet; // non-null inside BEGIN STATEMENT SET; used on the worker only
    private volatile boolean closed;
    /**
     * Runs the session's statements one after another. The planner keeps Calcite metadata
     * providers in thread-locals of the thread that built it, so each statement's TableEnvironment
     * is built and used within one task here.
     */
    private final ExecutorService worker;

    Session(Agent agent, UUID handle, String name, Map<String, String> properties) {
        this.agent = agent;
        this.handle = handle;
        this.name = name;
        this.defaultFlinkConfig = Configuration.fromMap(agent.baseConfig);
        Configuration conf = defaultFlinkConfig.clone();
        conf.addAll(Configuration.fromMap(properties));
        // Like the gateway, each session downloads resources (ADD JAR, function jars) into its own directory.
        conf.set(TableConfigOptions.RESOURCES_DOWNLOAD_DIR, Paths.get(conf.get(TableConfigOptions.RESOURCES_DOWNLOAD_DIR),
                "sql-gateway-" + handle).toAbsolutePath().toString());
        this.sessionConf = conf;
        this.userClassLoader = FlinkUserCodeClassLoaders.create(new URL[0], Session.class.getClassLoader(), conf);
        this.resourceManager = new ResourceManager(conf, userClassLoader);
        this.moduleManager = new ModuleManager();
        this.catalogManager = buildCatalogManager(conf, userClassLoader);
        this.functionCatalog = new FunctionCatalog(conf, resourceManager, catalogManager, moduleManager);
        this.worker = Executors.newSingleThreadExecutor(r -> Agent.daemon(r, "fw-session-" + handle));
    }

    /** The catalog manager a gateway session keeps: the configured catalog store and an in-memory built-in catalog. */
    private static CatalogManager buildCatalogManager(Configuration conf, ClassLoader classLoader) {
        ApiFactoryUtil.CatalogStoreResult store = ApiFactoryUtil.getOrCreateCatalogStore(Optional.empty(), conf, classLoader);
        EnvironmentSettings settings = EnvironmentSettings.newInstance().withConfiguration(conf).build();
        Catalog builtIn = new GenericInMemoryCatalog(settings.getBuiltInCatalogName(), settings.getBuiltInDatabaseName());
        builtIn.open();
        return CatalogManager.newBuilder()
                .classLoader(classLoader)
                .config(conf)
                .defaultCatalog(settings.getBuiltInCatalogName(), builtIn)
                .catalogModificationListeners(TableFactoryUtil.findCatalogModificationListenerList(conf, classLoader))
                .catalogStoreHolder(CatalogStoreHolder.newBuilder()
                        .catalogStore(store.getCatalogStore())
                        .factory(store.getCatalogStoreFactory())
                        .config(conf)
                        .classloader(classLoader)
                        .build())
                .build();
    }

    /**
     * A TableEnvironment for one operation over the session's state, configured with the session
     * configuration plus the statement's executionConfig (OperationExecutor.getTableEnvironment).
     */
    private TableEnvironmentInternal tableEnvironment(Map<String, String> executionConfig) {
        Configuration operationConfig;
        synchronized (lock) {
            operationConfig = sessionConf.clone();
        }
        operationConfig.addAll(Configuration.fromMap(executionConfig));
        EnvironmentSettings settings = EnvironmentSettings.newInstance().withConfiguration(operationConfig).build();
        // The StreamExecutionEnvironment submits the jobs, so it gets the whole configuration.
        StreamExecutionEnvironment streamEnv = new StreamExecutionEnvironment(operationConfig, userClassLoader);
        TableConfig tableConfig = TableConfig.getDefault();
        tableConfig.setRootConfiguration(defaultFlinkConfig);
        tableConfig.addConfiguration(operationConfig);
        Executor executor = streamExecutor(streamEnv);
        Planner planner = PlannerFactoryUtil.createPlanner(executor, tableConfig, resourceManager.getUserClassLoader(),
                moduleManager, catalogManager, functionCatalog);
        return new StreamTableEnvironmentImpl(catalogManager, moduleManager, resourceManager, functionCatalog,
                tableConfig, streamEnv, planner, executor, settings.isStreamingMode());
    }

    private Executor streamExecutor(StreamExecutionEnvironment streamEnv) {
        try {
            ExecutorFactory factory = FactoryUtil.discoverFactory(userClassLoader, ExecutorFactory.class, ExecutorFactory.DEFAULT_IDENTIFIER);
            return ((StreamExecutorFactory) factory).create(streamEnv);
        } catch (Exception e) {
            throw new TableException("Could not instantiate the executor. Make sure a planner module is on the classpath", e);
        }
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

    /** GET /sessions/:h: the session configuration, as the gateway's getSessionConfig shows it. */
    Map<String, String> configSnapshot() {
        synchronized (lock) {
            return sessionConf.toMap();
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
        return onWorker(() -> tableEnvironment(Map.of()).getParser().getCompletionHints(statement, position));
    }

    /** POST configure-session: only configuration-like statements, executed synchronously. */
    void configure(String statement) {
        onWorker(() -> {
            configureOnWorker(statement);
            return null;
        });
    }

    private void configureOnWorker(String statement) {
        try {
            TableEnvironmentInternal env = tableEnvironment(Map.of());
            List<Operation> ops = env.getParser().parse(statement);
            if (ops.size() != 1) throw new UnsupportedOperationException("Unsupported SQL statement! Configure session only accepts a single SQL statement.");
            Operation o = ops.get(0);
            if (o instanceof SetOperation) {
                callSet(env, (SetOperation) o).close(false);
            } else if (o instanceof ResetOperation) {
                callReset((ResetOperation) o).close(false);
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

    private ResultSpec execute(String statement, Map<String, String> executionConfig) throws Exception {
        if (closed) throw new SqlExecutionException("Session " + handle + " is closed.");
        TableEnvironmentInternal env = tableEnvironment(executionConfig);
        List<Operation> ops = env.getParser().parse(statement);
        if (ops.size() > 1) {
            throw new UnsupportedOperationException(
                    "Unsupported SQL statement! Execute statement only accepts a single SQL statement or multiple 'INSERT INTO' statements wrapped in a 'STATEMENT SET' block.");
        }
        Operation o = ops.get(0);
        return statementSet != null ? executeInStatementSet(env, o) : executeOperation(env, o);
    }

    private ResultSpec executeInStatementSet(TableEnvironmentInternal env, Operation o) {
        if (o instanceof EndStatementSetOperation) {
            List<ModifyOperation> ops = statementSet;
            statementSet = null;
            if (ops.isEmpty()) return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
            return callModify(env, ops);
        } else if (o instanceof ModifyOperation) {
            statementSet.add((ModifyOperation) o);
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        }
        throw new SqlExecutionException(
                "Only 'INSERT/CREATE TABLE AS' statement is allowed in Statement Set or use 'END' statement to submit Statement Set.");
    }

    private ResultSpec executeOperation(TableEnvironmentInternal env, Operation o) throws Exception {
        if (o instanceof SetOperation) return callSet(env, (SetOperation) o);
        if (o instanceof ResetOperation) return callReset((ResetOperation) o);
        if (o instanceof BeginStatementSetOperation) {
            statementSet = new ArrayList<>();
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        }
        if (o instanceof EndStatementSetOperation) {
            throw new SqlExecutionException("No Statement Set to submit. 'END' statement should be used after 'BEGIN STATEMENT SET'.");
        }
        if (o instanceof ModifyOperation) return callModify(env, Collections.singletonList((ModifyOperation) o));
        if (o instanceof StatementSetOperation) return callModify(env, ((StatementSetOperation) o).getOperations());
        if (o instanceof QueryOperation) return ResultSpec.fromTableResult(env.executeInternal(o), true);
        Configuration operationConfig = env.getConfig().getConfiguration();
        if (o instanceof ShowJobsOperation) return callShowJobs(operationConfig);
        if (o instanceof StopJobOperation) return callStopJob(operationConfig, (StopJobOperation) o);
        if (o instanceof DescribeJobOperation) return callDescribeJob(operationConfig, (DescribeJobOperation) o);
        return ResultSpec.fromTableResult(env.executeInternal(o), false);
    }

    private ResultSpec callSet(TableEnvironmentInternal env, SetOperation o) {
        if (o.getKey().isPresent() && o.getValue().isPresent()) {
            set(o.getKey().get().trim(), o.getValue().get().trim());
            return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
        }
        if (o.getKey().isPresent()) {
            throw new SqlExecutionException("Illegal SetOperation: " + o.asSummaryString());
        }
        // The listing is the statement's configuration: the session's plus its executionConfig.
        List<RowData> rows = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env.getConfig().getConfiguration().toMap()).entrySet()) {
            rows.add(GenericRowData.of(StringData.fromString(e.getKey()), StringData.fromString(e.getValue())));
        }
        return ResultSpec.fixed(ResolvedSchema.of(Column.physical("key", DataTypes.STRING()), Column.physical("value", DataTypes.STRING())),
                rows, null, ResultKind.SUCCESS_WITH_CONTENT.name());
    }

    /** SessionContext.set: the value is kept only if a TableEnvironment can be built with it. */
    private void set(String key, String value) {
        try {
            tableEnvironment(Map.of(key, value));
        } catch (Exception e) {
            throw new SqlExecutionException(String.format("Failed to set key %s with value %s.", key, value), e);
        }
        synchronized (lock) {
            sessionConf.setString(key, value);
        }
    }

    /**
     * RESET 'k' goes back to the gateway's default Flink configuration, or removes the key; RESET
     * drops every key, the open properties too, and puts the defaults back (SessionContext.reset).
     */
    private ResultSpec callReset(ResetOperation o) {
        if (o.getKey().isPresent()) {
            ConfigOption<String> option = stringOption(o.getKey().get().trim());
            if (defaultFlinkConfig.contains(option)) {
                set(option.key(), defaultFlinkConfig.get(option));
            } else {
                synchronized (lock) {
                    sessionConf.removeConfig(option);
                }
            }
        } else {
            synchronized (lock) {
                for (String k : sessionConf.keySet()) sessionConf.removeConfig(stringOption(k));
                sessionConf.addAll(defaultFlinkConfig);
            }
        }
        return ResultSpec.fromTableResult(TableResultInternal.TABLE_RESULT_OK, false);
    }

    private static ConfigOption<String> stringOption(String key) {
        return ConfigOptions.key(key).stringType().noDefaultValue();
    }

    private ResultSpec callModify(TableEnvironmentInternal env, List<ModifyOperation> ops) {
        TableResultInternal r = env.executeInternal(ops);
        if (r.getJobClient().isEmpty()) return ResultSpec.fromTableResult(r, false);
        String jobId = r.getJobClient().get().getJobID().toString();
        return ResultSpec.fixed(ResolvedSchema.of(Column.physical("job id", DataTypes.STRING())),
                Collections.singletonList(GenericRowData.of(StringData.fromString(jobId))), jobId, r.getResultKind().name());
    }

    private static RestClusterClient<StandaloneClusterId> clusterClient(Configuration operationConfig) throws Exception {
        return new RestClusterClient<>(operationConfig, StandaloneClusterId.getInstance());
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

    private ResultSpec callShowJobs(Configuration operationConfig) throws Exception {
        try (RestClusterClient<StandaloneClusterId> c = clusterClient(operationConfig)) {
            Collection<JobStatusMessage> jobs = c.listJobs().get();
            List<RowData> rows = new ArrayList<>();
            for (JobStatusMessage j : jobs) rows.add(jobRow(j));
            return ResultSpec.fixed(JOBS_SCHEMA, rows, null, ResultKind.SUCCESS_WITH_CONTENT.name());
        }
    }

    private ResultSpec callDescribeJob(Configuration operationConfig, DescribeJobOperation o) throws Exception {
        try (RestClusterClient<StandaloneClusterId> c = clusterClient(operationConfig)) {
            for (JobStatusMessage j : c.listJobs().get()) {
                if (j.getJobId().toString().equals(o.getJobId())) {
                    return ResultSpec.fixed(JOBS_SCHEMA, Collections.singletonList(jobRow(j)), null,
                            ResultKind.SUCCESS_WITH_CONTENT.name());
                }
            }
            throw new SqlExecutionException(String.format("Described job %s does not exist in the cluster.", o.getJobId()));
        }
    }

    private ResultSpec callStopJob(Configuration operationConfig, StopJobOperation o) throws Exception {
        JobID id = JobID.fromHexString(o.getJobId());
        try (RestClusterClient<StandaloneClusterId> c = clusterClient(operationConfig)) {
            if (o.isWithSavepoint()) {
                String dir = operationConfig.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
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

    /**
     * Closes every operation (cancelling their Flink jobs), then releases the session state on the
     * worker, after the statement it may still be running: catalogs, class loader, resource
     * manager (SessionContext.close).
     */
    void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
        }
        for (io.flinkwire.agent.Operation op : new ArrayList<>(operations.values())) {
            try {
                op.close();
            } catch (Throwable t) {
                Agent.log("closing operation %s: %s", op.handle, t);
            }
        }
        operations.clear();
        worker.execute(this::releaseState);
        worker.shutdown();
    }

    private void releaseState() {
        try {
            catalogManager.close();
        } catch (Throwable t) {
            Agent.log("closing the catalogs of session %s: %s", handle, t);
        }
        try {
            userClassLoader.close();
            resourceManager.close();
        } catch (Throwable t) {
            Agent.log("closing the class loader and resources of session %s: %s", handle, t);
        }
    }
}

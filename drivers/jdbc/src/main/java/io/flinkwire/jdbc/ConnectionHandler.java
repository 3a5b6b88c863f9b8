package io.flinkwire.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The {@link Connection} the driver returns: PgJDBC's, with Flink's metadata, statements that
 * stream and report INSERT job ids, and Flink's (absent) transactions.
 *
 * <p>PgJDBC fetches in pages (a suspended portal) only outside autocommit. Flink has no
 * transactions, and flinkwire answers BEGIN/COMMIT locally, so the PgJDBC connection always runs
 * with autocommit off while this connection reports the autocommit state the caller asked for
 * (on by default): results stream either way, and an INSERT's job is submitted at once either way.
 */
final class ConnectionHandler implements InvocationHandler {
    final Connection pg;
    final String url;
    final FlinkwireUrl parsed;
    final Connection proxy;
    private boolean autoCommit = true;
    private DatabaseMetaData metaData;

    private ConnectionHandler(Connection pg, String url, FlinkwireUrl parsed) {
        this.pg = pg;
        this.url = url;
        this.parsed = parsed;
        this.proxy = (Connection) Proxy.newProxyInstance(ConnectionHandler.class.getClassLoader(),
                new Class<?>[] {Connection.class}, this);
    }

    static Connection wrap(Connection pg, String url, FlinkwireUrl parsed) throws SQLException {
        try {
            pg.setAutoCommit(false);
            ConnectionHandler h = new ConnectionHandler(pg, url, parsed);
            if (parsed.catalog != null && !parsed.catalog.equals("default_catalog")) {
                try (Statement st = pg.createStatement()) {
                    st.execute("USE CATALOG " + Sql.quoteIdent(parsed.catalog));
                }
            }
            return h.proxy;
        } catch (SQLException | RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /** After an error in autocommit mode, leave the (emulated) transaction like PostgreSQL would. */
    void afterError() {
        if (autoCommit) {
            try {
                pg.rollback();
            } catch (SQLException ignored) {
                // the connection is broken; the caller sees the original error
            }
        }
    }

    @Override
    public Object invoke(Object self, Method m, Object[] args) throws Throwable {
        String name = m.getName();
        Object common = ProxyMethods.answer(self, name, args, pg, () -> "flinkwire connection " + url);
        if (common != ProxyMethods.OTHER) return common;
        switch (name) {
            case "getAutoCommit":
                checkOpen();
                return autoCommit;
            case "setAutoCommit":
                checkOpen();
                boolean on = (Boolean) args[0];
                if (on && !autoCommit) pg.commit(); // JDBC: switching autocommit on commits
                autoCommit = on;
                return null;
            case "commit":
            case "rollback":
                // Allowed in autocommit too (PgJDBC's would throw): Flink has nothing to commit.
                checkOpen();
                return invokeOn(pg, m, args);
            case "getMetaData":
                checkOpen();
                if (metaData == null) metaData = MetaDataHandler.wrap(this, pg.getMetaData());
                return metaData;
            case "createStatement":
            case "prepareStatement":
            case "prepareCall":
                return StatementHandler.wrap(this, (Statement) invokeOn(pg, m, args), m.getReturnType());
            case "isValid":
                return isValid(args == null ? 0 : (Integer) args[0]);
            case "setCatalog":
                checkOpen();
                if (args[0] != null) run("USE CATALOG " + Sql.quoteIdent((String) args[0]));
                return null;
            case "getCatalog":
                checkOpen();
                return queryOne("SHOW CURRENT CATALOG");
            case "setSchema":
                checkOpen();
                if (args[0] != null) run("USE " + Sql.quoteIdent((String) args[0]));
                return null;
            case "getSchema":
                checkOpen();
                return queryOne("SHOW CURRENT DATABASE");
            default:
                return invokeOn(pg, m, args);
        }
    }

    private boolean isValid(int timeoutSeconds) throws SQLException {
        if (timeoutSeconds < 0) throw new SQLException("timeout must be >= 0", "22023");
        if (pg.isClosed()) return false;
        // PgJDBC sends an empty query, which flinkwire answers without a Flink round trip.
        return pg.isValid(timeoutSeconds);
    }

    private void checkOpen() throws SQLException {
        if (pg.isClosed()) throw new SQLException("the connection is closed", "08003");
    }

    void run(String sql) throws SQLException {
        try (Statement st = pg.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            afterError();
            throw e;
        }
    }

    String queryOne(String sql) throws SQLException {
        try (Statement st = pg.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            afterError();
            throw e;
        }
    }

    static Object invokeOn(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}

package io.flinkwire.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The statements the driver returns: PgJDBC's, plus {@link FlinkwireStatement#getJobId()}.
 *
 * <p>flinkwire answers INSERT with one row (column {@code job id}) and a NOTICE naming the job.
 * {@code executeUpdate} therefore runs the statement with {@code execute}, keeps the job id and
 * returns 0 (Flink does not report affected rows when it submits a job) instead of failing with
 * PgJDBC's "a result was returned when none was expected".
 */
final class StatementHandler implements InvocationHandler, FlinkwireStatement {
    static final String JOB_ID_COLUMN = "job id";
    private static final Pattern JOB_NOTICE = Pattern.compile("\\b([0-9a-f]{32})\\b");

    private final ConnectionHandler conn;
    private final Statement pg;
    private Object proxy;
    private String jobId;

    private StatementHandler(ConnectionHandler conn, Statement pg) {
        this.conn = conn;
        this.pg = pg;
    }

    static Object wrap(ConnectionHandler conn, Statement pg, Class<?> iface) {
        StatementHandler h = new StatementHandler(conn, pg);
        h.proxy = Proxy.newProxyInstance(StatementHandler.class.getClassLoader(),
                new Class<?>[] {iface, FlinkwireStatement.class}, h);
        return h.proxy;
    }

    @Override
    public String getJobId() {
        return jobId;
    }

    @Override
    public Object invoke(Object self, Method m, Object[] args) throws Throwable {
        String name = m.getName();
        if (m.getDeclaringClass() == FlinkwireStatement.class) return m.invoke(this, args);
        Object common = ProxyMethods.answer(self, name, args, pg, pg::toString);
        if (common != ProxyMethods.OTHER) return common;
        switch (name) {
            case "executeUpdate":
            case "executeLargeUpdate":
                return executeUpdate(m, args);
            case "execute":
            case "executeQuery":
            case "executeBatch":
            case "executeLargeBatch":
                jobId = null;
                Object r = call(m, args);
                noteJobFromWarnings();
                return r;
            case "getConnection":
                return conn.proxy;
            default:
                return ConnectionHandler.invokeOn(pg, m, args);
        }
    }

    private Object call(Method m, Object[] args) throws Throwable {
        try {
            return ConnectionHandler.invokeOn(pg, m, args);
        } catch (SQLException e) {
            conn.afterError();
            throw e;
        }
    }

    private Object executeUpdate(Method m, Object[] args) throws Throwable {
        jobId = null;
        boolean large = m.getName().equals("executeLargeUpdate");
        boolean hasRows;
        // The same arguments on execute(...): (), (sql), (sql, int), (sql, int[]), (sql, String[]).
        Method exec = m.getDeclaringClass().getMethod("execute", m.getParameterTypes());
        hasRows = (Boolean) call(exec, args);
        noteJobFromWarnings();
        long count = 0;
        if (hasRows) {
            try (ResultSet rs = pg.getResultSet()) {
                ResultSetMetaData md = rs.getMetaData();
                int col = 0;
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    if (JOB_ID_COLUMN.equals(md.getColumnLabel(i))) col = i;
                }
                if (col > 0 && rs.next()) jobId = rs.getString(col);
            }
        } else {
            count = Math.max(0, large ? pg.getLargeUpdateCount() : pg.getUpdateCount());
        }
        return large ? (Object) count : (Object) (int) count;
    }

    private void noteJobFromWarnings() throws SQLException {
        for (SQLWarning w = pg.getWarnings(); w != null; w = w.getNextWarning()) {
            String msg = w.getMessage();
            if (msg != null && msg.contains("job")) {
                Matcher mm = JOB_NOTICE.matcher(msg);
                if (mm.find()) jobId = mm.group(1);
            }
        }
    }
}

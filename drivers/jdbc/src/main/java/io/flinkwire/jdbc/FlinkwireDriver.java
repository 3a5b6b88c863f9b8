package io.flinkwire.jdbc;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The flinkwire JDBC driver: {@code jdbc:flinkwire://host[:port][/catalog][?cluster=NAME&...]}.
 *
 * <p>A thin layer over PgJDBC: the wire protocol is PgJDBC's, the SQL is Flink SQL, and
 * {@link java.sql.DatabaseMetaData} is answered from Flink's own SHOW/DESCRIBE statements.
 */
public final class FlinkwireDriver implements Driver {
    public static final String NAME = "flinkwire JDBC driver";
    public static final int MAJOR = 0;
    public static final int MINOR = 1;
    public static final String VERSION = MAJOR + "." + MINOR + ".0";

    static {
        try {
            DriverManager.registerDriver(new FlinkwireDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        if (!acceptsURL(url)) return null; // JDBC: null for URLs of other drivers
        FlinkwireUrl parsed = FlinkwireUrl.parse(url);
        Driver pg = pgDriver();
        Connection conn = pg.connect(parsed.pgUrl(), parsed.pgProperties(info));
        if (conn == null) throw new SQLException("PgJDBC refused " + parsed.pgUrl(), "08001");
        return ConnectionHandler.wrap(conn, url, parsed);
    }

    private static Driver pgDriver() throws SQLException {
        try {
            return new org.postgresql.Driver();
        } catch (NoClassDefFoundError e) {
            throw new SQLException("PgJDBC (org.postgresql:postgresql) is not on the class path", "08001", e);
        }
    }

    @Override
    public boolean acceptsURL(String url) {
        return FlinkwireUrl.accepts(url);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
        DriverPropertyInfo cluster = new DriverPropertyInfo("cluster", info == null ? null : info.getProperty("cluster"));
        cluster.description = "flinkwire cluster name (sent as options=-c flinkwire.cluster=NAME)";
        DriverPropertyInfo fetch = new DriverPropertyInfo("defaultRowFetchSize",
                Integer.toString(FlinkwireUrl.DEFAULT_FETCH_SIZE));
        fetch.description = "rows per round trip; results stream in pages of this size";
        DriverPropertyInfo[] pg = pgDriver().getPropertyInfo("jdbc:postgresql://localhost/x", info);
        DriverPropertyInfo[] all = new DriverPropertyInfo[pg.length + 2];
        all[0] = cluster;
        all[1] = fetch;
        System.arraycopy(pg, 0, all, 2, pg.length);
        return all;
    }

    @Override
    public int getMajorVersion() {
        return MAJOR;
    }

    @Override
    public int getMinorVersion() {
        return MINOR;
    }

    @Override
    public boolean jdbcCompliant() {
        return false; // Flink SQL is not SQL-92 entry level (no transactions, ...)
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return Logger.getLogger("io.flinkwire.jdbc");
    }
}

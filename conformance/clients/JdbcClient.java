import java.io.FileWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** PgJDBC ("pgjdbc") or the flinkwire driver ("flinkwire-jdbc") through the conformance checklist. */
public class JdbcClient {
    static String host = System.getenv().getOrDefault("FW_CONF_HOST", "127.0.0.1");
    static String port = System.getenv().getOrDefault("FW_CONF_PORT", "5433");
    static String streamPort = System.getenv("FW_CONF_STREAM_PORT");
    // connect_tls: the require-mode flinkwire of conformance/run.sh (see harness.py).
    static String tlsHost = System.getenv().getOrDefault("FW_CONF_TLS_HOST", "localhost");
    static String tlsPort = System.getenv("FW_CONF_TLS_PORT");
    static String tlsCa = System.getenv("FW_CONF_TLS_CA");
    static String tlsOtherCa = System.getenv("FW_CONF_TLS_OTHER_CA");
    static String tlsUser = System.getenv("FW_CONF_TLS_USER");
    static String tlsPassword = System.getenv("FW_CONF_TLS_PASSWORD");
    static boolean flinkwire;
    static final List<Connection> open = new ArrayList<>();

    static class Skip extends Exception { Skip(String m) { super(m); } }
    static class Fail extends Exception { Fail(String m) { super(m); } }
    interface Check { String run() throws Exception; }

    static Connection connect(String p) throws SQLException {
        String url = flinkwire
                ? "jdbc:flinkwire://" + host + ":" + p + "/default_catalog?user=test"
                : "jdbc:postgresql://" + host + ":" + p + "/default_catalog?user=test";
        Connection c = DriverManager.getConnection(url);
        synchronized (open) { open.add(c); }
        return c;
    }

    /** PgJDBC's channelBinding property, where the driver has it (newer PgJDBC than Debian's 42.5). */
    static boolean hasChannelBinding() {
        for (org.postgresql.PGProperty p : org.postgresql.PGProperty.values()) if (p.getName().equals("channelBinding")) return true;
        return false;
    }

    static Connection connectTls(String sslmode, String ca, String password) throws SQLException {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", tlsUser);
        p.setProperty("password", password);
        p.setProperty("sslmode", sslmode);
        p.setProperty("sslrootcert", ca); // PEM
        p.setProperty("connectTimeout", "15");
        if (hasChannelBinding() && !sslmode.equals("disable")) p.setProperty("channelBinding", "require");
        String url = (flinkwire ? "jdbc:flinkwire://" : "jdbc:postgresql://") + tlsHost + ":" + tlsPort + "/default_catalog";
        Connection c = DriverManager.getConnection(url, p);
        synchronized (open) { open.add(c); }
        return c;
    }

    /** connect must fail with this SQLSTATE and a message containing needle (null: any). */
    static void expectRefused(String what, String sqlstate, String needle, Check connect) throws Exception {
        try {
            connect.run();
        } catch (SQLException e) {
            expect(what + ": sqlstate (" + e.getMessage() + ")", e.getSQLState(), sqlstate);
            if (needle != null && !String.valueOf(e.getMessage()).contains(needle))
                throw new Fail(what + ": refused, but without \"" + needle + "\": " + e.getMessage());
            return;
        }
        throw new Fail(what + ": connected");
    }

    static String tls() throws Exception {
        if (tlsPort == null || tlsCa == null || tlsUser == null || tlsPassword == null)
            throw new Skip("no TLS flinkwire (FW_CONF_TLS_PORT, FW_CONF_TLS_CA, FW_CONF_TLS_USER, FW_CONF_TLS_PASSWORD)");
        try (Connection c = connectTls("verify-full", tlsCa, tlsPassword); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT current_user")) { rs.next(); expect("current_user", rs.getString(1), tlsUser); }
            try (ResultSet rs = st.executeQuery("SELECT customer FROM orders WHERE order_id = 3")) {
                if (!rs.next()) throw new Fail("no row");
                expect("row", rs.getString(1), "carol");
            }
        }
        expectRefused("sslmode=disable", "28000", "requires TLS", () -> { connectTls("disable", tlsCa, tlsPassword).close(); return ""; });
        expectRefused("wrong password", "28P01", "password authentication failed", () -> { connectTls("verify-full", tlsCa, "wrong").close(); return ""; });
        boolean otherCa = tlsOtherCa != null;
        if (otherCa) expectRefused("verify-full against another CA", "08006", "PKIX path building failed", () -> { connectTls("verify-full", tlsOtherCa, tlsPassword).close(); return ""; });
        String version = org.postgresql.util.DriverInfo.DRIVER_VERSION;
        return (flinkwire ? "jdbc:flinkwire (properties passed to PgJDBC): " : "") + "sslmode=verify-full, sslrootcert (PEM): verify-full (host localhost" + (otherCa ? "; another CA refused" : "") + ") + "
                + (hasChannelBinding() ? "SCRAM-SHA-256-PLUS (channelBinding=require)"
                        : "SCRAM-SHA-256 without channel binding (PgJDBC " + version + " has no channelBinding property)")
                + "; plaintext refused 28000; wrong password 28P01";
    }

    static void expect(String what, Object got, Object want) throws Fail {
        if (!java.util.Objects.equals(got, want)) throw new Fail(what + ": got " + got + ", want " + want);
    }

    static String types() throws Exception {
        String sql = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(System.getenv("FW_CONF_DIR"), "types.sql"))).trim();
        try (Connection c = connect(port); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            Object[][] want = {
                {"c_bool", Boolean.class}, {"c_tinyint", Integer.class}, {"c_smallint", Integer.class},
                {"c_int", Integer.class}, {"c_bigint", Long.class}, {"c_float", Float.class}, {"c_double", Double.class},
                {"c_decimal", BigDecimal.class}, {"c_char", String.class}, {"c_varchar", String.class},
                {"c_string", String.class}, {"c_bytes", byte[].class}, {"c_date", java.sql.Date.class},
                {"c_time", java.sql.Time.class}, {"c_timestamp", java.sql.Timestamp.class},
                {"c_timestamp_ltz", java.sql.Timestamp.class}, {"c_interval", org.postgresql.util.PGInterval.class},
                {"c_array", java.sql.Array.class}, {"c_map", org.postgresql.util.PGobject.class},
                {"c_row", org.postgresql.util.PGobject.class},
            };
            List<String> bad = new ArrayList<>();
            for (Object[] w : want) {
                Object v = rs.getObject((String) w[0]);
                if (!((Class<?>) w[1]).isInstance(v)) bad.add(w[0] + ": " + (v == null ? "null" : v.getClass().getSimpleName()));
            }
            if (!"12.34".equals(rs.getBigDecimal("c_decimal").toPlainString())) bad.add("c_decimal value " + rs.getBigDecimal("c_decimal"));
            if (!"2024-01-02 03:04:05.123".equals(rs.getTimestamp("c_timestamp").toString())) bad.add("c_timestamp value " + rs.getTimestamp("c_timestamp"));
            Object[] arr = (Object[]) rs.getArray("c_array").getArray();
            if (arr.length != 3) bad.add("c_array length " + arr.length);
            if (!bad.isEmpty()) throw new Fail(String.join("; ", bad));
        }
        return "";
    }

    static String metadata() throws Exception {
        try (Connection c = connect(port)) {
            DatabaseMetaData md = c.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, "default_database", "%", null)) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
            }
            if (!tables.containsAll(List.of("orders", "products", "big_orders"))) throw new Fail("getTables: " + tables);
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "default_database", "orders", null)) {
                while (rs.next()) cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
            }
            expect("getColumns", cols, List.of("order_id:int4", "customer:text", "amount:numeric", "order_date:date"));
            List<String> cats = new ArrayList<>();
            try (ResultSet rs = md.getCatalogs()) {
                while (rs.next()) cats.add(rs.getString(1));
            }
            if (!cats.contains("default_catalog")) throw new Fail("getCatalogs: " + cats);
            return "DatabaseMetaData getCatalogs/getTables/getColumns";
        }
    }

    static String cancel() throws Exception {
        try (Connection c = connect(port); Statement st = c.createStatement()) {
            Thread t = new Thread(() -> {
                try { Thread.sleep(2000); st.cancel(); } catch (Exception ignored) { }
            });
            t.start();
            long start = System.nanoTime();
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM slow")) {
                throw new Fail("query finished instead of being cancelled");
            } catch (SQLException e) {
                expect("sqlstate", e.getSQLState(), "57014");
            }
            long secs = (System.nanoTime() - start) / 1_000_000_000L;
            if (secs > 15) throw new Fail("cancelled only after " + secs + "s");
            if (!c.isValid(5)) throw new Fail("connection unusable after cancel");
        }
        return "";
    }

    static String streaming() throws Exception {
        if (streamPort == null) throw new Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)");
        try (Connection c = connect(streamPort)) {
            if (!flinkwire) c.setAutoCommit(false); // PgJDBC uses a portal only outside autocommit
            try (Statement st = c.createStatement()) {
                st.setFetchSize(10);
                try (ResultSet rs = st.executeQuery("SELECT id, label FROM endless")) {
                    for (int i = 0; i < 20; i++) if (!rs.next()) throw new Fail("ended after " + i + " rows");
                }
            }
        }
        return flinkwire ? "default autocommit, fetch size 10" : "autocommit off, fetch size 10";
    }

    public static void main(String[] args) throws Exception {
        String client = args[0];
        flinkwire = client.equals("flinkwire-jdbc");
        String out = args[1];
        Map<String, Object> checks = new LinkedHashMap<>();
        checks.put("connect", (Check) () -> {
            try (Connection c = connect(port)) {
                expect("product", c.getMetaData().getDatabaseProductName(), flinkwire ? "Apache Flink" : "PostgreSQL");
                if (!c.isValid(5)) throw new Fail("isValid false");
            }
            return "";
        });
        checks.put("connect_tls", (Check) JdbcClient::tls);
        checks.put("simple_query", (Check) () -> {
            try (Connection c = connect(port); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT order_id, customer FROM orders ORDER BY order_id")) {
                rs.next();
                expect("first row", rs.getInt(1) + "|" + rs.getString(2), "1|alice");
            }
            return "";
        });
        checks.put("param_query", (Check) () -> {
            try (Connection c = connect(port);
                    PreparedStatement ps = c.prepareStatement("SELECT customer FROM orders WHERE order_id = ? AND customer = ?")) {
                for (int i = 0; i < 6; i++) { // past prepareThreshold: named statement, binary transfer
                    ps.setInt(1, 3);
                    ps.setString(2, "carol");
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) throw new Fail("no row on execution " + i);
                        expect("row", rs.getString(1), "carol");
                    }
                }
            }
            return "";
        });
        checks.put("types", (Check) JdbcClient::types);
        checks.put("metadata", (Check) JdbcClient::metadata);
        checks.put("error_sqlstate", (Check) () -> {
            try (Connection c = connect(port); Statement st = c.createStatement()) {
                try {
                    st.executeQuery("SELECT * FROM no_such_table");
                    throw new Fail("no error");
                } catch (SQLException e) {
                    expect("sqlstate", e.getSQLState(), "42P01");
                }
                try (ResultSet rs = st.executeQuery("SELECT 1")) { rs.next(); }
            }
            return "";
        });
        checks.put("cancel", (Check) JdbcClient::cancel);
        checks.put("streaming", (Check) JdbcClient::streaming);

        Map<String, String[]> results = new LinkedHashMap<>();
        ExecutorService ex = Executors.newCachedThreadPool(r -> { Thread t = new Thread(r); t.setDaemon(true); return t; });
        for (Map.Entry<String, Object> e : checks.entrySet()) {
            String status, reason;
            if (e.getValue() instanceof String s) {
                status = "skip"; reason = s;
            } else {
                Future<String> f = ex.submit(() -> ((Check) e.getValue()).run());
                try {
                    reason = f.get(e.getKey().equals("streaming") || e.getKey().equals("cancel") ? 25 : 60, TimeUnit.SECONDS);
                    status = "pass";
                } catch (TimeoutException te) {
                    status = "fail"; reason = "no answer within the deadline";
                    f.cancel(true);
                    synchronized (open) {
                        for (Connection c : open) { try { c.abort(ex); } catch (Exception ignored) { } }
                    }
                } catch (java.util.concurrent.ExecutionException ee) {
                    Throwable c = ee.getCause();
                    status = c instanceof Skip ? "skip" : "fail";
                    String state = c instanceof SQLException se && se.getSQLState() != null ? se.getSQLState() + " " : "";
                    String msg = String.valueOf(c.getMessage()).split("\n")[0];
                    reason = (c instanceof Skip || c instanceof Fail ? "" : c.getClass().getSimpleName() + " ") + state + msg;
                }
            }
            synchronized (open) { open.clear(); }
            if (reason.length() > 300) reason = reason.substring(0, 300);
            results.put(e.getKey(), new String[] {status, reason});
            System.err.printf("  %-16s %-15s %-5s %s%n", client, e.getKey(), status, reason);
            try (FileWriter w = new FileWriter(out)) {
                StringBuilder sb = new StringBuilder("{");
                for (Map.Entry<String, String[]> r : results.entrySet()) {
                    if (sb.length() > 1) sb.append(",");
                    sb.append("\n \"").append(r.getKey()).append("\": {\"status\": \"").append(r.getValue()[0])
                            .append("\", \"reason\": \"").append(json(r.getValue()[1])).append("\"}");
                }
                w.write(sb.append("\n}\n").toString());
            }
        }
        System.exit(0);
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.toString();
    }
}

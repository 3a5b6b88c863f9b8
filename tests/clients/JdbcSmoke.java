import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** PgJDBC (Debian's libpostgresql-jdbc-java) against a running flinkwire. */
public class JdbcSmoke {
    private static final List<String> failures = new ArrayList<>();

    private static void check(String name, Object got, Object want) {
        if (!Objects.equals(got, want)) {
            failures.add(name + ": got " + got + ", want " + want);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + System.getenv().getOrDefault("PGPORT", "5433") + "/default_catalog";
        try (Connection conn = DriverManager.getConnection(url, "test", "")) {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                rs.next();
                check("select 1", rs.getInt(1), 1);
            }
            // The same PreparedStatement many times: PgJDBC switches to a named server-side
            // statement and binary transfer after prepareThreshold (5) executions.
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT CAST(? AS INT) * 2 AS n, ? AS s, CAST(? AS BIGINT) AS b, CAST(? AS DECIMAL(10, 2)) AS d, "
                            + "CAST(? AS DATE) AS dt, CAST(? AS BOOLEAN) AS f, CAST(? AS INT) AS z")) {
                for (int i = 0; i < 7; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "o'neil; --" + i);
                    ps.setLong(3, 10_000_000_000L + i);
                    ps.setBigDecimal(4, new BigDecimal("3.25"));
                    ps.setDate(5, Date.valueOf("2024-01-0" + (i + 1)));
                    ps.setBoolean(6, i % 2 == 0);
                    ps.setNull(7, Types.INTEGER);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        check("n#" + i, rs.getInt("n"), i * 2);
                        check("s#" + i, rs.getString("s"), "o'neil; --" + i);
                        check("b#" + i, rs.getLong("b"), 10_000_000_000L + i);
                        check("d#" + i, rs.getBigDecimal("d"), new BigDecimal("3.25"));
                        check("dt#" + i, rs.getDate("dt").toString(), "2024-01-0" + (i + 1));
                        check("f#" + i, rs.getBoolean("f"), i % 2 == 0);
                        rs.getInt("z");
                        check("z null#" + i, rs.wasNull(), true);
                        check("one row#" + i, rs.next(), false);
                    }
                }
            }
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELEC 1");
                failures.add("bad SQL succeeded");
            } catch (SQLException e) {
                check("syntax error sqlstate", e.getSQLState(), "42601");
            }
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT 'after'")) {
                rs.next();
                check("usable after error", rs.getString(1), "after");
            }
        }
        if (!failures.isEmpty()) {
            System.err.println("JdbcSmoke FAILED:\n  " + String.join("\n  ", failures));
            System.exit(1);
        }
        System.out.println("JdbcSmoke: ok");
    }
}

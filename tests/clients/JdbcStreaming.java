// PgJDBC against a streaming flinkwire: autocommit off + setFetchSize(100) over an unbounded
// datagen source (Execute with a row limit -> PortalSuspended -> Execute continues the same
// Flink result), reading 1 000 rows, then closing; the Flink job must end CANCELED.
// Run by scripts/test.sh (PGPORT = a streaming flinkwire, FLINKWIRE_TEST_FLINK_REST = JobManager).
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class JdbcStreaming {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + System.getenv().getOrDefault("PGHOST", "127.0.0.1") + ":"
                + System.getenv().getOrDefault("PGPORT", "5433") + "/default_catalog?user=test";
        String rest = System.getenv("FLINKWIRE_TEST_FLINK_REST");
        String table = "fw_jdbc_" + ProcessHandle.current().pid() + "_" + System.currentTimeMillis();
        try (Connection conn = DriverManager.getConnection(url)) {
            try (Statement st = conn.createStatement()) {
                st.execute("SET flinkwire.result_mode = 'append'");
                st.execute("CREATE TEMPORARY TABLE " + table + " (id BIGINT, label STRING) WITH ("
                        + "'connector' = 'datagen', 'rows-per-second' = '2000', 'fields.label.length' = '4')");
            }
            conn.setAutoCommit(false);
            int n = 0;
            try (Statement st = conn.createStatement()) {
                st.setFetchSize(100);
                try (ResultSet rs = st.executeQuery("SELECT id, label FROM " + table)) {
                    while (n < 1000 && rs.next()) {
                        rs.getLong(1);
                        n++;
                    }
                }
            }
            conn.commit();
            if (n != 1000) throw new AssertionError("read " + n + " rows");
            long start = System.currentTimeMillis();
            HttpClient http = HttpClient.newHttpClient();
            Pattern job = Pattern.compile("\"name\":\"[^\"]*" + table + "[^\"]*\"[^}]*?\"state\":\"([A-Z]+)\"");
            String state = "";
            while (System.currentTimeMillis() - start < 10_000) {
                String body = http.send(HttpRequest.newBuilder(URI.create(rest + "/jobs/overview")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = job.matcher(body);
                state = m.find() ? m.group(1) : "";
                if (state.equals("CANCELED")) break;
                Thread.sleep(200);
            }
            if (!state.equals("CANCELED")) throw new AssertionError("job state " + state);
            System.out.println("PgJDBC setFetchSize(100): 1000 rows, job CANCELED after "
                    + (System.currentTimeMillis() - start) + " ms");
        }
    }
}

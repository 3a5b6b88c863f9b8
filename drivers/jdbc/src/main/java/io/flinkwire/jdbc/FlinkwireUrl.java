package io.flinkwire.jdbc;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A parsed {@code jdbc:flinkwire://host[:port][/catalog][?key=value&...]} URL and its translation to
 * PgJDBC's URL and properties.
 */
public final class FlinkwireUrl {
    public static final String PREFIX = "jdbc:flinkwire:";
    public static final int DEFAULT_PORT = 5433;
    /** Rows per round trip when the caller sets no fetch size: large and unbounded results stream. */
    public static final int DEFAULT_FETCH_SIZE = 1000;

    public final String host;
    public final int port;
    /** The Flink catalog from the path, or null. */
    public final String catalog;
    /** Query-string parameters (URL-decoded), in order. */
    public final Properties params;

    private FlinkwireUrl(String host, int port, String catalog, Properties params) {
        this.host = host;
        this.port = port;
        this.catalog = catalog;
        this.params = params;
    }

    public static boolean accepts(String url) {
        return url != null && url.startsWith(PREFIX + "//");
    }

    public static FlinkwireUrl parse(String url) throws SQLException {
        if (!accepts(url)) {
            throw new SQLException("not a flinkwire URL (jdbc:flinkwire://host[:port][/catalog][?...]): " + url, "08001");
        }
        String rest = url.substring(PREFIX.length() + 2);
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = null;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        String host;
        int port = DEFAULT_PORT;
        String portText = null;
        if (rest.startsWith("[")) { // IPv6 literal
            int close = rest.indexOf(']');
            if (close < 0) throw new SQLException("bad IPv6 host in " + url, "08001");
            host = rest.substring(0, close + 1);
            String after = rest.substring(close + 1);
            if (after.startsWith(":")) portText = after.substring(1);
            else if (!after.isEmpty()) throw new SQLException("bad host in " + url, "08001");
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon >= 0) {
                host = rest.substring(0, colon);
                portText = rest.substring(colon + 1);
            } else {
                host = rest;
            }
        }
        if (host.isEmpty()) host = "localhost";
        if (portText != null && !portText.isEmpty()) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new SQLException("bad port '" + portText + "' in " + url, "08001");
            }
            if (port < 1 || port > 65535) throw new SQLException("bad port " + port + " in " + url, "08001");
        }
        String catalog = path == null || path.isEmpty() ? null : decode(path);
        Properties params = new Properties();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.setProperty(k, v);
        }
        return new FlinkwireUrl(host, port, catalog, params);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** PgJDBC's URL for this server (the database is the Flink catalog; flinkwire's default if none). */
    public String pgUrl() {
        String db = catalog == null ? "default_catalog" : catalog;
        return "jdbc:postgresql://" + host + ":" + port + "/"
                + java.net.URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * PgJDBC's properties: the caller's, overridden by the URL's (as PgJDBC does), with
     * {@code cluster} turned into {@code options=-c flinkwire.cluster=NAME} and a default fetch size.
     * Everything else (user, password, ssl, sslmode, sslrootcert, ...) passes through unchanged.
     */
    public Properties pgProperties(Properties info) {
        Properties p = new Properties();
        if (info != null) {
            for (String k : info.stringPropertyNames()) p.setProperty(k, info.getProperty(k));
        }
        for (String k : params.stringPropertyNames()) p.setProperty(k, params.getProperty(k));
        String cluster = (String) p.remove("cluster");
        if (cluster != null && !cluster.isEmpty()) {
            String opt = "-c flinkwire.cluster=" + cluster.replace("\\", "\\\\").replace(" ", "\\ ");
            String options = p.getProperty("options");
            p.setProperty("options", options == null || options.isBlank() ? opt : options + " " + opt);
        }
        String fetch = p.getProperty("fetchSize");
        if (fetch != null) {
            p.remove("fetchSize");
            p.setProperty("defaultRowFetchSize", fetch);
        }
        p.putIfAbsent("defaultRowFetchSize", Integer.toString(DEFAULT_FETCH_SIZE));
        p.putIfAbsent("ApplicationName", "flinkwire-jdbc");
        return p;
    }
}

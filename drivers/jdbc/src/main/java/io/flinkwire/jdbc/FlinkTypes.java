package io.flinkwire.jdbc;

import java.sql.Types;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink SQL type strings (as DESCRIBE prints them) → java.sql.Types and PostgreSQL type names.
 *
 * <p>The PostgreSQL type is the one flinkwire announces for the type in RowDescription
 * ({@code protocol/src/pg_types.rs}), and the java.sql.Types code is the one PgJDBC reports for
 * that PostgreSQL type, so {@code getColumns} agrees with {@code ResultSetMetaData} of a query.
 */
final class FlinkTypes {
    private FlinkTypes() {}

    /** PostgreSQL's largest CHAR/VARCHAR length; longer Flink strings are {@code text}. */
    static final long MAX_VARCHAR = 10_485_760L;

    /** A column type: JDBC code, PostgreSQL name, size (precision/length), decimal digits. */
    record Mapped(int jdbcType, String pgName, Integer size, Integer digits, boolean nullable) {}

    private static final Pattern PARAMS = Pattern.compile("^([A-Z_]+)\\s*(?:\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\))?(.*)$");

    static Mapped map(String flinkType) {
        String t = flinkType.trim();
        boolean nullable = true;
        // Attributes DESCRIBE may append.
        t = t.replace("*ROWTIME*", "").replace("*PROCTIME*", "").trim();
        if (t.toUpperCase(Locale.ROOT).endsWith(" NOT NULL")) {
            nullable = false;
            t = t.substring(0, t.length() - " NOT NULL".length()).trim();
        }
        String upper = t.toUpperCase(Locale.ROOT);
        if (upper.startsWith("ARRAY<") && upper.endsWith(">")) {
            Mapped elem = map(t.substring(6, t.length() - 1));
            if (elem.jdbcType() == Types.OTHER || elem.pgName().startsWith("_")) {
                return new Mapped(Types.OTHER, "json", null, null, nullable); // nested containers
            }
            return new Mapped(Types.ARRAY, "_" + elem.pgName(), null, null, nullable);
        }
        if (upper.startsWith("MAP<") || upper.startsWith("ROW<") || upper.startsWith("ROW(")
                || upper.startsWith("MULTISET<") || upper.startsWith("RAW(") || upper.startsWith("RAW<")
                || upper.equals("VARIANT") || upper.startsWith("STRUCTURED")) {
            return new Mapped(Types.OTHER, "json", null, null, nullable);
        }
        if (upper.startsWith("INTERVAL")) {
            return new Mapped(Types.OTHER, "interval", 49, 6, nullable);
        }
        Matcher m = PARAMS.matcher(upper);
        if (!m.matches()) return new Mapped(Types.OTHER, "json", null, null, nullable);
        String base = m.group(1).trim();
        Integer p1 = m.group(2) == null ? null : Integer.valueOf(m.group(2));
        Integer p2 = m.group(3) == null ? null : Integer.valueOf(m.group(3));
        String suffix = m.group(4).trim();
        if (base.equals("CHARACTER") && suffix.startsWith("VARYING")) {
            base = "VARCHAR";
            Matcher v = PARAMS.matcher(suffix);
            if (v.matches() && v.group(2) != null) p1 = Integer.valueOf(v.group(2));
        }
        switch (base) {
            case "BOOLEAN":
                return new Mapped(Types.BIT, "bool", 1, null, nullable);
            case "TINYINT":
            case "SMALLINT":
                return new Mapped(Types.SMALLINT, "int2", 5, 0, nullable);
            case "INT":
            case "INTEGER":
                return new Mapped(Types.INTEGER, "int4", 10, 0, nullable);
            case "BIGINT":
                return new Mapped(Types.BIGINT, "int8", 19, 0, nullable);
            case "FLOAT":
            case "REAL":
                return new Mapped(Types.REAL, "float4", 8, 8, nullable);
            case "DOUBLE":
                return new Mapped(Types.DOUBLE, "float8", 17, 17, nullable);
            case "DECIMAL":
            case "DEC":
            case "NUMERIC":
                return new Mapped(Types.NUMERIC, "numeric", p1 == null ? 10 : p1, p2 == null ? 0 : p2, nullable);
            case "CHAR":
            case "CHARACTER": {
                long n = p1 == null ? 1 : p1;
                return n <= MAX_VARCHAR ? new Mapped(Types.CHAR, "bpchar", (int) n, null, nullable)
                        : new Mapped(Types.VARCHAR, "text", Integer.MAX_VALUE, null, nullable);
            }
            case "VARCHAR": {
                long n = p1 == null ? 1 : p1;
                return n <= MAX_VARCHAR ? new Mapped(Types.VARCHAR, "varchar", (int) n, null, nullable)
                        : new Mapped(Types.VARCHAR, "text", Integer.MAX_VALUE, null, nullable);
            }
            case "STRING":
                return new Mapped(Types.VARCHAR, "text", Integer.MAX_VALUE, null, nullable);
            case "BINARY":
            case "VARBINARY":
            case "BYTES":
                return new Mapped(Types.BINARY, "bytea", p1 == null ? Integer.MAX_VALUE : p1, null, nullable);
            case "DATE":
                return new Mapped(Types.DATE, "date", 13, null, nullable);
            case "TIME": {
                int p = Math.min(p1 == null ? 0 : p1, 6);
                return new Mapped(Types.TIME, "time", 8 + (p > 0 ? p + 1 : 0), p, nullable);
            }
            case "TIMESTAMP": {
                int p = Math.min(p1 == null ? 6 : p1, 6);
                String s = suffix.replaceAll("\\s+", " ");
                String pgName = s.contains("TIME ZONE") ? "timestamptz" : "timestamp";
                return new Mapped(Types.TIMESTAMP, pgName, 19 + (p > 0 ? p + 1 : 0) + (pgName.equals("timestamptz") ? 6 : 0), p, nullable);
            }
            case "TIMESTAMP_LTZ": {
                int p = Math.min(p1 == null ? 6 : p1, 6);
                return new Mapped(Types.TIMESTAMP, "timestamptz", 25 + (p > 0 ? p + 1 : 0), p, nullable);
            }
            case "NULL":
                return new Mapped(Types.VARCHAR, "text", Integer.MAX_VALUE, null, true);
            default:
                return new Mapped(Types.OTHER, "json", null, null, nullable);
        }
    }
}

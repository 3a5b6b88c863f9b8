package io.flinkwire.jdbc;

import static java.sql.Types.BIGINT;
import static java.sql.Types.BOOLEAN;
import static java.sql.Types.INTEGER;
import static java.sql.Types.SMALLINT;
import static java.sql.Types.VARCHAR;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.RowIdLifetime;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@link DatabaseMetaData} answered from Flink's own statements (SHOW CATALOGS, SHOW DATABASES,
 * SHOW TABLES, SHOW VIEWS, DESCRIBE) through the connection; it does not need flinkwire's
 * pg_catalog emulation. Methods about the server's SQL dialect are answered for Flink SQL; the
 * rest are PgJDBC's.
 */
final class MetaDataHandler implements InvocationHandler {
    /** Used when the server does not report Flink's version (see docs/jdbc.md). */
    static final String FALLBACK_FLINK_VERSION = "2.3.0";

    private final ConnectionHandler conn;
    private final DatabaseMetaData pg;

    private MetaDataHandler(ConnectionHandler conn, DatabaseMetaData pg) {
        this.conn = conn;
        this.pg = pg;
    }

    static DatabaseMetaData wrap(ConnectionHandler conn, DatabaseMetaData pg) {
        return (DatabaseMetaData) Proxy.newProxyInstance(MetaDataHandler.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, new MetaDataHandler(conn, pg));
    }

    @Override
    public Object invoke(Object self, Method m, Object[] a) throws Throwable {
        Object common = ProxyMethods.answer(self, m.getName(), a, pg, () -> "flinkwire DatabaseMetaData");
        if (common != ProxyMethods.OTHER) return common;
        switch (m.getName()) {
            case "getConnection": return conn.proxy;
            case "getURL": return conn.url;
            case "getDatabaseProductName": return "Apache Flink";
            case "getDatabaseProductVersion": return flinkVersion();
            case "getDatabaseMajorVersion": return versionPart(0);
            case "getDatabaseMinorVersion": return versionPart(1);
            case "getDriverName": return FlinkwireDriver.NAME;
            case "getDriverVersion": return FlinkwireDriver.VERSION + " (on PgJDBC " + pg.getDriverVersion() + ")";
            case "getDriverMajorVersion": return FlinkwireDriver.MAJOR;
            case "getDriverMinorVersion": return FlinkwireDriver.MINOR;
            case "getIdentifierQuoteString": return "`";
            case "getCatalogTerm": return "catalog";
            case "getSchemaTerm": return "database";
            case "getProcedureTerm": return "procedure";
            case "getCatalogSeparator": return ".";
            case "isCatalogAtStart": return true;
            case "supportsCatalogsInDataManipulation":
            case "supportsCatalogsInTableDefinitions":
            case "supportsSchemasInDataManipulation":
            case "supportsSchemasInTableDefinitions":
                return true;
            case "supportsCatalogsInProcedureCalls":
            case "supportsCatalogsInIndexDefinitions":
            case "supportsCatalogsInPrivilegeDefinitions":
            case "supportsSchemasInIndexDefinitions":
            case "supportsSchemasInPrivilegeDefinitions":
            case "supportsTransactions":
            case "supportsMultipleTransactions":
            case "supportsDataDefinitionAndDataManipulationTransactions":
            case "supportsDataManipulationTransactionsOnly":
            case "supportsStoredProcedures":
            case "supportsSelectForUpdate":
            case "supportsPositionedDelete":
            case "supportsPositionedUpdate":
            case "supportsGetGeneratedKeys":
            case "supportsSavepoints":
            case "supportsBatchUpdates":
            case "supportsMixedCaseIdentifiers":
            case "storesUpperCaseIdentifiers":
            case "storesLowerCaseIdentifiers":
            case "storesMixedCaseQuotedIdentifiers":
            case "storesUpperCaseQuotedIdentifiers":
            case "storesLowerCaseQuotedIdentifiers":
                return false;
            case "supportsMixedCaseQuotedIdentifiers":
            case "storesMixedCaseIdentifiers":
                return true; // Flink identifiers are case-sensitive and kept as written
            case "getDefaultTransactionIsolation": return java.sql.Connection.TRANSACTION_NONE;
            case "supportsTransactionIsolationLevel": return a[0].equals(java.sql.Connection.TRANSACTION_NONE);
            case "getRowIdLifetime": return RowIdLifetime.ROWID_UNSUPPORTED;
            case "isReadOnly": return false;
            case "getUserName": return pg.getUserName();
            case "getCatalogs": return getCatalogs();
            case "getSchemas": return a == null || a.length == 0 ? getSchemas(null, null) : getSchemas((String) a[0], (String) a[1]);
            case "getTables": return getTables((String) a[0], (String) a[1], (String) a[2], (String[]) a[3]);
            case "getTableTypes": return ListResultSet.of(ListResultSet.cols("TABLE_TYPE", VARCHAR),
                    List.of(new Object[] {"TABLE"}, new Object[] {"VIEW"}));
            case "getColumns": return getColumns((String) a[0], (String) a[1], (String) a[2], (String) a[3]);
            case "getPrimaryKeys": return getPrimaryKeys((String) a[0], (String) a[1], (String) a[2]);
            case "getTypeInfo": return getTypeInfo();
            // Flink has none of these: answer empty rather than query pg_catalog.
            case "getImportedKeys":
            case "getExportedKeys":
            case "getCrossReference": return empty(FK_COLS);
            case "getIndexInfo": return empty(INDEX_COLS);
            case "getProcedures": return empty(PROC_COLS);
            case "getProcedureColumns": return empty(PROC_COLUMN_COLS);
            case "getFunctions": return empty(FUNCTION_COLS);
            case "getFunctionColumns": return empty(FUNCTION_COLUMN_COLS);
            case "getUDTs": return empty(UDT_COLS);
            case "getSuperTypes": return empty(ListResultSet.cols("TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR,
                    "SUPERTYPE_CAT", VARCHAR, "SUPERTYPE_SCHEM", VARCHAR, "SUPERTYPE_NAME", VARCHAR));
            case "getSuperTables": return empty(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                    "SUPERTABLE_NAME", VARCHAR));
            case "getTablePrivileges": return empty(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                    "GRANTOR", VARCHAR, "GRANTEE", VARCHAR, "PRIVILEGE", VARCHAR, "IS_GRANTABLE", VARCHAR));
            case "getColumnPrivileges": return empty(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                    "COLUMN_NAME", VARCHAR, "GRANTOR", VARCHAR, "GRANTEE", VARCHAR, "PRIVILEGE", VARCHAR, "IS_GRANTABLE", VARCHAR));
            case "getBestRowIdentifier":
            case "getVersionColumns": return empty(ListResultSet.cols("SCOPE", SMALLINT, "COLUMN_NAME", VARCHAR, "DATA_TYPE", INTEGER,
                    "TYPE_NAME", VARCHAR, "COLUMN_SIZE", INTEGER, "BUFFER_LENGTH", INTEGER, "DECIMAL_DIGITS", SMALLINT,
                    "PSEUDO_COLUMN", SMALLINT));
            case "getPseudoColumns": return empty(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                    "COLUMN_NAME", VARCHAR, "DATA_TYPE", INTEGER, "COLUMN_SIZE", INTEGER, "DECIMAL_DIGITS", INTEGER,
                    "NUM_PREC_RADIX", INTEGER, "COLUMN_USAGE", VARCHAR, "REMARKS", VARCHAR, "CHAR_OCTET_LENGTH", INTEGER,
                    "IS_NULLABLE", VARCHAR));
            case "getClientInfoProperties": return empty(ListResultSet.cols("NAME", VARCHAR, "MAX_LEN", INTEGER,
                    "DEFAULT_VALUE", VARCHAR, "DESCRIPTION", VARCHAR));
            case "getAttributes": return empty(ListResultSet.cols("TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR,
                    "ATTR_NAME", VARCHAR, "DATA_TYPE", INTEGER, "ATTR_TYPE_NAME", VARCHAR));
            default:
                return ConnectionHandler.invokeOn(pg, m, a);
        }
    }

    // ---- version -------------------------------------------------------------------------------

    private String flinkVersion;

    /**
     * Flink's version: the {@code flink_version} parameter status if the server reports one, else the
     * {@code flinkVersion} connection property, else {@link #FALLBACK_FLINK_VERSION}.
     */
    private String flinkVersion() {
        if (flinkVersion != null) return flinkVersion;
        String v = null;
        try {
            org.postgresql.PGConnection pgc = conn.pg.unwrap(org.postgresql.PGConnection.class);
            v = pgc.getParameterStatus("flink_version");
        } catch (SQLException | LinkageError ignored) {
            // not reported
        }
        if (v == null || v.isBlank()) v = conn.parsed.params.getProperty("flinkVersion");
        if (v == null || v.isBlank()) v = FALLBACK_FLINK_VERSION;
        flinkVersion = v;
        return v;
    }

    private int versionPart(int i) {
        String[] parts = flinkVersion().split("[.\\-]");
        try {
            return i < parts.length ? Integer.parseInt(parts[i]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---- catalogs, databases, tables -----------------------------------------------------------

    private List<String> column(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = conn.pg.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) out.add(rs.getString(1));
        } catch (SQLException e) {
            conn.afterError();
            throw e;
        }
        return out;
    }

    private List<String> catalogs(String catalog) throws SQLException {
        List<String> all = column("SHOW CATALOGS");
        if (catalog == null) return sorted(all);
        return all.contains(catalog) ? List.of(catalog) : List.of();
    }

    private List<String> databases(String catalog, Pattern schema) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String db : column("SHOW DATABASES IN " + Sql.quoteIdent(catalog))) {
            if (Sql.matches(schema, db)) out.add(db);
        }
        return sorted(out);
    }

    private static List<String> sorted(List<String> in) {
        List<String> out = new ArrayList<>(in);
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private ResultSet getCatalogs() throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        for (String c : catalogs(null)) rows.add(new Object[] {c});
        return ListResultSet.of(ListResultSet.cols("TABLE_CAT", VARCHAR), rows);
    }

    private ResultSet getSchemas(String catalog, String schemaPattern) throws SQLException {
        Pattern p = Sql.like(schemaPattern);
        List<Object[]> rows = new ArrayList<>();
        for (String c : catalogs(catalog)) {
            for (String db : databases(c, p)) rows.add(new Object[] {db, c});
        }
        return ListResultSet.of(ListResultSet.cols("TABLE_SCHEM", VARCHAR, "TABLE_CATALOG", VARCHAR), rows);
    }

    /** (catalog, database, table, type) of every table and view matching the patterns. */
    private List<String[]> tables(String catalog, String schemaPattern, String tablePattern) throws SQLException {
        Pattern sp = Sql.like(schemaPattern);
        Pattern tp = Sql.like(tablePattern);
        List<String[]> out = new ArrayList<>();
        for (String c : catalogs(catalog)) {
            for (String db : databases(c, sp)) {
                String qualified = Sql.quoteIdent(c) + "." + Sql.quoteIdent(db);
                Set<String> views = new LinkedHashSet<>(column("SHOW VIEWS IN " + qualified));
                for (String t : sorted(column("SHOW TABLES IN " + qualified))) {
                    if (Sql.matches(tp, t)) out.add(new String[] {c, db, t, views.contains(t) ? "VIEW" : "TABLE"});
                }
            }
        }
        return out;
    }

    private ResultSet getTables(String catalog, String schemaPattern, String tablePattern, String[] types) throws SQLException {
        Set<String> wanted = types == null ? null : Set.of(types);
        List<Object[]> rows = new ArrayList<>();
        for (String[] t : tables(catalog, schemaPattern, tablePattern)) {
            if (wanted != null && !wanted.contains(t[3])) continue;
            rows.add(new Object[] {t[0], t[1], t[2], t[3], "", null, null, null, null, null});
        }
        rows.sort(Comparator.comparing((Object[] r) -> (String) r[3]).thenComparing(r -> (String) r[0])
                .thenComparing(r -> (String) r[1]).thenComparing(r -> (String) r[2]));
        return ListResultSet.of(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "TABLE_TYPE", VARCHAR, "REMARKS", VARCHAR, "TYPE_CAT", VARCHAR, "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR,
                "SELF_REFERENCING_COL_NAME", VARCHAR, "REF_GENERATION", VARCHAR), rows);
    }

    /** DESCRIBE's rows: name, type, null, key, extras, watermark. */
    private List<String[]> describe(String c, String db, String t) throws SQLException {
        List<String[]> out = new ArrayList<>();
        String sql = "DESCRIBE " + Sql.quoteIdent(c) + "." + Sql.quoteIdent(db) + "." + Sql.quoteIdent(t);
        try (Statement st = conn.pg.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                String[] row = new String[6];
                for (int i = 0; i < Math.min(n, 6); i++) row[i] = rs.getString(i + 1);
                out.add(row);
            }
        } catch (SQLException e) {
            conn.afterError();
            throw e;
        }
        return out;
    }

    private static boolean isTrue(String s) {
        return s != null && (s.equals("t") || s.equalsIgnoreCase("true"));
    }

    private ResultSet getColumns(String catalog, String schemaPattern, String tablePattern, String columnPattern)
            throws SQLException {
        Pattern cp = Sql.like(columnPattern);
        List<Object[]> rows = new ArrayList<>();
        for (String[] t : tables(catalog, schemaPattern, tablePattern)) {
            int ordinal = 0;
            for (String[] col : describe(t[0], t[1], t[2])) {
                ordinal++;
                if (!Sql.matches(cp, col[0])) continue;
                FlinkTypes.Mapped ty = FlinkTypes.map(col[1]);
                boolean nullable = ty.nullable() && (col[2] == null || isTrue(col[2]));
                String extras = col[4] == null ? "" : col[4];
                boolean generated = extras.startsWith("AS ") || extras.contains("METADATA");
                rows.add(new Object[] {t[0], t[1], t[2], col[0], ty.jdbcType(), ty.pgName(), ty.size(), null,
                        ty.digits(), ty.digits() == null ? null : 10,
                        nullable ? DatabaseMetaData.columnNullable : DatabaseMetaData.columnNoNulls,
                        col[1], null, null, null,
                        ty.jdbcType() == Types.VARCHAR || ty.jdbcType() == Types.CHAR ? ty.size() : null,
                        ordinal, nullable ? "YES" : "NO", null, null, null, null, "NO", generated ? "YES" : "NO"});
            }
        }
        return ListResultSet.of(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR, "COLUMN_SIZE", INTEGER,
                "BUFFER_LENGTH", INTEGER, "DECIMAL_DIGITS", INTEGER, "NUM_PREC_RADIX", INTEGER, "NULLABLE", INTEGER,
                "REMARKS", VARCHAR, "COLUMN_DEF", VARCHAR, "SQL_DATA_TYPE", INTEGER, "SQL_DATETIME_SUB", INTEGER,
                "CHAR_OCTET_LENGTH", INTEGER, "ORDINAL_POSITION", INTEGER, "IS_NULLABLE", VARCHAR,
                "SCOPE_CATALOG", VARCHAR, "SCOPE_SCHEMA", VARCHAR, "SCOPE_TABLE", VARCHAR, "SOURCE_DATA_TYPE", SMALLINT,
                "IS_AUTOINCREMENT", VARCHAR, "IS_GENERATEDCOLUMN", VARCHAR), rows);
    }

    private ResultSet getPrimaryKeys(String catalog, String schema, String table) throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        // getPrimaryKeys takes names, not patterns: escape them for tables().
        String sp = schema == null ? null : escapeLike(schema);
        String tp = table == null ? null : escapeLike(table);
        for (String[] t : tables(catalog, sp, tp)) {
            if (t[3].equals("VIEW")) continue;
            for (String[] col : describe(t[0], t[1], t[2])) {
                String key = col[3];
                if (key == null || !key.startsWith("PRI(")) continue;
                String[] keyCols = key.substring(4, key.length() - 1).split(",\\s*");
                for (short i = 0; i < keyCols.length; i++) {
                    rows.add(new Object[] {t[0], t[1], t[2], keyCols[i], (short) (i + 1), "PK_" + t[2]});
                }
                break; // every key column repeats the same PRI(...) list
            }
        }
        rows.sort(Comparator.comparing((Object[] r) -> (String) r[3]));
        return ListResultSet.of(ListResultSet.cols("TABLE_CAT", VARCHAR, "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR,
                "COLUMN_NAME", VARCHAR, "KEY_SEQ", SMALLINT, "PK_NAME", VARCHAR), rows);
    }

    private static String escapeLike(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    // ---- types ---------------------------------------------------------------------------------

    /** The PostgreSQL types flinkwire announces, with the Flink type each stands for. */
    private static final Object[][] TYPES = {
        // pg name, java.sql.Types, precision, literal prefix/suffix, create params, Flink type
        {"bool", Types.BIT, 1, null, null, null, "BOOLEAN"},
        {"int2", Types.SMALLINT, 5, null, null, null, "SMALLINT"},
        {"int4", Types.INTEGER, 10, null, null, null, "INT"},
        {"int8", Types.BIGINT, 19, null, null, null, "BIGINT"},
        {"float4", Types.REAL, 8, null, null, null, "FLOAT"},
        {"float8", Types.DOUBLE, 17, null, null, null, "DOUBLE"},
        {"numeric", Types.NUMERIC, 38, null, null, "precision,scale", "DECIMAL"},
        {"bpchar", Types.CHAR, 10485760, "'", "'", "length", "CHAR"},
        {"varchar", Types.VARCHAR, 10485760, "'", "'", "length", "VARCHAR"},
        {"text", Types.VARCHAR, Integer.MAX_VALUE, "'", "'", null, "STRING"},
        {"bytea", Types.BINARY, Integer.MAX_VALUE, "X'", "'", null, "BYTES"},
        {"date", Types.DATE, 13, "DATE '", "'", null, "DATE"},
        {"time", Types.TIME, 15, "TIME '", "'", "precision", "TIME"},
        {"timestamp", Types.TIMESTAMP, 29, "TIMESTAMP '", "'", "precision", "TIMESTAMP"},
        {"timestamptz", Types.TIMESTAMP, 35, null, null, "precision", "TIMESTAMP_LTZ"},
        {"interval", Types.OTHER, 49, "INTERVAL '", "'", null, "INTERVAL"},
        {"json", Types.OTHER, Integer.MAX_VALUE, null, null, null, "MAP/ROW/MULTISET"},
    };

    private ResultSet getTypeInfo() {
        List<Object[]> rows = new ArrayList<>();
        for (Object[] t : TYPES) {
            int jdbc = (Integer) t[1];
            boolean numeric = jdbc == Types.SMALLINT || jdbc == Types.INTEGER || jdbc == Types.BIGINT
                    || jdbc == Types.REAL || jdbc == Types.DOUBLE || jdbc == Types.NUMERIC;
            boolean text = jdbc == Types.CHAR || jdbc == Types.VARCHAR;
            rows.add(new Object[] {t[0], jdbc, t[2], t[3], t[4], t[5], (short) DatabaseMetaData.typeNullable, text,
                    (short) (jdbc == Types.OTHER || jdbc == Types.BINARY ? DatabaseMetaData.typePredNone
                            : DatabaseMetaData.typeSearchable),
                    !numeric, false, false, t[6],
                    (short) 0, (short) (jdbc == Types.NUMERIC ? 38 : jdbc == Types.TIMESTAMP || jdbc == Types.TIME ? 6 : 0),
                    null, null, numeric ? 10 : null});
        }
        rows.sort(Comparator.comparing((Object[] r) -> (Integer) r[1]));
        return ListResultSet.of(ListResultSet.cols("TYPE_NAME", VARCHAR, "DATA_TYPE", INTEGER, "PRECISION", INTEGER,
                "LITERAL_PREFIX", VARCHAR, "LITERAL_SUFFIX", VARCHAR, "CREATE_PARAMS", VARCHAR, "NULLABLE", SMALLINT,
                "CASE_SENSITIVE", BOOLEAN, "SEARCHABLE", SMALLINT, "UNSIGNED_ATTRIBUTE", BOOLEAN,
                "FIXED_PREC_SCALE", BOOLEAN, "AUTO_INCREMENT", BOOLEAN, "LOCAL_TYPE_NAME", VARCHAR,
                "MINIMUM_SCALE", SMALLINT, "MAXIMUM_SCALE", SMALLINT, "SQL_DATA_TYPE", INTEGER,
                "SQL_DATETIME_SUB", INTEGER, "NUM_PREC_RADIX", INTEGER), rows);
    }

    // ---- empty answers -------------------------------------------------------------------------

    private static ResultSet empty(List<ListResultSet.Col> cols) {
        return ListResultSet.of(cols, List.of());
    }

    private static final List<ListResultSet.Col> FK_COLS = ListResultSet.cols("PKTABLE_CAT", VARCHAR,
            "PKTABLE_SCHEM", VARCHAR, "PKTABLE_NAME", VARCHAR, "PKCOLUMN_NAME", VARCHAR, "FKTABLE_CAT", VARCHAR,
            "FKTABLE_SCHEM", VARCHAR, "FKTABLE_NAME", VARCHAR, "FKCOLUMN_NAME", VARCHAR, "KEY_SEQ", SMALLINT,
            "UPDATE_RULE", SMALLINT, "DELETE_RULE", SMALLINT, "FK_NAME", VARCHAR, "PK_NAME", VARCHAR,
            "DEFERRABILITY", SMALLINT);
    private static final List<ListResultSet.Col> INDEX_COLS = ListResultSet.cols("TABLE_CAT", VARCHAR,
            "TABLE_SCHEM", VARCHAR, "TABLE_NAME", VARCHAR, "NON_UNIQUE", BOOLEAN, "INDEX_QUALIFIER", VARCHAR,
            "INDEX_NAME", VARCHAR, "TYPE", SMALLINT, "ORDINAL_POSITION", SMALLINT, "COLUMN_NAME", VARCHAR,
            "ASC_OR_DESC", VARCHAR, "CARDINALITY", BIGINT, "PAGES", BIGINT, "FILTER_CONDITION", VARCHAR);
    private static final List<ListResultSet.Col> PROC_COLS = ListResultSet.cols("PROCEDURE_CAT", VARCHAR,
            "PROCEDURE_SCHEM", VARCHAR, "PROCEDURE_NAME", VARCHAR, "RESERVED1", VARCHAR, "RESERVED2", VARCHAR,
            "RESERVED3", VARCHAR, "REMARKS", VARCHAR, "PROCEDURE_TYPE", SMALLINT, "SPECIFIC_NAME", VARCHAR);
    private static final List<ListResultSet.Col> PROC_COLUMN_COLS = ListResultSet.cols("PROCEDURE_CAT", VARCHAR,
            "PROCEDURE_SCHEM", VARCHAR, "PROCEDURE_NAME", VARCHAR, "COLUMN_NAME", VARCHAR, "COLUMN_TYPE", SMALLINT,
            "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR, "PRECISION", INTEGER, "LENGTH", INTEGER, "SCALE", SMALLINT,
            "RADIX", SMALLINT, "NULLABLE", SMALLINT, "REMARKS", VARCHAR);
    private static final List<ListResultSet.Col> FUNCTION_COLS = ListResultSet.cols("FUNCTION_CAT", VARCHAR,
            "FUNCTION_SCHEM", VARCHAR, "FUNCTION_NAME", VARCHAR, "REMARKS", VARCHAR, "FUNCTION_TYPE", SMALLINT,
            "SPECIFIC_NAME", VARCHAR);
    private static final List<ListResultSet.Col> FUNCTION_COLUMN_COLS = ListResultSet.cols("FUNCTION_CAT", VARCHAR,
            "FUNCTION_SCHEM", VARCHAR, "FUNCTION_NAME", VARCHAR, "COLUMN_NAME", VARCHAR, "COLUMN_TYPE", SMALLINT,
            "DATA_TYPE", INTEGER, "TYPE_NAME", VARCHAR, "PRECISION", INTEGER, "LENGTH", INTEGER, "SCALE", SMALLINT,
            "RADIX", SMALLINT, "NULLABLE", SMALLINT, "REMARKS", VARCHAR);
    private static final List<ListResultSet.Col> UDT_COLS = ListResultSet.cols("TYPE_CAT", VARCHAR,
            "TYPE_SCHEM", VARCHAR, "TYPE_NAME", VARCHAR, "CLASS_NAME", VARCHAR, "DATA_TYPE", INTEGER,
            "REMARKS", VARCHAR, "BASE_TYPE", SMALLINT);
}

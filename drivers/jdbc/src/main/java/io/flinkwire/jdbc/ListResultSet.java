package io.flinkwire.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

/** A small in-memory, forward-only {@link ResultSet} for DatabaseMetaData answers. */
final class ListResultSet implements InvocationHandler {
    /** A column: name and java.sql.Types code (VARCHAR, INTEGER, SMALLINT, BOOLEAN or BIGINT). */
    record Col(String name, int type) {}

    private final List<Col> cols;
    private final List<Object[]> rows;
    private final Statement statement;
    private int pos = -1;
    private boolean closed;
    private boolean wasNull;

    private ListResultSet(List<Col> cols, List<Object[]> rows, Statement statement) {
        this.cols = cols;
        this.rows = rows;
        this.statement = statement;
    }

    static ResultSet of(List<Col> cols, List<Object[]> rows) {
        return (ResultSet) Proxy.newProxyInstance(ListResultSet.class.getClassLoader(),
                new Class<?>[] {ResultSet.class}, new ListResultSet(cols, new ArrayList<>(rows), null));
    }

    static List<Col> cols(Object... nameTypePairs) {
        List<Col> out = new ArrayList<>();
        for (int i = 0; i < nameTypePairs.length; i += 2) {
            out.add(new Col((String) nameTypePairs[i], (Integer) nameTypePairs[i + 1]));
        }
        return out;
    }

    private int index(Object arg) throws SQLException {
        if (arg instanceof Integer i) {
            if (i < 1 || i > cols.size()) throw new SQLException("column index out of range: " + i, "22023");
            return i;
        }
        String label = (String) arg;
        for (int i = 0; i < cols.size(); i++) {
            if (cols.get(i).name().equalsIgnoreCase(label)) return i + 1;
        }
        throw new SQLException("no column named " + label, "42703");
    }

    private Object value(Object arg) throws SQLException {
        if (closed) throw new SQLException("the result set is closed", "24000");
        if (pos < 0 || pos >= rows.size()) throw new SQLException("no current row", "24000");
        Object v = rows.get(pos)[index(arg) - 1];
        wasNull = v == null;
        return v;
    }

    @Override
    public Object invoke(Object self, Method m, Object[] args) throws Throwable {
        String name = m.getName();
        Object common = ProxyMethods.answer(self, name, args, null, () -> "flinkwire metadata result (" + rows.size() + " rows)");
        if (common != ProxyMethods.OTHER) return common;
        switch (name) {
            case "next":
                if (closed) throw new SQLException("the result set is closed", "24000");
                if (pos < rows.size()) pos++;
                return pos < rows.size();
            case "close":
                closed = true;
                return null;
            case "isClosed":
                return closed;
            case "wasNull":
                return wasNull;
            case "isBeforeFirst":
                return pos < 0 && !rows.isEmpty();
            case "isAfterLast":
                return pos >= rows.size() && !rows.isEmpty();
            case "isFirst":
                return pos == 0 && !rows.isEmpty();
            case "isLast":
                return pos == rows.size() - 1 && !rows.isEmpty();
            case "getRow":
                return pos >= 0 && pos < rows.size() ? pos + 1 : 0;
            case "findColumn":
                return index(args[0]);
            case "getMetaData":
                return metaData();
            case "getStatement":
                return statement;
            case "getType":
                return ResultSet.TYPE_FORWARD_ONLY;
            case "getConcurrency":
                return ResultSet.CONCUR_READ_ONLY;
            case "getHoldability":
                return ResultSet.HOLD_CURSORS_OVER_COMMIT;
            case "getFetchDirection":
                return ResultSet.FETCH_FORWARD;
            case "getFetchSize":
                return 0;
            case "setFetchSize":
            case "setFetchDirection":
            case "clearWarnings":
                return null;
            case "getWarnings":
                return null;
            case "getString": {
                Object v = value(args[0]);
                return v == null ? null : v.toString();
            }
            case "getObject": {
                Object v = value(args[0]);
                if (args.length == 2 && args[1] instanceof Class<?> c && v != null) {
                    if (c == String.class) return v.toString();
                    if (c == Integer.class) return ((Number) v).intValue();
                    if (c == Long.class) return ((Number) v).longValue();
                    if (c == Short.class) return ((Number) v).shortValue();
                    return c.cast(v);
                }
                return v;
            }
            case "getInt":
            case "getLong":
            case "getShort":
            case "getByte":
            case "getDouble":
            case "getFloat":
            case "getBigDecimal": {
                Object v = value(args[0]);
                Number n = v == null ? 0 : v instanceof Boolean b ? (b ? 1 : 0) : v instanceof Number x ? x
                        : Long.valueOf(v.toString());
                switch (name) {
                    case "getInt": return n.intValue();
                    case "getLong": return n.longValue();
                    case "getShort": return n.shortValue();
                    case "getByte": return n.byteValue();
                    case "getDouble": return n.doubleValue();
                    case "getFloat": return n.floatValue();
                    default: return v == null ? null : new BigDecimal(n.toString());
                }
            }
            case "getBoolean": {
                Object v = value(args[0]);
                if (v == null) return false;
                if (v instanceof Boolean b) return b;
                if (v instanceof Number n) return n.intValue() != 0;
                return "true".equalsIgnoreCase(v.toString()) || "yes".equalsIgnoreCase(v.toString());
            }
            default:
                throw new SQLFeatureNotSupportedException("ResultSet." + name + " on a metadata result");
        }
    }

    private ResultSetMetaData metaData() {
        return (ResultSetMetaData) Proxy.newProxyInstance(ListResultSet.class.getClassLoader(),
                new Class<?>[] {ResultSetMetaData.class}, (self, m, args) -> {
                    switch (m.getName()) {
                        case "getColumnCount":
                            return cols.size();
                        case "getColumnName":
                        case "getColumnLabel":
                            return cols.get((Integer) args[0] - 1).name();
                        case "getColumnType":
                            return cols.get((Integer) args[0] - 1).type();
                        case "getColumnTypeName":
                            return typeName(cols.get((Integer) args[0] - 1).type());
                        case "getColumnClassName":
                            return className(cols.get((Integer) args[0] - 1).type());
                        case "isNullable":
                            return ResultSetMetaData.columnNullableUnknown;
                        case "getPrecision":
                        case "getScale":
                            return 0;
                        case "getColumnDisplaySize":
                            return 64;
                        case "isAutoIncrement":
                        case "isCurrency":
                        case "isWritable":
                        case "isDefinitelyWritable":
                        case "isSigned":
                            return false;
                        case "isCaseSensitive":
                        case "isSearchable":
                        case "isReadOnly":
                            return true;
                        case "getSchemaName":
                        case "getTableName":
                        case "getCatalogName":
                            return "";
                        case "isWrapperFor":
                            return false;
                        case "hashCode":
                            return System.identityHashCode(self);
                        case "equals":
                            return self == args[0];
                        case "toString":
                            return "flinkwire metadata result metadata";
                        default:
                            throw new SQLFeatureNotSupportedException("ResultSetMetaData." + m.getName());
                    }
                });
    }

    private static String typeName(int t) {
        switch (t) {
            case Types.INTEGER: return "int4";
            case Types.SMALLINT: return "int2";
            case Types.BIGINT: return "int8";
            case Types.BOOLEAN: return "bool";
            default: return "text";
        }
    }

    private static String className(int t) {
        switch (t) {
            case Types.INTEGER: return Integer.class.getName();
            case Types.SMALLINT: return Short.class.getName();
            case Types.BIGINT: return Long.class.getName();
            case Types.BOOLEAN: return Boolean.class.getName();
            default: return String.class.getName();
        }
    }
}

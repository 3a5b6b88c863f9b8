package io.flinkwire.agent;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.table.types.logical.*;

/**
 * The JSON of a LogicalType as the SQL Gateway's LogicalTypeJsonSerializer (flink-sql-gateway,
 * org.apache.flink.table.gateway.rest.serde) writes it. That class is not in the PyFlink wheel and
 * the planner's JSON serde writes a different shape, so this is a re-implementation.
 */
final class LogicalTypeJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private LogicalTypeJson() {}

    static ObjectNode toJson(LogicalType t) {
        ObjectNode n = F.objectNode();
        n.put("type", t.getTypeRoot().name());
        n.put("nullable", t.isNullable());
        switch (t.getTypeRoot()) {
            case CHAR:
                n.put("length", ((CharType) t).getLength());
                break;
            case VARCHAR:
                n.put("length", ((VarCharType) t).getLength());
                break;
            case BINARY:
                n.put("length", ((BinaryType) t).getLength());
                break;
            case VARBINARY:
                n.put("length", ((VarBinaryType) t).getLength());
                break;
            case DECIMAL:
                n.put("precision", ((DecimalType) t).getPrecision());
                n.put("scale", ((DecimalType) t).getScale());
                break;
            case TIME_WITHOUT_TIME_ZONE:
                n.put("precision", ((TimeType) t).getPrecision());
                break;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                n.put("precision", ((TimestampType) t).getPrecision());
                break;
            case TIMESTAMP_WITH_TIME_ZONE:
                n.put("precision", ((ZonedTimestampType) t).getPrecision());
                break;
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                n.put("precision", ((LocalZonedTimestampType) t).getPrecision());
                break;
            case INTERVAL_YEAR_MONTH: {
                YearMonthIntervalType y = (YearMonthIntervalType) t;
                n.put("precision", y.getYearPrecision());
                n.put("resolution", y.getResolution().name());
                break;
            }
            case INTERVAL_DAY_TIME: {
                DayTimeIntervalType d = (DayTimeIntervalType) t;
                n.put("precision", d.getDayPrecision());
                n.put("fractionalPrecision", d.getFractionalPrecision());
                n.put("resolution", d.getResolution().name());
                break;
            }
            case ARRAY:
                n.set("elementType", toJson(((ArrayType) t).getElementType()));
                break;
            case MULTISET:
                n.set("elementType", toJson(((MultisetType) t).getElementType()));
                break;
            case MAP:
                n.set("keyType", toJson(((MapType) t).getKeyType()));
                n.set("valueType", toJson(((MapType) t).getValueType()));
                break;
            case ROW: {
                ArrayNode fields = n.putArray("fields");
                for (RowType.RowField f : ((RowType) t).getFields()) {
                    ObjectNode fn = fields.addObject();
                    fn.put("name", f.getName());
                    fn.set("fieldType", toJson(f.getType()));
                    f.getDescription().ifPresent(d -> fn.put("description", d));
                }
                break;
            }
            case RAW:
                if (t instanceof RawType) {
                    n.put("class", ((RawType<?>) t).getOriginatingClass().getName());
                    n.put("specialSerializer", ((RawType<?>) t).getSerializerString());
                }
                break;
            default:
                // BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DATE, NULL, ...
                break;
        }
        return n;
    }
}

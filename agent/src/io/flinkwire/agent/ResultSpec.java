package io.flinkwire.agent;

import org.apache.flink.formats.common.TimestampFormat;
import org.apache.flink.formats.json.JsonFormatOptions;
import org.apache.flink.formats.json.RowDataToJsonConverters;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.table.api.internal.TableResultInternal;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.utils.print.RowDataToStringConverter;
import org.apache.flink.util.CloseableIterator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** What an operation produced: schema, kind, job id, and an iterator over its rows. */
final class ResultSpec {
    // The same options the SQL Gateway's ResultInfoSerializer uses.
    private static final RowDataToJsonConverters TO_JSON =
            new RowDataToJsonConverters(TimestampFormat.ISO_8601, JsonFormatOptions.MapNullKeyMode.LITERAL, "null", false);

    final ResolvedSchema schema;
    final boolean isQuery;
    final String jobId;
    final String resultKind;
    final CloseableIterator<RowData> rows;
    final RowDataToStringConverter toStringConverter;
    final Runnable onClose;
    /** When the result was made: for a query, just after its job was submitted. */
    final long createdNanos = System.nanoTime();

    private ArrayNode columnsJson;
    private List<RowDataToJsonConverters.RowDataToJsonConverter> converters;
    private List<RowData.FieldGetter> getters;

    ResultSpec(ResolvedSchema schema, boolean isQuery, String jobId, String resultKind,
               CloseableIterator<RowData> rows, RowDataToStringConverter toStringConverter, Runnable onClose) {
        this.schema = schema;
        this.isQuery = isQuery;
        this.jobId = jobId;
        this.resultKind = resultKind;
        this.rows = rows;
        this.toStringConverter = toStringConverter;
        this.onClose = onClose;
    }

    static ResultSpec fromTableResult(TableResultInternal r, boolean isQuery) {
        String jobId = r.getJobClient().map(c -> c.getJobID().toString()).orElse(null);
        return new ResultSpec(r.getResolvedSchema(), isQuery, jobId, r.getResultKind().name(),
                r.collectInternal(), r.getRowDataToStringConverter(), null);
    }

    /** A result with rows known up front (SET listing, job id of an INSERT, SHOW JOBS, ...). */
    static ResultSpec fixed(ResolvedSchema schema, List<RowData> data, String jobId, String resultKind) {
        Iterator<RowData> it = data.iterator();
        CloseableIterator<RowData> ci = CloseableIterator.adapterForIterator(it);
        RowDataToStringConverter conv = row -> {
            String[] out = new String[row.getArity()];
            for (int i = 0; i < out.length; i++) {
                out[i] = row.isNullAt(i) ? null : String.valueOf(
                        RowData.createFieldGetter(schema.getColumnDataTypes().get(i).getLogicalType(), i).getFieldOrNull(row));
            }
            return out;
        };
        return new ResultSpec(schema, false, jobId, resultKind, ci, conv, null);
    }

    synchronized ArrayNode columnsJson() {
        if (columnsJson == null) {
            ArrayNode a = Agent.MAPPER.createArrayNode();
            for (Column c : schema.getColumns()) {
                ObjectNode n = a.addObject();
                n.put("name", c.getName());
                n.set("logicalType", LogicalTypeJson.toJson(c.getDataType().getLogicalType()));
                if (c.getComment().isPresent()) n.put("comment", c.getComment().get());
                else n.putNull("comment");
            }
            columnsJson = a;
        }
        return columnsJson;
    }

    private synchronized void initConverters() {
        if (converters != null) return;
        List<RowDataToJsonConverters.RowDataToJsonConverter> cs = new ArrayList<>();
        List<RowData.FieldGetter> gs = new ArrayList<>();
        List<Column> cols = schema.getColumns();
        for (int i = 0; i < cols.size(); i++) {
            LogicalType t = cols.get(i).getDataType().getLogicalType();
            cs.add(TO_JSON.createConverter(t));
            gs.add(RowData.createFieldGetter(t, i));
        }
        getters = gs;
        converters = cs;
    }

    JsonNode rowToJson(RowData row) {
        initConverters();
        ObjectNode n = Agent.MAPPER.createObjectNode();
        n.put("kind", row.getRowKind().name());
        ArrayNode f = n.putArray("fields");
        for (int i = 0; i < converters.size(); i++) {
            Object v = getters.get(i).getFieldOrNull(row);
            f.add(converters.get(i).convert(Agent.MAPPER, null, v));
        }
        return n;
    }

    JsonNode rowToPlainText(RowData row) {
        String[] s = toStringConverter.convert(row);
        ObjectNode n = Agent.MAPPER.createObjectNode();
        n.put("kind", row.getRowKind().name());
        ArrayNode f = n.putArray("fields");
        for (int i = 0; i < s.length; i++) {
            if (row.isNullAt(i)) f.addNull();
            else f.add(s[i]);
        }
        return n;
    }

    /**
     * Closes the rows: for a query whose rows were not all read, that cancels its job. A job
     * younger than {@link TaskSettling#MIN_AGE} is cancelled from a background thread once it is
     * that old (the gateway, too, cancels without waiting for the cancellation).
     */
    void close(boolean rowsRemain) {
        if (rowsRemain && isQuery && jobId != null && TaskSettling.tooYoung(createdNanos)) {
            Agent.daemon(() -> {
                TaskSettling.awaitDeployed(createdNanos);
                closeNow();
            }, "fw-cancel-" + jobId).start();
            return;
        }
        closeNow();
    }

    private void closeNow() {
        try {
            rows.close();
        } catch (Exception e) {
            Agent.log("closing result: %s", e);
        }
        if (onClose != null) onClose.run();
    }
}

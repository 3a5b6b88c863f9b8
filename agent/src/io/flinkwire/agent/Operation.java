package io.flinkwire.agent;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.gateway.api.utils.SqlGatewayException;
import org.apache.flink.table.gateway.service.utils.SqlExecutionException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One submitted statement: RUNNING while it is being executed (for a query: until its job is
 * submitted), then FINISHED with a result (or ERROR). Rows are pulled from the result's iterator by
 * a background thread into a bounded buffer; fetches page through it with tokens 0, 1, 2, ...
 */
final class Operation {
    final UUID handle;
    final int maxRowsPerPage;
    volatile String status = "RUNNING";
    volatile Throwable error;
    volatile Future<?> future;
    volatile ResultSpec result;

    private final ArrayBlockingQueue<RowData> buffer;
    private volatile boolean producerDone;
    private volatile Throwable producerError;
    private Thread producer;

    private long currentToken = 0;
    private List<RowData> lastPage = Collections.emptyList();
    private boolean eos;

    static final class Page {
        final String type; // NOT_READY, PAYLOAD, EOS
        final ResultSpec result;
        final List<RowData> rows;
        final Long nextToken;

        Page(String type, ResultSpec result, List<RowData> rows, Long nextToken) {
            this.type = type;
            this.result = result;
            this.rows = rows;
            this.nextToken = nextToken;
        }
    }

    Operation(UUID handle, int maxRowsPerPage) {
        this.handle = handle;
        this.maxRowsPerPage = maxRowsPerPage;
        this.buffer = new ArrayBlockingQueue<>(Math.max(1, maxRowsPerPage));
    }

    /** Called by the executing thread when the statement has produced its result. */
    synchronized void finished(ResultSpec r) {
        if (!status.equals("RUNNING")) { // closed or cancelled meanwhile: cancel the job
            r.close(true);
            return;
        }
        result = r;
        if (r.jobId == null) {
            // Results without a job (DDL, SHOW, SET, ...) are in memory already: make the first
            // page ready before FINISHED, as the gateway's first fetch shows it.
            try {
                while (buffer.remainingCapacity() > 0 && r.rows.hasNext()) buffer.add(r.rows.next());
                if (!r.rows.hasNext()) producerDone = true;
            } catch (Throwable t) {
                producerError = t;
                producerDone = true;
            }
        }
        if (producerDone) {
            status = "FINISHED";
            return;
        }
        producer = Agent.daemon(this::produce, "fw-result-" + handle);
        producer.start();
        status = "FINISHED";
    }

    synchronized void failed(Throwable t) {
        if (!status.equals("RUNNING")) return;
        error = new SqlExecutionException(String.format("Failed to execute the operation %s.", handle), t);
        status = "ERROR";
    }

    private void produce() {
        ResultSpec r = result;
        try {
            while (r.rows.hasNext()) {
                RowData row = r.rows.next();
                while (!buffer.offer(row, 200, TimeUnit.MILLISECONDS)) {
                    if (status.equals("CLOSED") || status.equals("CANCELED")) return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            if (!status.equals("CLOSED")) producerError = t;
        } finally {
            producerDone = true;
        }
    }

    synchronized Page fetch(long token) {
        switch (status) {
            case "ERROR":
                Throwable e = error;
                if (e instanceof RuntimeException) throw (RuntimeException) e;
                throw new SqlExecutionException(e.getMessage(), e);
            case "RUNNING":
                return new Page("NOT_READY", null, Collections.emptyList(), token);
            case "FINISHED":
                break;
            default:
                throw new SqlGatewayException(String.format("Can not fetch results from the %s in %s status.", handle, status));
        }
        if (token == currentToken) {
            if (eos) return new Page("EOS", result, Collections.emptyList(), null);
            boolean done = producerDone;
            Throwable err = producerError;
            if (err != null) throw new SqlExecutionException("Error while retrieving result.", err);
            List<RowData> rows = new ArrayList<>();
            buffer.drainTo(rows, maxRowsPerPage);
            if (rows.isEmpty() && done) {
                eos = true;
                return new Page("EOS", result, Collections.emptyList(), null);
            }
            lastPage = rows;
            currentToken++;
            return new Page("PAYLOAD", result, rows, currentToken);
        } else if (token == currentToken - 1 && token >= 0) {
            return new Page("PAYLOAD", result, lastPage, currentToken);
        }
        throw new SqlExecutionException(String.format(
                "Expecting token to be %s or %s, but found %s.", currentToken, currentToken - 1, token));
    }

    synchronized void cancel() {
        if (!status.equals("RUNNING")) {
            throw new SqlGatewayException(String.format(
                    "Failed to convert the Operation Status from %s to CANCELED for %s.", status, handle));
        }
        status = "CANCELED";
        Future<?> f = future;
        if (f != null) f.cancel(true);
    }

    /** Closes the operation: cancels its execution and its Flink job. */
    void close() {
        ResultSpec r;
        Thread p;
        synchronized (this) {
            status = "CLOSED";
            Future<?> f = future;
            if (f != null) f.cancel(true);
            r = result;
            p = producer;
        }
        if (r != null) r.close(!producerDone);
        if (p != null) p.interrupt();
        buffer.clear();
    }
}

package org.apache.flink.table.gateway.service.utils;

/**
 * Same name and shape as the real SQL Gateway's exception (flink-sql-gateway is not in the
 * PyFlink wheel), so that error bodies carry the class name clients look for.
 */
public class SqlExecutionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SqlExecutionException(String message) {
        super(message);
    }

    public SqlExecutionException(String message, Throwable e) {
        super(message, e);
    }
}

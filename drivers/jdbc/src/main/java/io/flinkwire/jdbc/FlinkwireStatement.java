package io.flinkwire.jdbc;

/**
 * Extra methods of every statement the flinkwire driver returns; get it with
 * {@code statement.unwrap(FlinkwireStatement.class)}.
 */
public interface FlinkwireStatement {
    /**
     * The Flink job id of the last INSERT / EXECUTE STATEMENT SET run through {@code execute},
     * {@code executeUpdate} or {@code executeQuery} on this statement, or null.
     */
    String getJobId();
}

package io.flinkwire.jdbc;

import java.sql.SQLException;
import java.sql.Wrapper;
import java.util.function.Supplier;

/**
 * The {@link Object} and {@link Wrapper} methods, which every proxy of the driver answers the
 * same way: identity for {@code equals}/{@code hashCode}, its own description for
 * {@code toString}, and for {@code unwrap}/{@code isWrapperFor} the proxy itself, else the
 * PgJDBC object it wraps (if any).
 */
final class ProxyMethods {
    /** What {@link #answer} returns for any other method. */
    static final Object OTHER = new Object();

    private ProxyMethods() {}

    /**
     * The answer to {@code name(args)} on proxy {@code self} wrapping {@code inner} (null:
     * nothing), or {@link #OTHER}.
     */
    static Object answer(Object self, String name, Object[] args, Wrapper inner, Supplier<String> description)
            throws SQLException {
        switch (name) {
            case "hashCode":
                return System.identityHashCode(self);
            case "equals":
                return self == args[0];
            case "toString":
                return description.get();
            case "unwrap": {
                Class<?> iface = (Class<?>) args[0];
                if (iface.isInstance(self)) return self;
                if (inner == null) throw new SQLException("not a wrapper for " + iface);
                return inner.unwrap(iface);
            }
            case "isWrapperFor": {
                Class<?> iface = (Class<?>) args[0];
                return iface.isInstance(self) || inner != null && inner.isWrapperFor(iface);
            }
            default:
                return OTHER;
        }
    }
}

package io.flinkwire.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.Types;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** URL translation and type mapping; no server needed. */
class FlinkwireUrlTest {
    @Test
    void acceptsOnlyItsOwnPrefix() {
        FlinkwireDriver d = new FlinkwireDriver();
        assertTrue(d.acceptsURL("jdbc:flinkwire://h"));
        assertTrue(d.acceptsURL("jdbc:flinkwire://h:1/c?cluster=x"));
        assertFalse(d.acceptsURL("jdbc:postgresql://h/db"));
        assertFalse(d.acceptsURL("jdbc:flinkwire:h"));
        assertFalse(d.acceptsURL(null));
    }

    @Test
    void defaultsAndPath() throws SQLException {
        FlinkwireUrl u = FlinkwireUrl.parse("jdbc:flinkwire://example.com");
        assertEquals("example.com", u.host);
        assertEquals(5433, u.port);
        assertNull(u.catalog);
        assertEquals("jdbc:postgresql://example.com:5433/default_catalog", u.pgUrl());

        u = FlinkwireUrl.parse("jdbc:flinkwire://[::1]:6000/my%20cat?x=1");
        assertEquals("[::1]", u.host);
        assertEquals(6000, u.port);
        assertEquals("my cat", u.catalog);
        assertEquals("jdbc:postgresql://[::1]:6000/my%20cat", u.pgUrl());
        assertThrows(SQLException.class, () -> FlinkwireUrl.parse("jdbc:flinkwire://h:notaport"));
    }

    @Test
    void clusterBecomesOptionsAndEverythingElsePassesThrough() throws SQLException {
        FlinkwireUrl u = FlinkwireUrl.parse(
                "jdbc:flinkwire://h/c?cluster=prod&sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&user=url-user");
        Properties info = new Properties();
        info.setProperty("user", "info-user");
        info.setProperty("password", "pw");
        info.setProperty("options", "-c search_path=x");
        Properties p = u.pgProperties(info);
        assertEquals("-c search_path=x -c flinkwire.cluster=prod", p.getProperty("options"));
        assertNull(p.getProperty("cluster"));
        assertEquals("verify-full", p.getProperty("sslmode"));
        assertEquals("/tmp/ca.pem", p.getProperty("sslrootcert"));
        assertEquals("url-user", p.getProperty("user"), "URL parameters win, as in PgJDBC");
        assertEquals("pw", p.getProperty("password"));
        assertEquals("1000", p.getProperty("defaultRowFetchSize"));

        Properties p2 = FlinkwireUrl.parse("jdbc:flinkwire://h?fetchSize=50").pgProperties(new Properties());
        assertEquals("50", p2.getProperty("defaultRowFetchSize"));
        assertNull(p2.getProperty("options"));
    }

    @Test
    void flinkTypesMapLikeTheServer() {
        assertEquals(new FlinkTypes.Mapped(Types.INTEGER, "int4", 10, 0, true), FlinkTypes.map("INT"));
        assertEquals(new FlinkTypes.Mapped(Types.INTEGER, "int4", 10, 0, false), FlinkTypes.map("INT NOT NULL"));
        assertEquals("int2", FlinkTypes.map("TINYINT").pgName());
        assertEquals(new FlinkTypes.Mapped(Types.NUMERIC, "numeric", 10, 2, true), FlinkTypes.map("DECIMAL(10, 2)"));
        assertEquals(new FlinkTypes.Mapped(Types.VARCHAR, "varchar", 40, null, true), FlinkTypes.map("VARCHAR(40)"));
        assertEquals("text", FlinkTypes.map("STRING").pgName());
        assertEquals("text", FlinkTypes.map("VARCHAR(2147483647)").pgName());
        assertEquals("bpchar", FlinkTypes.map("CHAR(3)").pgName());
        assertEquals(Types.BINARY, FlinkTypes.map("BYTES").jdbcType());
        assertEquals("timestamp", FlinkTypes.map("TIMESTAMP(3) *ROWTIME*").pgName());
        assertEquals("timestamptz", FlinkTypes.map("TIMESTAMP_LTZ(3)").pgName());
        assertEquals("timestamptz", FlinkTypes.map("TIMESTAMP(6) WITH LOCAL TIME ZONE").pgName());
        assertEquals(6, FlinkTypes.map("TIMESTAMP(9)").digits());
        assertEquals("_int4", FlinkTypes.map("ARRAY<INT>").pgName());
        assertEquals(Types.ARRAY, FlinkTypes.map("ARRAY<STRING>").jdbcType());
        assertEquals("json", FlinkTypes.map("ARRAY<ARRAY<INT>>").pgName());
        assertEquals("json", FlinkTypes.map("MAP<STRING, INT>").pgName());
        assertEquals("json", FlinkTypes.map("ROW<`a` INT, `b` STRING>").pgName());
        assertEquals("interval", FlinkTypes.map("INTERVAL DAY(2) TO SECOND(3)").pgName());
        assertEquals(Types.BIT, FlinkTypes.map("BOOLEAN").jdbcType());
    }

    @Test
    void likePatterns() {
        assertTrue(Sql.matches(Sql.like("or%"), "orders"));
        assertTrue(Sql.matches(Sql.like("o_ders"), "orders"));
        assertFalse(Sql.matches(Sql.like("o\\_ders"), "orders"));
        assertTrue(Sql.matches(Sql.like("a\\_b"), "a_b"));
        assertTrue(Sql.matches(null, "x"));
        assertEquals("`a``b`", Sql.quoteIdent("a`b"));
    }
}

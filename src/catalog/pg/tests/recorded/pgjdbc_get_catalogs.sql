-- PgJDBC 42.x: repo pgjdbc/pgjdbc, pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java, getCatalogs() (text as in the 42.x sources, e.g. the decompiled 42.x driver and the stored copy of the file).

SELECT datname AS TABLE_CAT FROM pg_catalog.pg_database WHERE datallowconn = true ORDER BY datname

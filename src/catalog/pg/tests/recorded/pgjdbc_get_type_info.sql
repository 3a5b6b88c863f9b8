-- PgJDBC 42.x: repo pgjdbc/pgjdbc, pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java (commit 2f395107), getTypeInfo(), hideUnprivilegedObjects off.

SELECT t.typname,t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON (t.typnamespace = n.oid)  WHERE n.nspname  != 'pg_toast' AND  (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))

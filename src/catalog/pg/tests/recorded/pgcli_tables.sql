-- pgcli 4.7.1 (PyPI; repo dbcli/pgcli, pgcli/pgexecute.py), PGExecute.tables_query via tables(): table completions (views: kinds v, m).
-- psycopg 3 binds the kinds list as a text[] parameter; here it is a literal.

SELECT  n.nspname schema_name,
        c.relname table_name
FROM    pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_namespace n
            ON n.oid = c.relnamespace
WHERE   c.relkind = ANY(ARRAY['r', 'p', 'f'])
ORDER BY 1,2;

-- DBeaver PostgreSQL navigator: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java (version stored in the code index (current master layout: TableCache/ConstraintCache/IndexCache), commit not recorded), TableCache.prepareLookupStatement() for server >= 10, all tables of a schema; relnamespace bound to the schema OID (99990001 here).
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=99990001 AND c.relkind not in ('i','I','c')

-- psql 15: repo postgres/postgres, src/bin/psql/describe.c. The REL_15_STABLE copy is not in the code index; taken from the stored copy (Copyright 2000-2025) with the branches for a server reporting 160006, which are the ones psql 15 has (the table's OID is 16386 here, replaced at test time): describeOneTableDetails, child tables / partitions (sversion >= 140000).

SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhrelid AND i.inhparent = '16386'
ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;

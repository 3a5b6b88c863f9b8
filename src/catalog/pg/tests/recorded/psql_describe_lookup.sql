-- psql 15: repo postgres/postgres, src/bin/psql/describe.c. The REL_15_STABLE copy is not in the code index; taken from the stored copy (Copyright 2000-2025) with the branches for a server reporting 160006, which are the ones psql 15 has (the table's OID is 16386 here, replaced at test time): describeTableDetails for \d orders.

SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;

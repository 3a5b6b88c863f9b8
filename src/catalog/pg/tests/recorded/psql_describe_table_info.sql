-- psql 15: repo postgres/postgres, src/bin/psql/describe.c. The REL_15_STABLE copy is not in the code index; taken from the stored copy (Copyright 2000-2025) with the branches for a server reporting 160006, which are the ones psql 15 has (the table's OID is 16386 here, replaced at test time): describeOneTableDetails, general table info (sversion >= 120000, not verbose).

SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '16386';

-- psql 15: repo postgres/postgres, src/bin/psql/describe.c. The REL_15_STABLE copy is not in the code index; taken from the stored copy (Copyright 2000-2025) with the branches for a server reporting 160006, which are the ones psql 15 has (the table's OID is 16386 here, replaced at test time): describeOneTableDetails, "Foreign-key constraints:" footer for a plain table (sent only when relhastriggers).

SELECT true as sametable, conname,
  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
  conrelid::pg_catalog.regclass AS ontable
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = '16386' AND r.contype = 'f'
     AND conparentid = 0
ORDER BY conname

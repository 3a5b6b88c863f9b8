-- psql 15: repo postgres/postgres, src/bin/psql/describe.c. The REL_15_STABLE copy is not in the code index; taken from the stored copy (Copyright 2000-2025) with the branches for a server reporting 160006, which are the ones psql 15 has (the table's OID is 16386 here, replaced at test time): describeOneTableDetails, "Referenced by:" footer (sversion >= 120000; sent only when relhastriggers).

SELECT conname, conrelid::pg_catalog.regclass AS ontable,
       pg_catalog.pg_get_constraintdef(oid, true) AS condef
  FROM pg_catalog.pg_constraint c
 WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('16386')
                     UNION ALL VALUES ('16386'::pg_catalog.regclass))
       AND contype = 'f' AND conparentid = 0
ORDER BY conname;

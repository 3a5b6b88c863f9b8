-- DBeaver PostgreSQL navigator: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java (version stored in the code index (current master layout), commit not recorded), readDatabaseInfo(), datname bound to 'default_catalog'.
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname='default_catalog'

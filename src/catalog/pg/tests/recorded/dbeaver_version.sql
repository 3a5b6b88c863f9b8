-- DBeaver PostgreSQL navigator: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java (version stored in the code index (2021 header), commit not recorded), initialize(): "Read server version".
SELECT version()

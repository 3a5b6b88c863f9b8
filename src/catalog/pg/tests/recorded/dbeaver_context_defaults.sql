-- DBeaver PostgreSQL navigator: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreExecutionContext.java (commit 07d0df3f900bbc1ba70fa61086f0803c64b27a01), refreshDefaults(): the active schema and user of each new connection.
SELECT current_schema(),session_user

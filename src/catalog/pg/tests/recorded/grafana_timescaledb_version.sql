-- Grafana PostgreSQL data source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (commit 12f912ab8d010f4d95a4043a0efaa20fc4ca0100), getTimescaleDBVersion(), sent when the version is >= 906.
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'

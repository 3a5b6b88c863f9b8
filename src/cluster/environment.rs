//! Environments: named init SQL (declarative catalogs, files, inline statements) turned into
//! the list of statements a new gateway session runs.

use crate::config::{quote_ident, Config, EnvironmentConfig};
use crate::router::split_statements;

/// An environment's statements, ready to run. The implicit environment (`name: None`) holds
/// only the legacy `session.init_sql`, which every environment also starts with.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: Option<String>,
    pub statements: Vec<String>,
    /// `result_cache` of the environment: whether its sessions start with the result cache on
    /// (`None`: the server's default).
    pub result_cache: Option<bool>,
    /// Tables its statements create on a data-generating connector (`datagen`), lower case:
    /// the result cache never answers queries that name them.
    pub generated_tables: Vec<String>,
}

/// An environment whose file cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("environment {name:?}: cannot read {file}: {cause}")]
pub struct EnvironmentFileError {
    pub name: String,
    pub file: String,
    pub cause: std::io::Error,
}

impl Environment {
    /// The implicit environment: `session.init_sql` only.
    pub fn implicit(config: &Config) -> Self {
        let statements = config.session.init_sql.clone();
        Self { name: None, generated_tables: generated_tables(&statements), statements, result_cache: None }
    }

    /// Resolves a configured environment: `session.init_sql`, then `CREATE CATALOG` for each
    /// declared catalog, then each file's statements, then the inline ones, then `USE`.
    pub fn resolve(config: &Config, name: &str, env: &EnvironmentConfig) -> Result<Self, EnvironmentFileError> {
        let mut statements = config.session.init_sql.clone();
        statements.extend(env.catalogs.iter().map(|c| c.create_statement()));
        for file in &env.files {
            let text = std::fs::read_to_string(file).map_err(|cause| EnvironmentFileError {
                name: name.to_owned(),
                file: file.display().to_string(),
                cause,
            })?;
            statements.extend(split_statements(&text).into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
        }
        statements.extend(env.init_sql.iter().cloned());
        match (&env.default_catalog, &env.default_database) {
            (Some(c), Some(d)) => statements.push(format!("USE {}.{}", quote_ident(c), quote_ident(d))),
            (Some(c), None) => statements.push(format!("USE CATALOG {}", quote_ident(c))),
            (None, Some(d)) => statements.push(format!("USE {}", quote_ident(d))),
            (None, None) => {}
        }
        Ok(Self { name: Some(name.to_owned()), generated_tables: generated_tables(&statements), statements, result_cache: env.result_cache })
    }

    /// The environment's name for display (`-` for the implicit one).
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("-")
    }
}

fn generated_tables(statements: &[String]) -> Vec<String> {
    statements.iter().filter_map(|s| crate::results::cache::generated_table(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CatalogConfig, Overrides};

    #[test]
    fn catalogs_files_inline_then_use() {
        let mut config = Config::load(None, &Overrides::default()).unwrap();
        config.session.init_sql = vec!["SET 'a' = 'b'".into()];
        let path = std::env::temp_dir().join(format!("fw-env-{}.sql", std::process::id()));
        std::fs::write(&path, "CREATE TABLE t (x INT) WITH ('connector' = 'datagen');\n-- c\nCREATE VIEW v AS SELECT 1;\n").unwrap();
        let env = EnvironmentConfig {
            catalogs: vec![CatalogConfig {
                name: "mem".into(),
                kind: "generic_in_memory".into(),
                options: [("default-database".to_owned(), "it's".to_owned())].into(),
            }],
            files: vec![path.clone()],
            init_sql: vec!["CREATE VIEW w AS SELECT 2".into()],
            default_catalog: Some("mem".into()),
            ..Default::default()
        };
        let resolved = Environment::resolve(&config, "demo", &env).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(resolved.statements[0], "SET 'a' = 'b'");
        assert_eq!(
            resolved.statements[1],
            "CREATE CATALOG `mem` WITH ('type' = 'generic_in_memory', 'default-database' = 'it''s')"
        );
        assert!(resolved.statements[2].starts_with("CREATE TABLE t"));
        assert!(resolved.statements[3].ends_with("SELECT 1"), "{:?}", resolved.statements);
        assert_eq!(resolved.statements[4], "CREATE VIEW w AS SELECT 2");
        assert_eq!(resolved.statements[5], "USE CATALOG `mem`");
    }
}

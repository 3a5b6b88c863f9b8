//! Statement text for the audit log without secrets: the value of every `'key' = 'value'` pair
//! whose key looks like a secret (`password`, `secret`, `token`, `sasl.jaas.config`, …) becomes
//! `'***'`.

use crate::router::{tokens_at, Token};

const SECRET_WORDS: &[&str] = &["password", "passwd", "secret", "token", "credential", "jaas", "private", "access-key", "access.key", "accesskey", "auth"];

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

/// `sql` with secret option values replaced by `'***'`.
pub fn redact(sql: &str) -> String {
    let tokens = tokens_at(sql);
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    for window in tokens.windows(3) {
        let [(_, Token::Quoted(key)), (_, Token::Equals), (at, Token::Quoted(value))] = window else { continue };
        if key.starts_with('\'') && value.starts_with('\'') && is_secret_key(key) {
            out.push_str(&sql[copied..*at]);
            out.push_str("'***'");
            copied = at + value.len();
        }
    }
    out.push_str(&sql[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    /// A carriage return ends a `--` comment: what follows is a statement and is redacted.
    #[test]
    fn a_carriage_return_ends_a_comment() {
        assert_eq!(redact("-- c\rCREATE CATALOG c WITH ('password' = 'hunter2')"), "-- c\rCREATE CATALOG c WITH ('password' = '***')");
    }

    #[test]
    fn secret_values_are_replaced() {
        assert_eq!(
            redact("CREATE CATALOG c WITH ('type' = 'jdbc', 'password' = 'hunter2', 'username' = 'u')"),
            "CREATE CATALOG c WITH ('type' = 'jdbc', 'password' = '***', 'username' = 'u')"
        );
        assert_eq!(redact("SET 'properties.sasl.jaas.config' = 'x pass=\"p\"'"), "SET 'properties.sasl.jaas.config' = '***'");
        assert_eq!(redact("SELECT 'password' AS p"), "SELECT 'password' AS p");
        assert_eq!(redact("WITH ('s3.secret-key'='a''b')"), "WITH ('s3.secret-key'='***')");
    }
}

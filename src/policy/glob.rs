//! Glob patterns for Flink configuration keys (`table.exec.*`, `parallelism.?efault`):
//! `*` matches any run of characters (dots included), `?` one character; case-insensitive,
//! like Flink's keys are compared by the SQL client.

/// Whether `key` matches `pattern`.
pub fn matches(pattern: &str, key: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let k: Vec<char> = key.to_ascii_lowercase().chars().collect();
    // Iterative matching with backtracking to the last `*` (linear in practice, no recursion).
    let (mut pi, mut ki) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ki < k.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == k[ki]) {
            pi += 1;
            ki += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ki));
            pi += 1;
        } else if let Some((sp, sk)) = star {
            pi = sp + 1;
            ki = sk + 1;
            star = Some((sp, sk + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("table.exec.*", "table.exec.state.ttl"));
        assert!(matches("*", "anything"));
        assert!(matches("python.*", "PYTHON.executable"));
        assert!(matches("parallelism.?efault", "parallelism.default"));
        assert!(!matches("table.exec.*", "table.optimizer.x"));
        assert!(!matches("rest.*", "rest"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }
}

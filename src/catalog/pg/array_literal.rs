//! PostgreSQL's text form of a one-dimensional array (`'{a,"b c",NULL}'`), as clients write
//! array values in SQL: adbc-driver-postgresql's GetObjects binds its table types as
//! `c.relkind = ANY('{"p", "f", "t", "m", "v", "r"}')`.
//!
//! datafusion-pg-catalog splits such literals on commas and keeps the quotes, so `"r"` never
//! equals `r` and the query silently matches nothing. This parser follows PostgreSQL's
//! `array_in`: elements in double quotes with backslash escapes, unquoted elements trimmed of
//! whitespace, an unquoted `NULL` is NULL. Anything else it cannot read exactly (several
//! dimensions, explicit bounds, bad quoting) is refused, as PostgreSQL refuses a malformed one.

/// The elements of a one-dimensional array literal (`None` for NULL), or why it is refused.
pub fn parse(literal: &str) -> Result<Vec<Option<String>>, String> {
    let refuse = |why: &str| Err(format!("malformed array literal: \"{literal}\" ({why})"));
    let body = literal.trim();
    let Some(body) = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')) else {
        return refuse("an array value must start with \"{\" and end with \"}\"; explicit bounds are not supported");
    };
    let mut elements = Vec::new();
    if body.trim().is_empty() {
        return Ok(elements);
    }
    let mut chars = body.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        let mut value = String::new();
        let quoted = chars.next_if_eq(&'"').is_some();
        if quoted {
            loop {
                match chars.next() {
                    None => return refuse("unterminated quoted element"),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return refuse("unexpected end of input"),
                    },
                    Some(c) => value.push(c),
                }
            }
            while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        } else {
            // Trailing whitespace of an unquoted element is dropped, escaped characters are kept.
            let mut kept = 0;
            while let Some(&c) = chars.peek() {
                match c {
                    ',' => break,
                    '{' | '}' | '"' => return refuse("only one-dimensional arrays of plain or quoted elements are supported"),
                    '\\' => {
                        chars.next();
                        let Some(c) = chars.next() else { return refuse("unexpected end of input") };
                        value.push(c);
                        kept = value.len();
                    }
                    c => {
                        chars.next();
                        value.push(c);
                        if !c.is_ascii_whitespace() {
                            kept = value.len();
                        }
                    }
                }
            }
            value.truncate(kept);
            if value.is_empty() {
                return refuse("empty element");
            }
        }
        elements.push(if !quoted && value.eq_ignore_ascii_case("NULL") { None } else { Some(value) });
        match chars.next() {
            None => return Ok(elements),
            Some(',') => {}
            Some(_) => return refuse("junk after a quoted element"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn some(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn quoted_unquoted_null_and_escapes() {
        assert_eq!(parse(r#"{"p", "f", "r"}"#).unwrap(), some(&["p", "f", "r"]));
        assert_eq!(parse("{p,r}").unwrap(), some(&["p", "r"]));
        assert_eq!(parse(" { a b , c } ").unwrap(), some(&["a b", "c"]));
        assert_eq!(parse(r#"{"a,b","say \"hi\"",x\,y}"#).unwrap(), some(&["a,b", "say \"hi\"", "x,y"]));
        assert_eq!(parse(r#"{NULL,"NULL",null}"#).unwrap(), vec![None, Some("NULL".into()), None]);
        assert_eq!(parse("{}").unwrap(), Vec::<Option<String>>::new());
        assert_eq!(parse(r#"{""}"#).unwrap(), some(&[""]));
    }

    #[test]
    fn what_it_cannot_read_exactly_is_refused() {
        for bad in ["p,r", "{{a},{b}}", "[1:2]={a,b}", r#"{"a"b}"#, r#"{"a}"#, "{a,,b}", "{a,}", r"{a\}"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}

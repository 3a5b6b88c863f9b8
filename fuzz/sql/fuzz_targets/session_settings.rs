//! PostgreSQL session parameters (`flinkwire::local::settings`, `flinkwire::results::settings`):
//! the startup packet's parameters (`options` = `-c name=value --name=value`, `DateStyle`,
//! `TimeZone`…) and `SET name = value` values, both straight from the client.
//!
//! Input: NUL-separated fields: startup `options`, then (name, value) pairs for SET.
//!
//! Invariants beyond "does not panic":
//! - A value `set` accepts is what `get` then shows, in the canonical form `set` reported.
//! - `reset` after `set` brings back the startup value (or the default).
//! - Durations parse to finite, non-negative values.
#![no_main]

use std::collections::HashMap;

use flinkwire::local::settings::{self, Settings};
use flinkwire::results::settings::{parse_duration_ms, parse_startup_options, ResultSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let mut fields = data.split('\0');
    let options = fields.next().unwrap_or("");

    let _ = parse_startup_options(options);
    let _ = parse_duration_ms(options);
    let _ = settings::parse_duration_ms(options);

    let mut startup = HashMap::new();
    startup.insert("options".to_owned(), options.to_owned());
    let mut s = Settings::default();
    s.apply_startup(&startup);
    let fresh = s.clone();
    let mut results = ResultSettings::default();

    let rest: Vec<&str> = fields.collect();
    for pair in rest.chunks(2) {
        let (name, value) = (pair[0], pair.get(1).copied().unwrap_or(""));
        let _ = results.set(name, value);
        if let Some(v) = results.get(name) {
            // What SHOW prints for a result setting reads back as the same setting.
            let mut again = ResultSettings::default();
            again.set(name, &v).unwrap_or_else(|e| panic!("{name} = {v:?} (shown) is refused: {e:?}"));
            assert_eq!(again.get(name).as_deref(), Some(v.as_str()), "{name}: {value:?} → {v:?}");
        }

        match s.set(name, value) {
            Ok(report) => {
                let shown = s.get(name);
                assert!(shown.is_some(), "{name} set to {value:?} but SHOW has nothing");
                if let Some((reported_name, reported)) = report {
                    assert_eq!(reported_name, settings::canonical_name(name));
                    assert_eq!(Some(reported), shown, "{name}: reported value differs from SHOW");
                }
                if s.reset(name).is_ok() {
                    assert_eq!(s.get(name), fresh.get(name), "RESET {name} after SET {value:?}");
                }
            }
            Err(e) => assert_eq!(e.sqlstate().len(), 5),
        }
        let _ = s.all();
        let _ = s.search_path();
    }
});

//! Slows down addresses that keep failing to authenticate: each failure from an address within
//! [`WINDOW`] of the previous one doubles the delay before its next "authentication failed"
//! answer, up to [`MAX_DELAY`]. A success clears the address. Bounded: at most [`MAX_TRACKED`]
//! addresses are remembered (the oldest is forgotten first).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FIRST_DELAY: Duration = Duration::from_millis(100);
pub const MAX_DELAY: Duration = Duration::from_secs(5);
const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub struct FailureThrottle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureThrottle {
    /// Records a failure from `addr`; returns how long to wait before answering it.
    pub fn failed(&self, addr: IpAddr) -> Duration {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED && !failures.contains_key(&addr) {
            failures.retain(|_, (_, last)| now.duration_since(*last) < WINDOW);
            if failures.len() >= MAX_TRACKED {
                if let Some(oldest) = failures.iter().min_by_key(|(_, (_, last))| *last).map(|(a, _)| *a) {
                    failures.remove(&oldest);
                }
            }
        }
        let entry = failures.entry(addr).or_insert((0, now));
        if now.duration_since(entry.1) >= WINDOW {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        delay_for(entry.0)
    }

    /// Forgets `addr`'s failures (it logged in).
    pub fn succeeded(&self, addr: IpAddr) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&addr);
    }
}

/// The first failure waits [`FIRST_DELAY`]; each further one twice as long, capped.
fn delay_for(failures: u32) -> Duration {
    FIRST_DELAY.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_reset() {
        let t = FailureThrottle::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let delays: Vec<_> = (0..8).map(|_| t.failed(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(t.failed(b).as_millis(), 100, "per address");
        t.succeeded(a);
        assert_eq!(t.failed(a).as_millis(), 100);
        assert_eq!(delay_for(u32::MAX), MAX_DELAY);
    }
}

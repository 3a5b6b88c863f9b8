//! Connection limits: `limits.max_connections` for the server and
//! `limits.max_connections_per_user` per user. A connection holds a [`Slot`] for each; dropping
//! the connection gives them back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Counts of open connections, in total and per user.
#[derive(Debug, Default)]
pub struct Admission {
    max_total: usize,
    max_per_user: usize,
    total: AtomicUsize,
    per_user: Mutex<HashMap<String, usize>>,
}

/// A place taken in [`Admission`]; released on drop.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    user: Option<String>,
}

impl Admission {
    /// Limits of 0 mean none.
    pub fn new(max_total: usize, max_per_user: usize) -> Arc<Self> {
        Arc::new(Admission { max_total, max_per_user, ..Default::default() })
    }

    /// A place for a new connection, or `None` when the server is full.
    pub fn enter(self: &Arc<Self>) -> Option<Slot> {
        let limit = if self.max_total == 0 { usize::MAX } else { self.max_total };
        self.total
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .ok()
            .map(|_| Slot { admission: self.clone(), user: None })
    }

    /// A place for one more connection of `user`, or `None` when the user has the most allowed.
    pub fn enter_user(self: &Arc<Self>, user: &str) -> Option<Slot> {
        let mut per_user = self.per_user.lock().unwrap_or_else(|e| e.into_inner());
        let count = per_user.entry(user.to_owned()).or_insert(0);
        if self.max_per_user != 0 && *count >= self.max_per_user {
            return None;
        }
        *count += 1;
        Some(Slot { admission: self.clone(), user: Some(user.to_owned()) })
    }

    /// Open connections (for tests and, later, metrics).
    pub fn open(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        match &self.user {
            None => {
                self.admission.total.fetch_sub(1, Ordering::AcqRel);
            }
            Some(user) => {
                let mut per_user = self.admission.per_user.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(count) = per_user.get_mut(user) {
                    *count -= 1;
                    if *count == 0 {
                        per_user.remove(user);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_and_slots_come_back() {
        let a = Admission::new(2, 1);
        let s1 = a.enter().unwrap();
        let s2 = a.enter().unwrap();
        assert!(a.enter().is_none());
        drop(s1);
        assert!(a.enter().is_some());
        let u = a.enter_user("alice").unwrap();
        assert!(a.enter_user("alice").is_none());
        assert!(a.enter_user("bob").is_some());
        drop(u);
        assert!(a.enter_user("alice").is_some());
        drop(s2);
        assert!(a.per_user.lock().unwrap().is_empty());
        let unlimited = Admission::new(0, 0);
        let held: Vec<_> = (0..100).map(|_| unlimited.enter_user("x").unwrap()).collect();
        assert_eq!(held.len(), 100);
    }
}

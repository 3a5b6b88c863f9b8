//! (to be filled)

#[allow(unused_imports)]
use super::*;

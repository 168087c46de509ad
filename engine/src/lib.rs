//! The V2 recovery engine (being written; see issue 3).
pub mod types;

//! The catch-up budget (PROTOCOL.md §6.6, §7.11): bounded replay, so a catch-up that chases a
//! moving head or stalls escalates instead of running forever (A5).
//!
//! Three independent limits, each optional (upstream's "0 disables" is `None` here). Every
//! comparison is strict: reaching a limit exactly is still within budget. The budget is
//! checked only when asked (`Sender::check_budget`, and at completion); progress itself is
//! never refused for exceeding the entry limit.

use crate::types::Tick;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The limits of one catch-up session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CatchUpBudget {
    /// Longest allowed session, in ticks from the catch-up start.
    pub duration_ticks_max: Option<u64>,
    /// Most entries replayed, counted from the handshake start (70 → 100 is 30 entries).
    pub entries_max: Option<u64>,
    /// Longest allowed pause between two progress reports, in ticks.
    pub progress_gap_ticks_max: Option<u64>,
}

/// What a running catch-up has spent so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BudgetTracker {
    /// When catch-up began.
    pub started: Tick,
    /// Entries replayed since the handshake start.
    pub entries_replayed: u64,
    /// When progress was last reported (the start tick until the first report).
    /// Invariant: `last_progress >= started`.
    pub last_progress: Tick,
}

impl BudgetTracker {
    /// A tracker for a catch-up that began at `now`.
    pub fn start(now: Tick) -> BudgetTracker {
        BudgetTracker {
            started: now,
            entries_replayed: 0,
            last_progress: now,
        }
    }

    /// The latest tick this tracker has seen; the sender refuses ticks before it.
    pub fn latest(&self) -> Tick {
        self.last_progress
    }
}

impl CatchUpBudget {
    /// Returns the first violated limit at `now`, in the order duration, entries, stall.
    ///
    /// `Tick::since` saturates, so a tick before the start reads as no time elapsed; the sender
    /// never lets that happen (it refuses a tick earlier than the tracker's latest).
    pub fn check(&self, tracker: &BudgetTracker, now: Tick) -> Result<(), BudgetViolation> {
        if let Some(max) = self.duration_ticks_max {
            let elapsed = now.since(tracker.started);
            if elapsed > max {
                return Err(BudgetViolation::DurationExceeded { elapsed, max });
            }
        }
        if let Some(max) = self.entries_max {
            if tracker.entries_replayed > max {
                return Err(BudgetViolation::EntriesExceeded {
                    replayed: tracker.entries_replayed,
                    max,
                });
            }
        }
        if let Some(max) = self.progress_gap_ticks_max {
            let idle = now.since(tracker.last_progress);
            if idle > max {
                return Err(BudgetViolation::ProgressStalled { idle, max });
            }
        }
        Ok(())
    }
}

/// A broken catch-up limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetViolation {
    /// The session ran longer than allowed.
    DurationExceeded {
        /// Ticks since the catch-up start.
        elapsed: u64,
        /// The limit.
        max: u64,
    },
    /// More entries were replayed than allowed.
    EntriesExceeded {
        /// Entries replayed since the handshake start.
        replayed: u64,
        /// The limit.
        max: u64,
    },
    /// No progress was reported for too long.
    ProgressStalled {
        /// Ticks since the last progress report.
        idle: u64,
        /// The limit.
        max: u64,
    },
}

impl BudgetViolation {
    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            BudgetViolation::DurationExceeded { .. } => "duration_exceeded",
            BudgetViolation::EntriesExceeded { .. } => "entries_exceeded",
            BudgetViolation::ProgressStalled { .. } => "progress_stalled",
        }
    }
}

impl fmt::Display for BudgetViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(started: u64, entries: u64, last_progress: u64) -> BudgetTracker {
        BudgetTracker {
            started: Tick::new(started),
            entries_replayed: entries,
            last_progress: Tick::new(last_progress),
        }
    }

    #[test]
    fn duration_limit_is_strict() {
        // Goal: §6.6 figures — duration 10 from 0: 10 is fine, 11 and 15 exceed.
        let budget = CatchUpBudget {
            duration_ticks_max: Some(10),
            ..CatchUpBudget::default()
        };
        let rows = [
            (10, Ok(())),
            (
                11,
                Err(BudgetViolation::DurationExceeded {
                    elapsed: 11,
                    max: 10,
                }),
            ),
            (
                15,
                Err(BudgetViolation::DurationExceeded {
                    elapsed: 15,
                    max: 10,
                }),
            ),
        ];
        for (row, (now, expected)) in rows.into_iter().enumerate() {
            assert_eq!(
                budget.check(&tracker(0, 0, 0), Tick::new(now)),
                expected,
                "row {row}"
            );
        }
    }

    #[test]
    fn entries_limit_is_strict() {
        // Goal: §6.6 — 70 → 100 is 30 entries: fine under 50, over 20; 30 under 30 is fine.
        let rows = [
            (50, Ok(())),
            (30, Ok(())),
            (
                29,
                Err(BudgetViolation::EntriesExceeded {
                    replayed: 30,
                    max: 29,
                }),
            ),
            (
                20,
                Err(BudgetViolation::EntriesExceeded {
                    replayed: 30,
                    max: 20,
                }),
            ),
        ];
        for (row, (max, expected)) in rows.into_iter().enumerate() {
            let budget = CatchUpBudget {
                entries_max: Some(max),
                ..CatchUpBudget::default()
            };
            assert_eq!(
                budget.check(&tracker(0, 30, 0), Tick::new(0)),
                expected,
                "row {row}"
            );
        }
    }

    #[test]
    fn stall_limit_is_strict_from_last_progress() {
        // Goal: §6.6 — stall 5, progress at 12: 17 is fine, 18 (gap 6) stalls.
        let budget = CatchUpBudget {
            progress_gap_ticks_max: Some(5),
            ..CatchUpBudget::default()
        };
        assert_eq!(budget.check(&tracker(0, 1, 12), Tick::new(17)), Ok(()));
        assert_eq!(
            budget.check(&tracker(0, 1, 12), Tick::new(18)),
            Err(BudgetViolation::ProgressStalled { idle: 6, max: 5 })
        );
    }

    #[test]
    fn stall_is_measured_from_tick_zero_too() {
        // Goal: docs/engine.md "Ticks are always supplied" — a catch-up begun at tick 0 is
        // stall-checked (upstream switches stall detection off while the last tick is 0).
        let budget = CatchUpBudget {
            progress_gap_ticks_max: Some(5),
            ..CatchUpBudget::default()
        };
        assert_eq!(
            budget.check(&BudgetTracker::start(Tick::new(0)), Tick::new(6)),
            Err(BudgetViolation::ProgressStalled { idle: 6, max: 5 })
        );
    }

    #[test]
    fn violations_are_reported_in_order_duration_entries_stall() {
        let all = CatchUpBudget {
            duration_ticks_max: Some(1),
            entries_max: Some(1),
            progress_gap_ticks_max: Some(1),
        };
        let spent = tracker(0, 5, 0);
        assert_eq!(
            all.check(&spent, Tick::new(9)),
            Err(BudgetViolation::DurationExceeded { elapsed: 9, max: 1 })
        );
        let no_duration = CatchUpBudget {
            duration_ticks_max: None,
            ..all
        };
        assert_eq!(
            no_duration.check(&spent, Tick::new(9)),
            Err(BudgetViolation::EntriesExceeded {
                replayed: 5,
                max: 1
            })
        );
        let stall_only = CatchUpBudget {
            entries_max: None,
            ..no_duration
        };
        assert_eq!(
            stall_only.check(&spent, Tick::new(9)),
            Err(BudgetViolation::ProgressStalled { idle: 9, max: 1 })
        );
    }

    #[test]
    fn unlimited_budget_never_fails() {
        assert_eq!(
            CatchUpBudget::default().check(&tracker(0, u64::MAX, 0), Tick::new(u64::MAX)),
            Ok(())
        );
    }

    #[test]
    fn check_before_start_tick_saturates_to_no_elapsed_time() {
        // Goal: §7.11 — the arithmetic saturates instead of wrapping to a huge duration.
        let budget = CatchUpBudget {
            duration_ticks_max: Some(1),
            ..CatchUpBudget::default()
        };
        assert_eq!(budget.check(&tracker(10, 0, 10), Tick::new(3)), Ok(()));
    }
}

//! The session phase machine (PROTOCOL.md §6.2) and the reasons a session ends early.
//!
//! ```text
//! init       → connecting | invalidated
//! connecting → handshake  | invalidated
//! handshake  → catch_up   | completed | invalidated
//! catch_up   → completed  | invalidated
//! ```
//! Nothing leaves `completed` or `invalidated`. Every phase change goes through
//! [`SessionPhase::can_advance_to`], including invalidation.

use crate::budget::BudgetViolation;
use crate::types::{Epoch, Lsn};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a session is in its life. An invalidated session carries its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPhase {
    /// Attached, nothing done yet.
    Init,
    /// The sender is connecting to the replica.
    Connecting,
    /// The handshake fixed the range `(start, target]`. Rebuild sessions stay here for their
    /// whole transfer; their progress lives in the rebuild state.
    Handshake,
    /// Catch-up replay is running toward the frozen target.
    CatchUp,
    /// The session converged (or the rebuild finished); the replica is in sync.
    Completed,
    /// The session was fenced or abandoned, for the given reason.
    Invalidated(InvalidateReason),
}

impl SessionPhase {
    /// True until the session completes or is invalidated.
    pub const fn is_active(&self) -> bool {
        !matches!(self, SessionPhase::Completed | SessionPhase::Invalidated(_))
    }

    /// The legal phase edges, all of them.
    pub const fn can_advance_to(&self, to: &SessionPhase) -> bool {
        use SessionPhase::*;
        matches!(
            (self, to),
            (Init, Connecting)
                | (Connecting, Handshake)
                | (Handshake, CatchUp)
                | (Handshake, Completed)
                | (CatchUp, Completed)
                | (Init | Connecting | Handshake | CatchUp, Invalidated(_))
        )
    }

    /// The stable snake_case name (without the invalidation reason).
    pub const fn name(&self) -> &'static str {
        match self {
            SessionPhase::Init => "init",
            SessionPhase::Connecting => "connecting",
            SessionPhase::Handshake => "handshake",
            SessionPhase::CatchUp => "catch_up",
            SessionPhase::Completed => "completed",
            SessionPhase::Invalidated(_) => "invalidated",
        }
    }
}

impl fmt::Display for SessionPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionPhase::Invalidated(reason) => write!(f, "invalidated({reason})"),
            other => f.write_str(other.name()),
        }
    }
}

/// Why a planned recovery was cancelled by its caller (upstream passes a free string).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The caller no longer wants this recovery.
    Requested,
    /// The volume or server is shutting down.
    Shutdown,
    /// The control plane sent a newer assignment.
    Reassigned,
}

impl CancelReason {
    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            CancelReason::Requested => "requested",
            CancelReason::Shutdown => "shutdown",
            CancelReason::Reassigned => "reassigned",
        }
    }
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a session was invalidated (PROTOCOL.md §6.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidateReason {
    /// The sender's epoch rose past the session's.
    EpochAdvanced {
        /// The session's (older) epoch.
        from: Epoch,
        /// The sender's new epoch.
        to: Epoch,
    },
    /// The replica's endpoint changed.
    EndpointChanged,
    /// The sender was stopped (removed from the assignment or shut down).
    SenderStopped,
    /// The handshake found the gap reaches recycled history.
    GapExceedsRetention,
    /// A budget check found a violated limit.
    Budget(BudgetViolation),
    /// A new assignment intent superseded the session.
    AssignmentIntent,
    /// The registry fenced every session older than this epoch.
    EpochBump {
        /// The epoch the registry fenced to.
        to: Epoch,
    },
    /// The planner could not pin the WAL for catch-up.
    WalPinFailed,
    /// The planner could not pin the rebuild snapshot.
    SnapshotPinFailed,
    /// The planner pinned the snapshot but not the WAL tail after it.
    WalPinFailedDuringRebuild,
    /// The planner could not pin a full base.
    FullBasePinFailed,
    /// Truncation of a divergent tail was unsafe (its entries already reached the extent).
    FlushedAheadNeedsRebuild,
    /// An executor stopped (an IO port failed or returned an impossible value).
    ExecutionFailed,
    /// The caller cancelled the plan.
    PlanCancelled(CancelReason),
    /// The session reached its frozen target, but the primary's head had moved past it and the
    /// caller's tail-chasing policy gave up (`Sender::abandon_outrun`).
    HeadOutran {
        /// The frozen target reached.
        target: Lsn,
        /// The primary's head when the caller gave up.
        head: Lsn,
    },
}

impl fmt::Display for InvalidateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidateReason::EpochAdvanced { from, to } => {
                write!(f, "epoch_advanced_{}_to_{}", from.get(), to.get())
            }
            InvalidateReason::EndpointChanged => f.write_str("endpoint_changed"),
            InvalidateReason::SenderStopped => f.write_str("sender_stopped"),
            InvalidateReason::GapExceedsRetention => f.write_str("gap_exceeds_retention"),
            InvalidateReason::Budget(violation) => write!(f, "budget_{violation}"),
            InvalidateReason::AssignmentIntent => f.write_str("assignment_intent"),
            InvalidateReason::EpochBump { to } => write!(f, "epoch_bump_to_{}", to.get()),
            InvalidateReason::WalPinFailed => f.write_str("wal_pin_failed"),
            InvalidateReason::SnapshotPinFailed => f.write_str("snapshot_pin_failed"),
            InvalidateReason::WalPinFailedDuringRebuild => {
                f.write_str("wal_pin_failed_during_rebuild")
            }
            InvalidateReason::FullBasePinFailed => f.write_str("full_base_pin_failed"),
            InvalidateReason::FlushedAheadNeedsRebuild => {
                f.write_str("flushed_ahead_needs_rebuild")
            }
            InvalidateReason::ExecutionFailed => f.write_str("execution_failed"),
            InvalidateReason::PlanCancelled(reason) => write!(f, "plan_cancelled_{reason}"),
            InvalidateReason::HeadOutran { target, head } => {
                write!(f, "head_outran_{}_to_{}", target.get(), head.get())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SessionPhase; 6] = [
        SessionPhase::Init,
        SessionPhase::Connecting,
        SessionPhase::Handshake,
        SessionPhase::CatchUp,
        SessionPhase::Completed,
        SessionPhase::Invalidated(InvalidateReason::EndpointChanged),
    ];

    #[test]
    fn phase_edges_are_exactly_the_protocol_table() {
        // Goal: §6.2 — every (from, to) pair, legal ones listed, all others refused.
        let legal = [
            ("init", "connecting"),
            ("init", "invalidated"),
            ("connecting", "handshake"),
            ("connecting", "invalidated"),
            ("handshake", "catch_up"),
            ("handshake", "completed"),
            ("handshake", "invalidated"),
            ("catch_up", "completed"),
            ("catch_up", "invalidated"),
        ];
        for from in ALL {
            for to in ALL {
                let expected = legal.contains(&(from.name(), to.name()));
                assert_eq!(from.can_advance_to(&to), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn only_completed_and_invalidated_are_inactive() {
        let active: Vec<bool> = ALL.iter().map(SessionPhase::is_active).collect();
        assert_eq!(active, [true, true, true, true, false, false]);
    }

    #[test]
    fn phases_print_their_name_and_an_invalidation_its_reason() {
        // Goal: the texts views and errors show: a phase's name, and `invalidated(<reason>)`.
        assert_eq!(SessionPhase::CatchUp.to_string(), "catch_up");
        assert_eq!(
            SessionPhase::Invalidated(InvalidateReason::EndpointChanged).to_string(),
            "invalidated(endpoint_changed)"
        );
    }

    #[test]
    fn invalidate_reason_display_is_stable_snake_case() {
        let rows = [
            (
                InvalidateReason::EpochAdvanced {
                    from: Epoch::new(1),
                    to: Epoch::new(2),
                },
                "epoch_advanced_1_to_2",
            ),
            (
                InvalidateReason::Budget(BudgetViolation::EntriesExceeded {
                    replayed: 3,
                    max: 2,
                }),
                "budget_entries_exceeded",
            ),
            (
                InvalidateReason::EpochBump { to: Epoch::new(3) },
                "epoch_bump_to_3",
            ),
            (
                InvalidateReason::PlanCancelled(CancelReason::Shutdown),
                "plan_cancelled_shutdown",
            ),
        ];
        for (reason, text) in rows {
            assert_eq!(reason.to_string(), text);
        }
    }
}

//! Recovery deadlines (PROTOCOL.md §1.7 "deadline metadata", §6, §7; `docs/engine.md` §21):
//! what an active session waits on from its replica, and what the sender sends again when that
//! wait expires.
//!
//! # The rule
//! A session that has sent its replica a request waits for the answer: the probe while it is
//! connecting, the next catch-up chunk while it replays, the base (and its tail) while it
//! rebuilds. The request or its answer can be lost. When the wait expires the sender sends the
//! **identical** request again (`docs/design.md` D41): the same session, epoch and endpoint, the
//! same range from where the replica last acknowledged, the same truncation point, the same
//! rebuild source and target. A retransmission decides nothing: it never changes the session's
//! phase, progress, truncation requirement or budget, nor the replica's state. Whether a slow
//! replica gives up is the budget's call ([`crate::budget`]), never the deadline's.
//!
//! The one exception is upstream's rebuild-too-slow abort: the rebuild starts again from its
//! base, so the transfer's progress is forgotten (the same source and target, under the same
//! session). A session a newer one replaced, or that ended, has no deadline: expiring it is
//! refused by the authority check, so a stale timer never regresses recovered state (A11).
//!
//! # Who keeps time
//! The caller's timer wheel decides *when* a deadline expires (a deadline is longer than any
//! round trip, D40; upstream's event simulator registers it and fires it as here, session
//! named); the engine decides *what* expiring it means, from the session alone.

use crate::history::RebuildSource;
use crate::rebuild::RebuildState;
use crate::session::phase::SessionPhase;
use crate::session::{Session, SessionWork, Truncation};
use crate::types::{Lsn, LsnRange};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The request an expired deadline sends again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retransmit {
    /// The handshake probe, at the sender's endpoint (phase connecting).
    Probe,
    /// Catch-up replay of `range`: from where the replica last acknowledged through the frozen
    /// target, truncating first to `truncate_to` when the truncation is still owed.
    CatchUp {
        /// `(recovered_to, frozen_target]`.
        range: LsnRange,
        /// The truncation point, while the truncation is required and not yet recorded.
        truncate_to: Option<Lsn>,
    },
    /// The rebuild from `source` through `target`, from its start.
    Rebuild {
        /// The base.
        source: RebuildSource,
        /// The frozen rebuild target.
        target: Lsn,
    },
}

impl Retransmit {
    /// The stable snake_case name of the request.
    pub const fn name(&self) -> &'static str {
        match self {
            Retransmit::Probe => "probe",
            Retransmit::CatchUp { .. } => "catch_up",
            Retransmit::Rebuild { .. } => "rebuild",
        }
    }
}

impl fmt::Display for Retransmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retransmit::Probe => f.write_str("probe"),
            Retransmit::CatchUp { range, truncate_to } => {
                write!(f, "catch_up {range}")?;
                match truncate_to {
                    Some(to) => write!(f, " truncating to {to}"),
                    None => Ok(()),
                }
            }
            Retransmit::Rebuild { source, target } => {
                write!(f, "rebuild from {source} to {target}")
            }
        }
    }
}

/// The request `session` waits on, if any: `None` when nothing is outstanding (not yet
/// connecting, handshaken but not replaying, converged, a rebuild whose transfer has not
/// started, or an ended session).
pub fn awaited(session: &Session) -> Option<Retransmit> {
    match (session.phase(), session.work()) {
        (SessionPhase::Connecting, _) => Some(Retransmit::Probe),
        (SessionPhase::CatchUp, SessionWork::CatchUp(progress)) => {
            let target = progress.frozen_target?;
            let truncate_to = match progress.truncation {
                Truncation::Required { to } => Some(to),
                Truncation::NotRequired | Truncation::Recorded { .. } => None,
            };
            (progress.recovered_to < target || truncate_to.is_some()).then_some(
                Retransmit::CatchUp {
                    range: LsnRange::new(progress.recovered_to, target),
                    truncate_to,
                },
            )
        }
        (SessionPhase::Handshake, SessionWork::Rebuild(rebuild)) => match *rebuild {
            RebuildState::Transfer { source, target, .. } => {
                Some(Retransmit::Rebuild { source, target })
            }
            RebuildState::TailReplay {
                snapshot, target, ..
            } => Some(Retransmit::Rebuild {
                source: RebuildSource::SnapshotTail { snapshot },
                target,
            }),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::FullBaseReason;

    // Goal: a re-sent request has a stable snake_case name and reads as the request it is (the
    // recovery log's `deadline_expired` event carries it).
    #[test]
    fn retransmits_have_stable_names_and_read_as_their_request() {
        let lsn = Lsn::new;
        let rows = [
            (Retransmit::Probe, "probe", "probe"),
            (
                Retransmit::CatchUp {
                    range: LsnRange::new(lsn(3), lsn(7)),
                    truncate_to: None,
                },
                "catch_up",
                "catch_up (3, 7]",
            ),
            (
                Retransmit::CatchUp {
                    range: LsnRange::new(lsn(5), lsn(5)),
                    truncate_to: Some(lsn(5)),
                },
                "catch_up",
                "catch_up (5, 5] truncating to 5",
            ),
            (
                Retransmit::Rebuild {
                    source: RebuildSource::SnapshotTail { snapshot: lsn(4) },
                    target: lsn(9),
                },
                "rebuild",
                "rebuild from snapshot_tail to 9",
            ),
            (
                Retransmit::Rebuild {
                    source: RebuildSource::FullBase(FullBaseReason::NoCheckpoint),
                    target: lsn(9),
                },
                "rebuild",
                "rebuild from full_base to 9",
            ),
        ];
        for (request, name, shown) in rows {
            assert_eq!(request.name(), name);
            assert_eq!(request.to_string(), shown);
        }
    }
}

//! Judging a V1 / V1.5 counterexample's property on the engine's state (issue 5; decision D28
//! of `docs/design.md`).
//!
//! A counterexample that replays as `conforms` only says that the engine's observable fields
//! (state, session, target, …) followed the model's. Issue 5 asks more of an old-protocol trace:
//! that it end `engine-refused` or "in an engine state where the property holds". This module
//! evaluates the violated property on what the engine itself holds after every conforming step
//! — its sessions, their frozen targets and budgets, and its storage's pins and recycling — and
//! gives one typed [`Judgement`]:
//!
//! - A6 `catch_up_only_on_reserved_range` ([`Judge::ReservedRange`]): every active engine
//!   session that still has history to replay holds a WAL retention pin at or below the point it
//!   replays from, and the storage has not recycled past that point. Rule: the retention pin
//!   (§6.10 `PinWALRetention`, §2.12): the storage refuses to recycle under it, and the harness
//!   counts each recycle of the model the storage refused.
//! - A5 `over_budget_catch_up_escalates` ([`Judge::RoundBudget`]): every engine session still
//!   catching up carries a budget, is within it at the current tick, and has not been outrun
//!   (reached its frozen target while the head moved past it). Rule: the frozen target (§2.9,
//!   §6.3 `BeginCatchUp`/`RecordCatchUpProgress`): an engine session is one round, so the
//!   model's round count is trivially within budget *per session*; the corresponding engine
//!   fact is the outrun: each further round of the model is a new engine session, opened only
//!   after the engine confirmed (`abandon_outrun` on a copy of the sender) that the old one was
//!   outrun — the point where V2's round budget ends the session and V1.5 keeps chasing. The
//!   round budget across sessions is the caller's policy (D23, docs/engine.md §19).
//! - A1 `committed_data_survives_failover` and A9 `promotion_picks_eligible_candidate`
//!   ([`Judge::Promotion`]): `outside-engine`. V1 promotes any responder; promotion is the
//!   coordinator's decision and the engine (§6) makes none, so its state can neither keep nor
//!   break these properties. The judgement says so rather than claiming the engine holds them.
//!
//! - `end_states_are_valid` ([`Judge::EndState`], D45): `outside-engine`. An old protocol's
//!   invalid end state is a recovery nobody restarts or escalates: V1 degrades, V1.5 does not
//!   reassign a moved replica and has no clean abort when a catch-up's range is recycled. Whether
//!   and when a stuck recovery is restarted is the caller's policy (the coordinator's rejoin
//!   intent, the sender's escalation); the engine is driven step by step and takes no step on
//!   its own, so its state can neither keep nor break the property.
//!
//! Every other property has no engine-side judgement yet (`not-judged`): a V1 / V1.5 trace of
//! such a property that conforms fails the corpus rule until one is written.

use serde::Serialize;
use swb_engine::budget::BudgetViolation;
use swb_engine::types::{Lsn, SessionId};
use swb_properties::PropertyInfo;

/// Which engine-side judgement a property has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judge {
    /// A6: the range a recovery still replays is pinned against recycling.
    ReservedRange,
    /// A5: no session over its budget, or outrun by the head, is still catching up.
    RoundBudget,
    /// A1, A9: the property is about promotion, a decision the engine does not make.
    Promotion,
    /// D45: the property is about coming to rest, which the caller's recovery policy decides.
    EndState,
}

impl Judge {
    /// The judgement of `property`, if it has one. Keyed by the catalogue's names: the
    /// property's identity in every trace file.
    pub fn of(property: &PropertyInfo) -> Option<Judge> {
        Judge::of_name(property.name)
    }

    /// [`Judge::of`] by the property's name.
    pub fn of_name(property: &str) -> Option<Judge> {
        match property {
            "catch_up_only_on_reserved_range" => Some(Judge::ReservedRange),
            "over_budget_catch_up_escalates" => Some(Judge::RoundBudget),
            "committed_data_survives_failover" | "promotion_picks_eligible_candidate" => {
                Some(Judge::Promotion)
            }
            "end_states_are_valid" => Some(Judge::EndState),
            _ => None,
        }
    }

    /// Checks one step's engine state; the first breach found, in primary, replica order.
    pub fn check(self, engine: &EngineSnapshot) -> Result<(), Breach> {
        match self {
            Judge::ReservedRange => engine.primaries.iter().try_for_each(reserved_range),
            Judge::RoundBudget => engine.primaries.iter().try_for_each(round_budget),
            Judge::Promotion | Judge::EndState => Ok(()),
        }
    }

    /// The judgement of a conforming replay: the first breach, if a step had one.
    pub fn conclude(self, breach: Option<(usize, Breach)>, counts: JudgeCounts) -> Judgement {
        if let Some((step, breach)) = breach {
            return Judgement::FailsInEngine { step, breach };
        }
        match self {
            Judge::ReservedRange => Judgement::HoldsInEngine {
                rule: EngineRule::RetentionPin,
                evidence: Evidence::RecyclesRefused {
                    count: counts.storage_deferrals,
                },
            },
            Judge::RoundBudget => Judgement::HoldsInEngine {
                rule: EngineRule::FrozenTarget,
                evidence: Evidence::OutrunSessionsReplaced {
                    count: counts.outruns_confirmed,
                },
            },
            Judge::Promotion => Judgement::OutsideEngine {
                decision: Decision::Promotion,
            },
            Judge::EndState => Judgement::OutsideEngine {
                decision: Decision::RecoveryPolicy,
            },
        }
    }
}

/// The harness's counters a judgement cites as evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JudgeCounts {
    /// Storage changes of the model the engine's storage refused under a pin.
    pub storage_deferrals: u64,
    /// Sessions replaced for a further round after the engine confirmed them outrun.
    pub outruns_confirmed: u64,
}

/// The engine rule by which a property holds on the engine's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineRule {
    /// §6.10 `PinWALRetention`, §2.12: a WAL pin after `a` forbids recycling past `a`.
    RetentionPin,
    /// §2.9, §6.3: a session's target is frozen when catch-up begins and progress past it is
    /// refused; a further round is a new session.
    FrozenTarget,
}

impl EngineRule {
    /// The stable name used in output.
    pub fn name(self) -> &'static str {
        match self {
            EngineRule::RetentionPin => "retention-pin",
            EngineRule::FrozenTarget => "frozen-target",
        }
    }
}

/// A decision the engine does not make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Which node the coordinator promotes (§2.8; §6 has no promotion).
    Promotion,
    /// Whether a stuck recovery is restarted or escalated (the rejoin intent, the escalation
    /// policy; D45).
    RecoveryPolicy,
}

impl Decision {
    /// The stable name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Promotion => "promotion",
            Decision::RecoveryPolicy => "recovery-policy",
        }
    }
}

/// What a holding judgement rests on, counted over the replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// Recycles (and checkpoint moves) the model made that the engine's storage refused
    /// under a pin.
    RecyclesRefused {
        /// How many.
        count: u64,
    },
    /// Sessions the engine confirmed outrun (`abandon_outrun` accepts them) that the caller
    /// replaced by a new session for a further round.
    OutrunSessionsReplaced {
        /// How many.
        count: u64,
    },
}

/// How the engine's state breaks a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Breach {
    /// A session still replays history above `from` and no WAL pin holds it.
    Unpinned {
        /// `nP/nR`.
        replica: ReplicaKey,
        /// The engine session.
        session: SessionId,
        /// The point it replays from.
        from: Lsn,
    },
    /// The storage recycled history a session still replays.
    Recycled {
        /// `nP/nR`.
        replica: ReplicaKey,
        /// The engine session.
        session: SessionId,
        /// The point it replays from.
        from: Lsn,
        /// How far the storage recycled.
        recycled_through: Lsn,
    },
    /// A catch-up session without a budget: it can never escalate.
    Unbudgeted {
        /// `nP/nR`.
        replica: ReplicaKey,
        /// The engine session.
        session: SessionId,
    },
    /// A catch-up session over its budget is still catching up.
    OverBudget {
        /// `nP/nR`.
        replica: ReplicaKey,
        /// The engine session.
        session: SessionId,
        /// The limit it broke.
        violation: BudgetViolation,
    },
    /// A catch-up session reached its frozen target, the head moved past it, and it is still
    /// catching up.
    Outrun {
        /// `nP/nR`.
        replica: ReplicaKey,
        /// The engine session.
        session: SessionId,
        /// Its frozen target.
        target: Lsn,
        /// The storage's head.
        head: Lsn,
    },
}

impl Breach {
    /// The stable name used in output.
    pub fn name(&self) -> &'static str {
        match self {
            Breach::Unpinned { .. } => "unpinned",
            Breach::Recycled { .. } => "recycled",
            Breach::Unbudgeted { .. } => "unbudgeted",
            Breach::OverBudget { .. } => "over-budget",
            Breach::Outrun { .. } => "outrun",
        }
    }
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::Unpinned {
                replica,
                session,
                from,
            } => write!(
                f,
                "{replica} {session} replays from {from} and no WAL pin holds it"
            ),
            Breach::Recycled {
                replica,
                session,
                from,
                recycled_through,
            } => write!(
                f,
                "{replica} {session} replays from {from} but the storage recycled through {recycled_through}"
            ),
            Breach::Unbudgeted { replica, session } => {
                write!(f, "{replica} {session} catches up without a budget")
            }
            Breach::OverBudget {
                replica,
                session,
                violation,
            } => write!(f, "{replica} {session} is over budget ({violation}) and still catching up"),
            Breach::Outrun {
                replica,
                session,
                target,
                head,
            } => write!(
                f,
                "{replica} {session} reached its frozen target {target}, the head is {head}, and it is still catching up"
            ),
        }
    }
}

/// The engine-side judgement of a conforming V1 / V1.5 replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "judgement", rename_all = "kebab-case")]
pub enum Judgement {
    /// The property held on the engine's state after every step, by `rule`.
    HoldsInEngine {
        /// The engine rule that keeps it.
        rule: EngineRule,
        /// What that rule did during the replay.
        evidence: Evidence,
    },
    /// The property is about a decision the engine does not make.
    OutsideEngine {
        /// The decision.
        decision: Decision,
    },
    /// The engine's state broke the property after `step`.
    FailsInEngine {
        /// The first step whose engine state broke it.
        step: usize,
        /// How.
        breach: Breach,
    },
    /// The property has no engine-side judgement.
    NotJudged,
}

impl Judgement {
    /// The stable name used in output.
    pub fn name(&self) -> &'static str {
        match self {
            Judgement::HoldsInEngine { .. } => "holds-in-engine",
            Judgement::OutsideEngine { .. } => "outside-engine",
            Judgement::FailsInEngine { .. } => "fails-in-engine",
            Judgement::NotJudged => "not-judged",
        }
    }

    /// The short key the manifest pins: the judgement and its rule, decision or breach.
    pub fn key(&self) -> String {
        match self {
            Judgement::HoldsInEngine { rule, .. } => format!("{}:{}", self.name(), rule.name()),
            Judgement::OutsideEngine { decision } => {
                format!("{}:{}", self.name(), decision.name())
            }
            Judgement::FailsInEngine { breach, .. } => {
                format!("{}:{}", self.name(), breach.name())
            }
            Judgement::NotJudged => self.name().to_owned(),
        }
    }

    /// True when a conforming old-protocol trace meets issue 5's rule with it.
    pub fn accepts(&self) -> bool {
        matches!(
            self,
            Judgement::HoldsInEngine { .. } | Judgement::OutsideEngine { .. }
        )
    }
}

impl std::fmt::Display for Judgement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Judgement::HoldsInEngine { rule, evidence } => {
                write!(f, "holds in the engine by rule {}", rule.name())?;
                match evidence {
                    Evidence::RecyclesRefused { count } => write!(
                        f,
                        " ({count} recycle(s) of the model refused by the engine's storage under a pin)"
                    ),
                    Evidence::OutrunSessionsReplaced { count } => write!(
                        f,
                        " (one round per engine session; {count} further round(s) opened after the engine confirmed the session outrun)"
                    ),
                }
            }
            Judgement::OutsideEngine {
                decision: Decision::Promotion,
            } => f.write_str(
                "outside the engine: promotion is the coordinator's decision, which the engine does not make",
            ),
            Judgement::OutsideEngine {
                decision: Decision::RecoveryPolicy,
            } => f.write_str(
                "outside the engine: whether a stuck recovery is restarted or escalated is the caller's policy, which the engine does not decide",
            ),
            Judgement::FailsInEngine { step, breach } => {
                write!(f, "fails in the engine after step {step}: {breach}")
            }
            Judgement::NotJudged => f.write_str("no engine-side judgement for this property"),
        }
    }
}

/// A replica of a primary incarnation, `nP/nR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReplicaKey {
    /// The primary's node index.
    pub primary: u8,
    /// The replica's node index.
    pub replica: u8,
}

impl std::fmt::Display for ReplicaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "n{}/n{}", self.primary, self.replica)
    }
}

impl Serialize for ReplicaKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What the judgements read from the engine after one step (built by [`engine_snapshot`];
/// tests build doubles by hand).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineSnapshot {
    /// One entry per primary incarnation, in node order.
    pub primaries: Vec<PrimarySnapshot>,
}

/// What the engine-side judgements read from the interpreter's engines: every incarnation's
/// storage (head, recycling, WAL pins) and its active sessions that replay or rebuild, with
/// each catch-up's budget checked at the current tick without touching the session.
pub fn engine_snapshot(interpreter: &super::interpret::Interpreter) -> EngineSnapshot {
    use swb_engine::history::RebuildSource;
    use swb_engine::plan::PinKind;
    use swb_engine::session::Truncation;
    let now = interpreter.now();
    let primaries = interpreter
        .engines()
        .map(|(primary, registry, storage)| {
            let sessions = registry
                .senders()
                .filter_map(|sender| {
                    let session = sender.active_session()?;
                    let work = match (session.catch_up(), session.rebuild()) {
                        (Some(progress), _) => ActiveWork::CatchingUp {
                            recovered_to: progress.recovered_to,
                            frozen_target: progress.frozen_target?,
                            truncation_pending: matches!(
                                progress.truncation,
                                Truncation::Required { .. }
                            ),
                            budget: progress.budget.map(|budget| match progress.tracker {
                                Some(tracker) => budget.check(&tracker, now),
                                None => Ok(()),
                            }),
                        },
                        (None, Some(rebuild)) => match rebuild.source()? {
                            RebuildSource::SnapshotTail { snapshot } => {
                                ActiveWork::RebuildingFromSnapshot { snapshot }
                            }
                            RebuildSource::FullBase(_) => return None,
                        },
                        (None, None) => return None,
                    };
                    Some(ActiveSession {
                        replica: sender.replica().get() as u8,
                        session: session.id(),
                        work,
                    })
                })
                .collect();
            PrimarySnapshot {
                primary,
                head: storage.head(),
                recycled_through: storage.recycled_through(),
                wal_pins: storage
                    .active_pins()
                    .into_iter()
                    .filter(|(_, kind, _)| *kind == PinKind::Wal)
                    .map(|(_, _, after)| after)
                    .collect(),
                sessions,
            }
        })
        .collect();
    EngineSnapshot { primaries }
}

/// One primary incarnation's storage and active sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrimarySnapshot {
    /// The primary's node index.
    pub primary: u8,
    /// The storage's head.
    pub head: Lsn,
    /// How far the storage recycled.
    pub recycled_through: Lsn,
    /// The `after` point of every WAL pin held.
    pub wal_pins: Vec<Lsn>,
    /// Every active session that replays or rebuilds, in replica order.
    pub sessions: Vec<ActiveSession>,
}

/// One active engine session, as the judgements read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveSession {
    /// The replica's node index.
    pub replica: u8,
    /// The engine session.
    pub session: SessionId,
    /// What it does.
    pub work: ActiveWork,
}

/// What an active session does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActiveWork {
    /// Catch-up has begun (its target is frozen).
    CatchingUp {
        /// How far replay reached.
        recovered_to: Lsn,
        /// The frozen target.
        frozen_target: Lsn,
        /// A divergent tail must still be truncated before the session can complete (T9).
        truncation_pending: bool,
        /// The budget check at the current tick (pure: the session is not touched), or
        /// `None` when the session carries no budget.
        budget: Option<Result<(), BudgetViolation>>,
    },
    /// A rebuild from a snapshot plus the WAL after it.
    RebuildingFromSnapshot {
        /// The snapshot's LSN: the tail is replayed from there.
        snapshot: Lsn,
    },
}

impl ActiveSession {
    /// The LSN the session still replays WAL from, if it still needs any.
    fn replays_from(&self) -> Option<Lsn> {
        match self.work {
            ActiveWork::CatchingUp {
                recovered_to,
                frozen_target,
                ..
            } => (recovered_to < frozen_target).then_some(recovered_to),
            ActiveWork::RebuildingFromSnapshot { snapshot } => Some(snapshot),
        }
    }
}

/// A6 on one incarnation: every range still replayed is pinned and not recycled.
fn reserved_range(primary: &PrimarySnapshot) -> Result<(), Breach> {
    for active in &primary.sessions {
        let Some(from) = active.replays_from() else {
            continue;
        };
        let replica = ReplicaKey {
            primary: primary.primary,
            replica: active.replica,
        };
        if primary.recycled_through > from {
            return Err(Breach::Recycled {
                replica,
                session: active.session,
                from,
                recycled_through: primary.recycled_through,
            });
        }
        if !primary.wal_pins.iter().any(|after| *after <= from) {
            return Err(Breach::Unpinned {
                replica,
                session: active.session,
                from,
            });
        }
    }
    Ok(())
}

/// A5 on one incarnation: every session still catching up has a budget, is within it, and has
/// not been outrun.
fn round_budget(primary: &PrimarySnapshot) -> Result<(), Breach> {
    for active in &primary.sessions {
        let ActiveWork::CatchingUp {
            recovered_to,
            frozen_target,
            truncation_pending,
            budget,
        } = active.work
        else {
            continue;
        };
        let replica = ReplicaKey {
            primary: primary.primary,
            replica: active.replica,
        };
        match budget {
            None => {
                return Err(Breach::Unbudgeted {
                    replica,
                    session: active.session,
                })
            }
            Some(Err(violation)) => {
                return Err(Breach::OverBudget {
                    replica,
                    session: active.session,
                    violation,
                })
            }
            Some(Ok(())) => {}
        }
        // Outrun: nothing left to do toward the frozen target (replayed to it, no truncation
        // pending) while the head moved past it. A session with a truncation pending at its
        // target still works, as the engine's completion rule says.
        if recovered_to >= frozen_target && !truncation_pending && primary.head > frozen_target {
            return Err(Breach::Outrun {
                replica,
                session: active.session,
                target: frozen_target,
                head: primary.head,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use swb_engine::types::Lsn;

    fn catching_up(recovered_to: u64, frozen_target: u64) -> ActiveSession {
        ActiveSession {
            replica: 3,
            session: SessionId::new(1),
            work: ActiveWork::CatchingUp {
                recovered_to: Lsn::new(recovered_to),
                frozen_target: Lsn::new(frozen_target),
                truncation_pending: false,
                budget: Some(Ok(())),
            },
        }
    }

    fn engine(recycled: u64, pins: &[u64], head: u64, session: ActiveSession) -> EngineSnapshot {
        EngineSnapshot {
            primaries: vec![PrimarySnapshot {
                primary: 1,
                head: Lsn::new(head),
                recycled_through: Lsn::new(recycled),
                wal_pins: pins.iter().map(|lsn| Lsn::new(*lsn)).collect(),
                sessions: vec![session],
            }],
        }
    }

    const N1_N3: ReplicaKey = ReplicaKey {
        primary: 1,
        replica: 3,
    };

    // Goal: A6 holds when the range still replayed is pinned and unrecycled, and fails —
    // the check can fail — when the pin is dropped or the storage recycled under the session.
    #[test]
    fn reserved_range_needs_a_pin_at_or_below_the_replay_point() {
        let s1 = SessionId::new(1);
        let rows = [
            // The V1.5 corpus shape: pin after 0, recycle refused (recycled 0), replaying from 0.
            (engine(0, &[0], 1, catching_up(0, 1)), Ok(())),
            // Converged: nothing left to replay, no pin needed.
            (engine(1, &[], 1, catching_up(1, 1)), Ok(())),
            // The test double of a harness that dropped the pin.
            (
                engine(0, &[], 1, catching_up(0, 1)),
                Err(Breach::Unpinned {
                    replica: N1_N3,
                    session: s1,
                    from: Lsn::ZERO,
                }),
            ),
            // A pin above the replay point does not hold it.
            (
                engine(0, &[1], 2, catching_up(0, 2)),
                Err(Breach::Unpinned {
                    replica: N1_N3,
                    session: s1,
                    from: Lsn::ZERO,
                }),
            ),
            (
                engine(1, &[], 1, catching_up(0, 1)),
                Err(Breach::Recycled {
                    replica: N1_N3,
                    session: s1,
                    from: Lsn::ZERO,
                    recycled_through: Lsn::new(1),
                }),
            ),
        ];
        for (row, (snapshot, expected)) in rows.into_iter().enumerate() {
            assert_eq!(Judge::ReservedRange.check(&snapshot), expected, "row {row}");
        }
    }

    // Goal: A5 holds for a budgeted session within budget that the head has not outrun, and
    // fails for each of the three engine-side breaches.
    #[test]
    fn round_budget_breaches_each_fail() {
        let s1 = SessionId::new(1);
        let with_budget = |budget| ActiveSession {
            work: ActiveWork::CatchingUp {
                recovered_to: Lsn::new(1),
                frozen_target: Lsn::new(2),
                truncation_pending: false,
                budget,
            },
            ..catching_up(1, 2)
        };
        let stalled = BudgetViolation::ProgressStalled { idle: 9, max: 1 };
        let truncating = ActiveSession {
            work: ActiveWork::CatchingUp {
                recovered_to: Lsn::ZERO,
                frozen_target: Lsn::ZERO,
                truncation_pending: true,
                budget: Some(Ok(())),
            },
            ..catching_up(0, 0)
        };
        let rows = [
            (engine(0, &[1], 2, catching_up(1, 2)), Ok(())),
            // At its target with a truncation still to record: still working, not outrun
            // (found by `engine_side_judgements_hold_along_v2_walks`).
            (engine(0, &[], 1, truncating), Ok(())),
            (
                engine(0, &[1], 2, with_budget(None)),
                Err(Breach::Unbudgeted {
                    replica: N1_N3,
                    session: s1,
                }),
            ),
            (
                engine(0, &[1], 2, with_budget(Some(Err(stalled)))),
                Err(Breach::OverBudget {
                    replica: N1_N3,
                    session: s1,
                    violation: stalled,
                }),
            ),
            (
                engine(0, &[], 2, catching_up(1, 1)),
                Err(Breach::Outrun {
                    replica: N1_N3,
                    session: s1,
                    target: Lsn::new(1),
                    head: Lsn::new(2),
                }),
            ),
        ];
        for (row, (snapshot, expected)) in rows.into_iter().enumerate() {
            assert_eq!(Judge::RoundBudget.check(&snapshot), expected, "row {row}");
        }
    }

    // Goal: the judgements are keyed by catalogue names that exist (a renamed property fails
    // here, not silently as not-judged), and each property gets its judgement.
    #[test]
    fn judged_properties_are_in_the_catalogue() {
        let rows = [
            ("catch_up_only_on_reserved_range", Judge::ReservedRange),
            ("over_budget_catch_up_escalates", Judge::RoundBudget),
            ("committed_data_survives_failover", Judge::Promotion),
            ("promotion_picks_eligible_candidate", Judge::Promotion),
            ("end_states_are_valid", Judge::EndState),
        ];
        for (name, judge) in rows {
            let property = swb_properties::find(name).expect("a catalogue property");
            assert_eq!(Judge::of(&property), Some(judge), "{name}");
        }
        let unjudged = swb_properties::find("in_sync_replicas_match_primary").expect("A7");
        assert_eq!(Judge::of(&unjudged), None);
    }

    // Goal: only holds-in-engine and outside-engine accept a conforming old-protocol trace.
    #[test]
    fn judgements_conclude_and_accept() {
        let counts = JudgeCounts {
            storage_deferrals: 1,
            outruns_confirmed: 2,
        };
        let held = Judge::ReservedRange.conclude(None, counts);
        assert_eq!(held.key(), "holds-in-engine:retention-pin");
        assert!(held.accepts());
        assert_eq!(
            Judge::RoundBudget.conclude(None, counts).key(),
            "holds-in-engine:frozen-target"
        );
        let outside = Judge::Promotion.conclude(None, counts);
        assert_eq!(outside.key(), "outside-engine:promotion");
        assert!(outside.accepts());
        let breach = Breach::Unbudgeted {
            replica: N1_N3,
            session: SessionId::new(1),
        };
        let failed = Judge::RoundBudget.conclude(Some((4, breach)), counts);
        assert_eq!(failed.key(), "fails-in-engine:unbudgeted");
        assert!(!failed.accepts());
        assert!(!Judgement::NotJudged.accepts());
    }
}

//! Why an older version fails a property, and the V2 rule that prevents it: the text
//! `docs/comparison.md` prints beside each failing trace, kept here as data so the document is
//! regenerated, never edited.

use swb_model::ProtocolVersion;

/// The explanation of one failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The acceptance criterion at stake.
    pub criterion: &'static str,
    /// How the older version's hook setting leads there (what the trace shows).
    pub how: &'static str,
    /// The V2 rule, and its hook setting, that prevents it.
    pub v2_rule: &'static str,
}

/// The explanation of `property` failing (an `always` violated or a `sometimes` unreached)
/// under `protocol`, if the catalog has one.
pub fn explanation(property: &str, protocol: ProtocolVersion) -> Option<Explanation> {
    EXPLANATIONS
        .iter()
        .find(|(name, version, _)| *name == property && *version == protocol)
        .map(|(_, _, explanation)| *explanation)
}

use ProtocolVersion::{V1, V1_5};

const EXPLANATIONS: &[(&str, ProtocolVersion, Explanation)] = &[
    ("end_states_are_valid", V1, Explanation {
        criterion: "D45 every end state is valid (no replica left stuck)",
        how: "`CatchUpAttempt::Degrade`: a replica that missed a write is marked Degraded and nothing ever brings it back, so the system comes to rest with a replica out of the live stream (and, under sync_all, a write that never commits).",
        v2_rule: "every lagging replica gets a session whose deadlines re-send what was lost (D41), and a session that cannot catch up escalates to a rebuild; every end state has all replicas in sync.",
    }),
    ("end_states_are_valid", V1_5, Explanation {
        criterion: "D45 every end state is valid (no replica left stuck)",
        how: "either a moved replica is never reassigned (`RejoinAction::ControlPlaneOnly` for a changed address), or a catch-up whose range the flusher recycled has no clean abort (`Recoverability::RetentionWindow`) and waits forever.",
        v2_rule: "`RejoinAction::Reassign` sends the primary a recovery intent at the new endpoint, and a lost reservation escalates to NeedsRebuild (`EscalationReason::ReservationLost`), which a rebuild ends.",
    }),
    ("committed_data_survives_failover", V1, Explanation {
        criterion: "A1 committed data survives failover",
        how: "after the lease expires the coordinator promotes the first node that adopted the new epoch (`PromotionRule::AnyResponder`, our reading of V1's \"weaker lineage reasoning\"), here a replica that never received the committed write; as the new primary it serves a log that lacks Ref(C).",
        v2_rule: "`PromotionRule::LineageFirst`: a candidate is eligible only if its recoverable LSN reaches C and its entry at C is the committed one (§2.8, A9), so a replica missing the committed write is never promoted.",
    }),
    ("promotion_picks_eligible_candidate", V1, Explanation {
        criterion: "A9 promotion uses safe candidate eligibility",
        how: "`PromotionRule::AnyResponder` accepts the first epoch acknowledgement, whatever its recoverable LSN; the trace ends with a promotion whose node does not hold the committed prefix.",
        v2_rule: "`PromotionRule::LineageFirst` checks recoverable LSN ≥ C and the entry at C (same writer epoch) before promoting; with no eligible answer nobody is promoted.",
    }),
    ("catch_up_completes", V1, Explanation {
        criterion: "A4 short-gap catch-up works",
        how: "`CatchUpAttempt::Degrade`: when a barrier times out or a rejoining replica's handshake finds a gap, V1 marks the replica Degraded and never replays the retained WAL, so a replica that missed even one write never returns to the live stream (V1-F1, V1-F4).",
        v2_rule: "`CatchUpAttempt::Allowed` with `Recoverability::CheckAndReserve`: a gap inside retained history is replayed under a reservation toward a frozen target, and the replica rejoins InSync.",
    }),
    ("address_change_then_recovery", V1, Explanation {
        criterion: "A10 changed-address restart is explicitly recoverable",
        how: "`RejoinAction::ControlPlaneOnly` for either address: the coordinator learns the new endpoint from the heartbeat but sends the primary no recovery intent, and V1 could not catch up anyway; the moved replica stays out of the live stream.",
        v2_rule: "`RejoinAction::Reassign`: the coordinator refreshes its endpoint cache and sends the primary a reassignment at the new endpoint, which invalidates the old session and starts a new one (catch-up or rebuild).",
    }),
    ("reservation_holds_back_recycling", V1, Explanation {
        criterion: "A6 (its witness)",
        how: "V1 never runs a catch-up, so no catch-up ever needs history the flusher would recycle: the situation A6 guards does not arise.",
        v2_rule: "not a V2 rule: V2 reaches the situation and its reservation holds recycling back (`Recoverability::CheckAndReserve`).",
    }),
    ("truncation_happens", V1, Explanation {
        criterion: "T9 (its witness)",
        how: "a divergent tail is truncated by the first catch-up chunk; V1 degrades the replica at the handshake instead, so its divergent tail is never repaired.",
        v2_rule: "the handshake classifies a divergent or ahead tail and the catch-up truncates it before replaying (T9).",
    }),
    ("snapshot_tail_rebuild_happens", V1, Explanation {
        criterion: "A7 (its witness)",
        how: "V1 degrades a lagging replica at the handshake; it never escalates to NeedsRebuild, so no rebuild runs.",
        v2_rule: "a gap beyond retention escalates explicitly to NeedsRebuild and the coordinator's rebuild intent installs a snapshot plus the tail.",
    }),
    ("full_base_rebuild_happens", V1, Explanation {
        criterion: "A7 (its witness)",
        how: "V1 never escalates to NeedsRebuild, so no rebuild runs.",
        v2_rule: "explicit escalation to NeedsRebuild, then a full base cut at C when there is no checkpoint.",
    }),
    ("budget_escalation_happens", V1, Explanation {
        criterion: "A5 (its witness)",
        how: "V1 never catches up, so it has no catch-up budget to exceed.",
        v2_rule: "`CatchUpConvergence::EscalateOnBudget`.",
    }),
    ("over_budget_catch_up_escalates", V1_5, Explanation {
        criterion: "A5 non-convergent catch-up escalates explicitly",
        how: "`CatchUpConvergence::ChaseWithoutBudget`: each time the primary's head moves during a round, V1.5 starts another round with a new target and never counts against a budget, and a catch-up timeout escalates nothing; the trace ends with a session still catching up past its round budget (tail chasing, L4, V15-F1).",
        v2_rule: "`CatchUpConvergence::EscalateOnBudget`: a frozen target per round, a round budget and a catch-up timeout; spending either escalates to NeedsRebuild in the same step (A5, T4).",
    }),
    ("catch_up_only_on_reserved_range", V1_5, Explanation {
        criterion: "A6 recoverability boundary is explicit",
        how: "`Recoverability::RetentionWindow`: the range is checked at admission only (the replica's probe reply, while the missing entry is still retained); the commit acknowledgement that follows lets the flusher recycle history the admitted catch-up still needs, since nothing reserves it. The trace ends there; the session then stalls on a range that is gone instead of aborting (V15-F3).",
        v2_rule: "`Recoverability::CheckAndReserve`: the catch-up's range is pinned from admission until the session ends, so retention never recycles it; losing it anyway aborts explicitly to NeedsRebuild.",
    }),
    ("address_change_then_recovery", V1_5, Explanation {
        criterion: "A10 changed-address restart is explicitly recoverable",
        how: "`RejoinAction::ControlPlaneOnly` for a changed address (V1.5's background reconnect only works to a stable address): the coordinator detects the move but has no mechanism to apply it, so the gap persists.",
        v2_rule: "`RejoinAction::Reassign` for a changed address: an explicit reassignment at the new endpoint, then catch-up or rebuild.",
    }),
    ("reservation_holds_back_recycling", V1_5, Explanation {
        criterion: "A6 (its witness)",
        how: "the only replica with a gap is the moved one, which V1.5 never catches up (`RejoinAction::ControlPlaneOnly` for a changed address), so no running catch-up ever needs history the flusher would recycle.",
        v2_rule: "not a V2 rule: V2 reassigns the moved replica (`RejoinAction::Reassign`), catches it up and reserves its range (`Recoverability::CheckAndReserve`).",
    }),
    ("budget_escalation_happens", V1_5, Explanation {
        criterion: "A5 (its witness)",
        how: "`CatchUpConvergence::ChaseWithoutBudget` never escalates on a budget, so the explicit CatchingUp → NeedsRebuild transition never happens.",
        v2_rule: "`CatchUpConvergence::EscalateOnBudget`.",
    }),
    ("catch_up_completes", V1_5, Explanation {
        criterion: "A4 (its witness)",
        how: "the only path to a catch-up in this scenario starts with a changed-address rejoin, which V1.5 leaves to the control plane (`RejoinAction::ControlPlaneOnly`).",
        v2_rule: "`RejoinAction::Reassign` starts a session at the new endpoint.",
    }),
    ("snapshot_tail_rebuild_happens", V1_5, Explanation {
        criterion: "A7 (its witness)",
        how: "V1.5 stalls a session whose range was recycled instead of escalating, and never escalates on a budget, so the escalations that lead to a rebuild in V2 do not happen here.",
        v2_rule: "explicit escalation to NeedsRebuild (reservation lost, budget or timeout), then a snapshot + tail rebuild.",
    }),
    ("full_base_rebuild_happens", V1_5, Explanation {
        criterion: "A7 (its witness)",
        how: "V1.5 never escalates a stalled or over-budget catch-up, so no rebuild runs.",
        v2_rule: "explicit escalation to NeedsRebuild, then a full base when there is no checkpoint.",
    }),
    ("truncation_happens", V1_5, Explanation {
        criterion: "T9 (its witness)",
        how: "the divergent tail V2 truncates arises after a rebuild or a reassignment V1.5 does not perform in this scenario.",
        v2_rule: "the handshake's lineage comparison and a truncating first chunk (T9).",
    }),
];

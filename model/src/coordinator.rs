//! The coordinator (master): the epoch authority, the keeper of the committed boundary C, the
//! endpoint truth, and the source of every recovery intent (FS1, FS2).
//!
//! - C is the coordinator's: a primary proposes a boundary (`CommitReport`) and the boundary
//!   becomes the protocol's promise when the coordinator records it for the current epoch. A
//!   proposal from an ended epoch is fenced, so an old primary can never commit (A2, A3).
//! - A lease expiry (a bounded fault: the primary may be alive, merely unreachable) bumps the
//!   epoch and asks every node to adopt it. The first eligible answer is promoted (A9); no
//!   eligible answer means no promotion, the safe default.
//! - A node that (re)starts reports its endpoint; the coordinator refreshes its cache and, where
//!   the version's rejoin policy says so, sends the primary a recovery intent at the new endpoint.
//!
//! The coordinator never crashes in the model: it stands for the replicated master, whose own
//! fault tolerance is out of scope (`docs/design.md`, assumptions).

use crate::endpoints::EndpointCache;
use crate::msg::{Msg, SessionKind};
use crate::node::Effect;
use crate::policy::{AddressChange, Mutant, PromotionRule, RejoinAction};
use crate::Params;
use serde::{Deserialize, Serialize};
use stateright::actor::{Id, Out};
use stateright::{Rewrite, RewritePlan};
use swb_engine::types::{EndpointVersion, Epoch, Lsn};

/// The coordinator's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CoordinatorState {
    /// The current epoch E.
    pub epoch: Epoch,
    /// The primary of E; `None` while an election is open.
    pub primary: Option<Id>,
    /// The committed boundary C. Invariant: never decreases.
    pub committed: Lsn,
    /// The writer epoch of the entry at C (`None` while C = 0): the lineage identity a promotion
    /// candidate must hold at C.
    pub committed_epoch: Option<Epoch>,
    /// The endpoint cache, by actor index (the coordinator's own slot unused).
    pub endpoints: EndpointCache,
}

impl Rewrite<Id> for CoordinatorState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        CoordinatorState {
            primary: self.primary.map(|id| plan.rewrite(&id)),
            endpoints: self.endpoints.rewrite(plan),
            ..*self
        }
    }
}

/// The coordinator's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CoordinatorTimer {
    /// The primary's lease expired (a bounded fault).
    LeaseExpiry,
    // The coordinator's recovery deadlines (`deadline.rs`): protocol steps, never armed in
    // stateright's timer set (so symmetry's timer renaming never meets their ids).
    /// The election heard nothing from this node in time: its new-epoch notice is sent again.
    NewEpochRetry(Id),
    /// This node is not serving or not assigned although it should be: its assignment is sent
    /// again.
    AssignRetry(Id),
    /// The primary still addresses this replica at an old endpoint: the recovery intent at the
    /// new one is sent again.
    ReassignRetry(Id),
}

/// The coordinator at time zero: epoch 1, the first node serves, nothing committed.
pub fn initial(params: &Params) -> CoordinatorState {
    CoordinatorState {
        epoch: Epoch::FIRST,
        primary: Some(params.initial_primary()),
        committed: Lsn::ZERO,
        committed_epoch: None,
        endpoints: EndpointCache::from_fn(|index| {
            params
                .is_node(Id::from(index))
                .then_some(EndpointVersion::FIRST)
        }),
    }
}

type CoordinatorOut = Out<crate::system::SwbActor>;

/// A lease expiry: E + 1, and every node is asked to adopt it and report its lineage.
pub fn on_lease_expiry(
    params: &Params,
    state: &CoordinatorState,
    o: &mut CoordinatorOut,
) -> Effect<CoordinatorState> {
    let expiries_used = state.epoch.get() - Epoch::FIRST.get();
    if expiries_used >= u64::from(params.lease_expiries_max) {
        return Effect::Wait;
    }
    let mut next = *state;
    next.epoch = state.epoch.bump();
    next.primary = None;
    for node in params.nodes() {
        o.send(
            node,
            Msg::NewEpoch {
                epoch: next.epoch,
                committed: next.committed,
            },
        );
    }
    Effect::Update(next)
}

/// Every message to the coordinator. Traffic stamped with an older epoch is fenced first.
pub fn on_msg(
    params: &Params,
    state: &CoordinatorState,
    src: Id,
    msg: &Msg,
    o: &mut CoordinatorOut,
) -> Effect<CoordinatorState> {
    // A restarted node reports its durable epoch, which may be old: a heartbeat is never fenced.
    if msg.is_epoch_fenced()
        && msg.epoch() < state.epoch
        && !params.has(Mutant::CoordinatorAcceptsStaleEpoch)
    {
        return Effect::Drop;
    }
    match *msg {
        Msg::EpochAck {
            epoch,
            recoverable,
            at_committed,
        } => {
            if (epoch != state.epoch && !params.has(Mutant::PromoteOnOtherEpochAck))
                || (state.primary.is_some() && !params.has(Mutant::PromoteWhileServing))
                || !eligible(params, state, recoverable, at_committed)
            {
                return Effect::Wait;
            }
            let mut next = *state;
            next.primary = Some(src);
            assign_primary(&next, o);
            Effect::Update(next)
        }
        Msg::CommitReport { epoch, committed } => {
            let current = epoch == state.epoch && state.primary == Some(src);
            if current && committed == state.committed && params.is_lossy() {
                // A repeated report of the recorded boundary is confirmed again (D42).
                o.send(src, Msg::CommitAck { epoch, committed });
                return Effect::Drop;
            }
            if (epoch != state.epoch && !params.has(Mutant::CommitReportOfOtherEpoch))
                || (state.primary != Some(src) && !params.has(Mutant::CommitReportFromNonPrimary))
                || committed == state.committed
                || (committed < state.committed && !params.has(Mutant::CommitBoundaryMayDecrease))
            {
                return Effect::Wait;
            }
            let mut next = *state;
            next.committed = committed;
            next.committed_epoch = Some(epoch);
            o.send(src, Msg::CommitAck { epoch, committed });
            Effect::Update(next)
        }
        Msg::NeedsRebuild { epoch, replica } => {
            if (epoch != state.epoch && !params.has(Mutant::RebuildIntentOfOtherEpoch))
                || (state.primary != Some(src) && !params.has(Mutant::RebuildIntentFromNonPrimary))
            {
                return Effect::Wait;
            }
            let Some(endpoint) = state.endpoints.get(replica) else {
                return Effect::Wait;
            };
            o.send(
                src,
                Msg::Reassign {
                    epoch,
                    replica,
                    endpoint,
                    kind: SessionKind::Rebuild,
                },
            );
            Effect::Drop
        }
        Msg::Heartbeat { endpoint, .. } => {
            let mut next = *state;
            let cached = next.endpoints.get(src);
            let newer = Some(endpoint) > cached
                || (Some(endpoint) != cached && params.has(Mutant::EndpointCacheAcceptsOlder));
            let address = if newer {
                next.endpoints.set(src, Some(endpoint));
                AddressChange::Changed
            } else {
                AddressChange::Same
            };
            let Some(primary) = state.primary else {
                // No primary yet: the coming election's assignment will reach this node too.
                return Effect::Update(next);
            };
            o.send(
                src,
                Msg::Assign {
                    epoch: state.epoch,
                    primary,
                    committed: state.committed,
                    endpoints: next.endpoints,
                },
            );
            let rejoin = if params.has(Mutant::RejoinControlPlaneOnly) {
                RejoinAction::ControlPlaneOnly
            } else {
                params.policy.rejoin(address)
            };
            if (src != primary || params.has(Mutant::ReassignThePrimary))
                && rejoin == RejoinAction::Reassign
            {
                o.send(
                    primary,
                    Msg::Reassign {
                        epoch: state.epoch,
                        replica: src,
                        endpoint,
                        kind: SessionKind::CatchUp,
                    },
                );
            }
            Effect::Update(next)
        }
        _ => Effect::Wait,
    }
}

/// A9 (§2.8): may the coordinator promote a node that answered the new epoch with this lineage?
fn eligible(
    params: &Params,
    state: &CoordinatorState,
    recoverable: Lsn,
    at_committed: Option<Epoch>,
) -> bool {
    let rule = if params.has(Mutant::PromoteAnyResponder) {
        PromotionRule::AnyResponder
    } else if params.has(Mutant::PromoteWithoutLineageCheck) {
        PromotionRule::CommittedPrefixCounter
    } else {
        params.policy.promotion()
    };
    let holds_prefix =
        recoverable >= state.committed || params.has(Mutant::PromoteWithoutRecoverablePrefix);
    let holds_committed_entry =
        state.committed == Lsn::ZERO || at_committed == state.committed_epoch;
    match rule {
        PromotionRule::LineageFirst => holds_prefix && holds_committed_entry,
        PromotionRule::CommittedPrefixCounter => holds_prefix,
        PromotionRule::AnyResponder => true,
    }
}

/// Tells the elected node that it serves. The other nodes adopted the epoch from `NewEpoch`
/// and replicate from whoever serves at it; a node that missed the election learns its role
/// from the answer to its heartbeat.
fn assign_primary(state: &CoordinatorState, o: &mut CoordinatorOut) {
    let Some(primary) = state.primary else { return };
    o.send(
        primary,
        Msg::Assign {
            epoch: state.epoch,
            primary,
            committed: state.committed,
            endpoints: state.endpoints,
        },
    );
}

//! The sender registry: one sender per replica id, reconciled from assignments (§6.8).
//!
//! The registry owns the session-id counter, so ids are unique per engine and replay
//! deterministically. Senders live in a `BTreeMap`, so every iteration (reconcile, epoch
//! invalidation, status) runs in replica-id order.

use crate::budget::CatchUpBudget;
use crate::error::{OrchestrateError, SenderError};
use crate::observe::{EventKind, RecoveryEvent, RegistryStatusView, SenderView};
use crate::sender::{Sender, Supersession};
use crate::session::phase::InvalidateReason;
use crate::session::SessionIdCounter;
use crate::types::{Endpoint, Epoch, ReplicaId, ReplicaState, SessionId, SessionKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One replica of an assignment: identity and location.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplicaAssignment {
    /// The stable identity.
    pub replica: ReplicaId,
    /// The current location.
    pub endpoint: Endpoint,
}

/// What the control plane wants: the replica set at an epoch, and which replicas to recover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentIntent {
    /// The full replica set; senders not listed are stopped and removed. For a replica listed
    /// twice the last endpoint wins.
    pub replicas: Vec<ReplicaAssignment>,
    /// The assignment's epoch.
    pub epoch: Epoch,
    /// Replicas that get a recovery session, and of which kind (sorted by replica id).
    pub recovery_targets: BTreeMap<ReplicaId, SessionKind>,
}

/// Why an assignment target got no session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentFailure {
    /// The target is not in the replica set.
    UnknownReplica,
    /// The intent's epoch is older than the registry's (§7.16, `docs/engine.md` §22).
    StaleEpoch {
        /// The intent's epoch.
        intent: Epoch,
        /// The registry's epoch (its newest sender's), which the intent is older than.
        sender: Epoch,
    },
    /// The sender refused the session.
    Refused(SenderError),
}

impl fmt::Display for AssignmentFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignmentFailure::UnknownReplica => f.write_str("unknown_replica"),
            AssignmentFailure::StaleEpoch { .. } => f.write_str("stale_epoch"),
            AssignmentFailure::Refused(_) => f.write_str("refused"),
        }
    }
}

/// What an assignment did, each list sorted by replica id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentResult {
    /// Senders created.
    pub added: Vec<ReplicaId>,
    /// Senders stopped and removed.
    pub removed: Vec<ReplicaId>,
    /// Sessions attached where none was active.
    pub created: Vec<(ReplicaId, SessionId)>,
    /// Sessions that replaced an active one.
    pub superseded: Vec<(ReplicaId, Supersession)>,
    /// Targets that got no session.
    pub failed: Vec<(ReplicaId, AssignmentFailure)>,
}

/// How an assignment target got its session.
enum Granted {
    Created(SessionId),
    Superseded(Supersession),
}

/// The senders of one volume, keyed by replica id.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    /// Invariant: the key equals the sender's replica id; a sender removed by reconcile is
    /// stopped first (only `stop_all` leaves stopped senders registered).
    senders: BTreeMap<ReplicaId, Sender>,
    /// The engine's session-id counter.
    session_ids: SessionIdCounter,
    /// Events not yet drained into the recovery log, in the order they happened.
    outbox: Vec<RecoveryEvent>,
}

impl Registry {
    /// An empty registry whose first session id is [`SessionId::FIRST`].
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The sender of `replica`.
    pub fn sender(&self, replica: ReplicaId) -> Option<&Sender> {
        self.senders.get(&replica)
    }

    /// The sender of `replica`, for execution calls. Its events are collected by the next
    /// [`Registry::drain_events`].
    pub fn sender_mut(&mut self, replica: ReplicaId) -> Option<&mut Sender> {
        self.senders.get_mut(&replica)
    }

    /// Every sender, sorted by replica id.
    pub fn senders(&self) -> impl Iterator<Item = &Sender> + '_ {
        self.senders.values()
    }

    /// How many senders.
    pub fn len(&self) -> usize {
        self.senders.len()
    }

    /// True without senders.
    pub fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }

    /// How many senders are in sync.
    pub fn in_sync_count(&self) -> usize {
        self.senders
            .values()
            .filter(|sender| sender.state() == ReplicaState::InSync)
            .count()
    }

    /// The id the next session will get.
    pub fn next_session_id(&self) -> SessionId {
        self.session_ids.peek()
    }

    /// Read-only copies of every sender, sorted by replica id.
    pub fn views(&self) -> Vec<SenderView> {
        self.senders.values().map(Sender::view).collect()
    }

    /// A status summary.
    pub fn status(&self) -> RegistryStatusView {
        RegistryStatusView::from_senders(self.views())
    }

    /// Takes every event recorded since the last drain, in order.
    pub fn drain_events(&mut self) -> Vec<RecoveryEvent> {
        for sender in self.senders.values_mut() {
            let events = sender.drain_events();
            self.outbox.extend(events);
        }
        std::mem::take(&mut self.outbox)
    }

    fn collect(&mut self, replica: ReplicaId) {
        if let Some(sender) = self.senders.get_mut(&replica) {
            let events = sender.drain_events();
            self.outbox.extend(events);
        }
    }

    fn emit(&mut self, replica: ReplicaId, kind: EventKind) {
        self.outbox.push(RecoveryEvent {
            replica,
            session: None,
            kind,
        });
    }

    /// Makes the sender set equal `replicas` at `epoch`: unlisted senders are stopped and
    /// removed, listed ones get the endpoint and then the epoch (a lower epoch is ignored), new
    /// ones are created at `epoch`. Returns (added, removed), both sorted.
    pub fn reconcile(
        &mut self,
        replicas: &[ReplicaAssignment],
        epoch: Epoch,
    ) -> (Vec<ReplicaId>, Vec<ReplicaId>) {
        let wanted: BTreeMap<ReplicaId, &Endpoint> = replicas
            .iter()
            .map(|assignment| (assignment.replica, &assignment.endpoint))
            .collect();
        let removed: Vec<ReplicaId> = self
            .senders
            .keys()
            .filter(|id| !wanted.contains_key(id))
            .copied()
            .collect();
        for &replica in &removed {
            if let Some(mut sender) = self.senders.remove(&replica) {
                sender.stop();
                self.outbox.extend(sender.drain_events());
                self.emit(replica, EventKind::SenderRemoved);
            }
        }
        let mut added = Vec::new();
        for (&replica, &endpoint) in &wanted {
            match self.senders.get_mut(&replica) {
                Some(sender) => {
                    sender.update_endpoint(endpoint.clone());
                    sender.update_epoch(epoch);
                    self.collect(replica);
                }
                None => {
                    self.senders
                        .insert(replica, Sender::new(replica, endpoint.clone(), epoch));
                    self.emit(
                        replica,
                        EventKind::SenderAdded {
                            epoch,
                            endpoint: endpoint.version,
                        },
                    );
                    added.push(replica);
                }
            }
        }
        (added, removed)
    }

    /// Reconciles, then gives each recovery target a session of its kind (§6.8): unknown
    /// replica fails; otherwise attach, or supersede an active session (`assignment_intent`).
    /// Sessions from assignments carry no budget. An intent older than the registry's epoch
    /// changes nothing at all: every target fails `stale_epoch` and the topology is left alone
    /// (`docs/engine.md` §22; upstream still reconciles it).
    pub fn apply_assignment(&mut self, intent: &AssignmentIntent) -> AssignmentResult {
        if let Some(newest) = self.stale(intent.epoch) {
            return self.refuse_stale(intent, newest);
        }
        let (added, removed) = self.reconcile(&intent.replicas, intent.epoch);
        let mut result = AssignmentResult {
            added,
            removed,
            ..AssignmentResult::default()
        };
        for (&replica, &kind) in &intent.recovery_targets {
            let Some(sender) = self.senders.get_mut(&replica) else {
                result
                    .failed
                    .push((replica, AssignmentFailure::UnknownReplica));
                self.emit(
                    replica,
                    EventKind::AssignmentFailed(AssignmentFailure::UnknownReplica),
                );
                continue;
            };
            let granted =
                match sender.attach_session(&mut self.session_ids, intent.epoch, kind, None) {
                    Ok(session) => Ok(Granted::Created(session)),
                    Err(SenderError::SessionActive { .. }) => sender
                        .supersede_session(
                            &mut self.session_ids,
                            kind,
                            InvalidateReason::AssignmentIntent,
                            None,
                        )
                        .map(Granted::Superseded),
                    Err(error) => Err(error),
                };
            self.collect(replica);
            match granted {
                Ok(Granted::Created(session)) => result.created.push((replica, session)),
                Ok(Granted::Superseded(supersession)) => {
                    result.superseded.push((replica, supersession))
                }
                Err(error) => {
                    let failure = AssignmentFailure::Refused(error);
                    result.failed.push((replica, failure));
                    self.emit(replica, EventKind::AssignmentFailed(failure));
                }
            }
        }
        result
    }

    /// The registry's epoch (its newest sender's) when `epoch` is older than it: an assignment
    /// at `epoch` comes from an ended epoch.
    fn stale(&self, epoch: Epoch) -> Option<Epoch> {
        self.senders
            .values()
            .map(Sender::epoch)
            .max()
            .filter(|newest| epoch < *newest)
    }

    /// A stale assignment (§22): no sender is added, removed, moved or given a session; every
    /// target fails, `stale_epoch` when the registry has a sender for it.
    fn refuse_stale(&mut self, intent: &AssignmentIntent, newest: Epoch) -> AssignmentResult {
        let mut result = AssignmentResult::default();
        for &replica in intent.recovery_targets.keys() {
            let failure = if self.senders.contains_key(&replica) {
                AssignmentFailure::StaleEpoch {
                    intent: intent.epoch,
                    sender: newest,
                }
            } else {
                AssignmentFailure::UnknownReplica
            };
            result.failed.push((replica, failure));
            self.emit(replica, EventKind::AssignmentFailed(failure));
        }
        result
    }

    /// Attaches a session (optionally with a budget) to `replica` at its sender's epoch.
    pub fn attach_session(
        &mut self,
        replica: ReplicaId,
        kind: SessionKind,
        budget: Option<CatchUpBudget>,
    ) -> Result<SessionId, OrchestrateError> {
        let sender = self
            .senders
            .get_mut(&replica)
            .ok_or(OrchestrateError::UnknownReplica { replica })?;
        let epoch = sender.epoch();
        let attached = sender.attach_session(&mut self.session_ids, epoch, kind, budget);
        self.collect(replica);
        Ok(attached?)
    }

    /// Replaces `replica`'s active session (if any) with a new one.
    pub fn supersede_session(
        &mut self,
        replica: ReplicaId,
        kind: SessionKind,
        reason: InvalidateReason,
        budget: Option<CatchUpBudget>,
    ) -> Result<Supersession, OrchestrateError> {
        let sender = self
            .senders
            .get_mut(&replica)
            .ok_or(OrchestrateError::UnknownReplica { replica })?;
        let superseded = sender.supersede_session(&mut self.session_ids, kind, reason, budget);
        self.collect(replica);
        Ok(superseded?)
    }

    /// Fences every session older than `epoch` (`epoch_bump_to_<e>`); sender epochs are not
    /// changed. Returns the invalidated sessions, sorted by replica id.
    pub fn invalidate_epoch(&mut self, epoch: Epoch) -> Vec<(ReplicaId, SessionId)> {
        let mut invalidated = Vec::new();
        for (&replica, sender) in &mut self.senders {
            let Some(session) = sender.active_session() else {
                continue;
            };
            if session.epoch() >= epoch {
                continue;
            }
            let id = session.id();
            let fallback = sender.fence_fallback();
            if sender
                .invalidate_session(id, InvalidateReason::EpochBump { to: epoch }, fallback)
                .is_ok()
            {
                invalidated.push((replica, id));
            }
            let events = sender.drain_events();
            self.outbox.extend(events);
        }
        invalidated
    }

    /// Stops every sender (they stay registered, refusing every call).
    pub fn stop_all(&mut self) {
        for sender in self.senders.values_mut() {
            sender.stop();
            let events = sender.drain_events();
            self.outbox.extend(events);
        }
    }
}

#[cfg(test)]
mod tests;

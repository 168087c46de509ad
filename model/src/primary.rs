//! The primary: serves client writes, ships them to in-sync replicas, counts durable acks into
//! commit proposals, and owns every replica's recovery (handshake, catch-up, rebuild).
//!
//! Recovery, per replica (PROTOCOL.md §2.9–§2.12, FS1/FS2):
//! 1. A session starts (`Connecting`) when the primary takes office, when a barrier times out,
//!    or when the coordinator sends a recovery intent (`Reassign`). The primary probes the
//!    replica at the endpoint it knows.
//! 2. The handshake compares the replica's durable epoch history with the primary's log and
//!    finds the last matching LSN. Above it the replica's tail is divergent or ahead: the first
//!    catch-up chunk truncates it (T9). Equal logs are a zero gap (T2, by identity, not by
//!    counter: a same-length divergent tail is not a zero gap).
//! 3. A gap inside retained history is replayed in chunks toward a frozen target (the head at
//!    the round's start). Under V2 the range is reserved (pinned against recycling); a head that
//!    moved during the round starts another round, and a session over its round budget escalates
//!    to NeedsRebuild. A gap below retention needs a rebuild from the start.
//! 4. NeedsRebuild is reported to the coordinator, whose rebuild intent starts a rebuild from a
//!    snapshot at the checkpoint plus the retained tail, or from a full base (§6.5).

use crate::endpoints::EndpointCache;
use crate::msg::{Msg, RebuildSource, SessionKind};
use crate::node::{
    CatchUp, Disk, Effect, EscalationReason, NodeOut, NodeState, NodeTimer, PrimaryState, Role,
    Sender, SenderPhase,
};
use crate::policy::{CatchUpAttempt, CatchUpConvergence, Mutant, Recoverability};
use crate::system::SwbTimer;
use crate::wal::{Slots, Wal};
use crate::{coordinator_id, Params};
use stateright::actor::model_timeout;
use stateright::actor::Id;
use std::borrow::Cow;
use swb_engine::types::{Epoch, Lsn, SessionId};

/// The primary's mutable view while a handler runs: its disk and its primary state, each
/// borrowed until the handler first changes it. Most messages and timers a primary handles wait
/// or are dropped, and a copy of the node made for them would be thrown away.
struct Office<'a> {
    disk: Cow<'a, Disk>,
    primary: Cow<'a, PrimaryState>,
}

impl<'a> Office<'a> {
    fn open(node: &'a NodeState) -> Option<Office<'a>> {
        Some(Office {
            disk: Cow::Borrowed(&node.disk),
            primary: Cow::Borrowed(node.primary()?),
        })
    }

    /// The office of a primary whose sender to `replica` is in a phase `armed` accepts: the
    /// phase a timer was set for. `None` when the node is no primary, has no such sender, or
    /// the sender has left that phase since, so the timer is stale and its firing is dropped.
    fn open_for_timer(
        node: &'a NodeState,
        replica: Id,
        armed: impl Fn(&SenderPhase) -> bool,
    ) -> Option<Office<'a>> {
        let office = Office::open(node)?;
        let sender = office.sender(replica)?;
        armed(&sender.phase).then_some(office)
    }

    fn close(self) -> Effect<NodeState> {
        Effect::Update(NodeState {
            disk: self.disk.into_owned(),
            role: Role::Primary(self.primary.into_owned()),
        })
    }

    fn epoch(&self) -> Epoch {
        self.disk.epoch
    }

    fn head(&self) -> Lsn {
        self.disk.wal.received()
    }

    /// The node's log, to change.
    fn wal_mut(&mut self) -> &mut Wal {
        &mut self.disk.to_mut().wal
    }

    fn sender(&self, replica: Id) -> Option<Sender> {
        self.primary.sender(replica)
    }

    fn set_phase(&mut self, replica: Id, phase: SenderPhase) {
        if let Some(Some(sender)) = self.primary.to_mut().senders.get_mut(usize::from(replica)) {
            sender.phase = phase;
        }
    }

    fn new_session(&mut self) -> SessionId {
        let session = self.disk.next_session;
        self.disk.to_mut().next_session = session.next();
        session
    }

    /// Starts a handshake with `replica` at the endpoint the primary knows (step 1).
    fn start_session(&mut self, params: &Params, replica: Id, o: &mut NodeOut) {
        let last = self.sender(replica).and_then(|sender| match sender.phase {
            SenderPhase::InSync { admitted_by, .. } => admitted_by,
            _ => sender.session(),
        });
        let session = match last {
            Some(last) if params.has(Mutant::ReconnectReusesSession) => last,
            _ => self.new_session(),
        };
        self.probe(replica, session, o);
    }

    /// Opens `session` with `replica`: the sender connects and the replica is probed.
    fn probe(&mut self, replica: Id, session: SessionId, o: &mut NodeOut) {
        let Some(sender) = self.sender(replica) else {
            return;
        };
        self.set_phase(replica, SenderPhase::Connecting { session });
        o.cancel_timer(SwbTimer::Node(NodeTimer::BarrierTimeout(replica)));
        o.cancel_timer(SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)));
        o.send(
            replica,
            Msg::Probe {
                epoch: self.epoch(),
                endpoint: sender.endpoint,
                session,
            },
        );
    }

    /// Opens a new session with `replica` where the version allows catch-up; V1 degrades it.
    fn reconnect(&mut self, params: &Params, replica: Id, o: &mut NodeOut) {
        match params.policy.catch_up_attempt() {
            CatchUpAttempt::Allowed => self.start_session(params, replica, o),
            CatchUpAttempt::Degrade => self.set_phase(replica, SenderPhase::Degraded),
        }
    }

    /// Escalates `replica` to NeedsRebuild and asks the coordinator for a rebuild intent.
    fn escalate(&mut self, replica: Id, reason: EscalationReason, o: &mut NodeOut) {
        self.set_phase(replica, SenderPhase::NeedsRebuild { reason });
        o.cancel_timer(SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)));
        o.send(
            coordinator_id(),
            Msg::NeedsRebuild {
                epoch: self.epoch(),
                replica,
            },
        );
    }

    /// Sends the next chunk of `replica`'s catch-up, or reacts to a range no longer retained.
    fn send_chunk(&mut self, params: &Params, replica: Id, catch_up: CatchUp, o: &mut NodeOut) {
        let Some(sender) = self.sender(replica) else {
            return;
        };
        let after = catch_up.progress;
        let through =
            Lsn::new((after.get() + u64::from(params.catch_up_batch)).min(catch_up.target.get()));
        let wal = &self.disk.wal;
        if !wal.retains(after, through) {
            let recoverability = if params.has(Mutant::StallOnLostReservation) {
                Recoverability::RetentionWindow
            } else {
                params.policy.recoverability()
            };
            match recoverability {
                // V2: losing the reserved range aborts explicitly (A6).
                Recoverability::CheckAndReserve => {
                    self.escalate(replica, EscalationReason::ReservationLost, o)
                }
                // V1.5: no reservation contract, no clean abort: the session stalls.
                Recoverability::RetentionWindow => {}
            }
            return;
        }
        o.send(
            replica,
            Msg::CatchUp {
                epoch: self.epoch(),
                endpoint: sender.endpoint,
                session: catch_up.session,
                truncate: catch_up.truncate,
                after,
                through,
                entries: wal.slots().range(after, through),
            },
        );
    }

    /// Puts `replica` back in the live stream at `acked`, admitted by `session`.
    fn join_live_stream(&mut self, replica: Id, acked: Lsn, session: SessionId, o: &mut NodeOut) {
        self.set_phase(
            replica,
            SenderPhase::InSync {
                acked,
                barrier: None,
                admitted_by: Some(session),
            },
        );
        o.cancel_timer(SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)));
    }

    /// The flusher, run when the coordinator confirms a boundary: checkpoint at the confirmed
    /// committed LSN, then recycle the WAL through it, keeping the retention window behind the
    /// head and (V2) every range a recovery session has reserved.
    fn retire_history(&mut self, params: &Params) {
        let reserve = params.policy.recoverability() == Recoverability::CheckAndReserve
            && !params.has(Mutant::CatchUpWithoutReservation);
        let reserved_from = self
            .primary
            .senders
            .iter()
            .flatten()
            .filter_map(|sender| match sender.phase {
                SenderPhase::CatchingUp(catch_up) if reserve => Some(catch_up.progress),
                SenderPhase::Rebuilding { source, .. }
                    if reserve && !params.has(Mutant::RebuildWithoutReservation) =>
                {
                    Some(source.base())
                }
                _ => None,
            })
            .min();
        let committed = self.primary.committed;
        let window_floor = if params.has(Mutant::RecycleInsideRetentionWindow) {
            self.head()
        } else {
            Lsn::new(
                self.head()
                    .get()
                    .saturating_sub(u64::from(params.retention_entries)),
            )
        };
        let cap = if params.has(Mutant::RecycleBeyondCommitted) {
            self.head()
        } else {
            committed
        };
        let recycle_through = reserved_from
            .map_or(cap, |pin| pin.min(cap))
            .min(window_floor);
        self.wal_mut()
            .checkpoint_and_recycle(committed, recycle_through);
    }

    /// Either the replica reached the head (it joins the live stream), or the head moved during
    /// the round and a new round with a new frozen target starts, within the budget (A5).
    fn finish_round(
        &mut self,
        params: &Params,
        replica: Id,
        mut catch_up: CatchUp,
        o: &mut NodeOut,
    ) {
        if catch_up.progress == self.head() || params.has(Mutant::JoinBehindHead) {
            self.join_live_stream(replica, catch_up.progress, catch_up.session, o);
            self.try_commit(params, o);
            return;
        }
        catch_up.rounds = catch_up.rounds.saturating_add(1);
        let over_budget = catch_up.rounds > params.catch_up_rounds_max
            && !params.has(Mutant::IgnoreCatchUpBudget);
        if over_budget
            && params.policy.catch_up_convergence() == CatchUpConvergence::EscalateOnBudget
        {
            self.escalate(replica, EscalationReason::BudgetExceeded, o);
            return;
        }
        catch_up.target = self.head();
        self.set_phase(replica, SenderPhase::CatchingUp(catch_up));
        self.send_chunk(params, replica, catch_up, o);
    }

    /// Proposes the highest LSN durable on enough nodes (A8): the primary, plus every in-sync
    /// replica whose durable ack reaches it. Only acknowledged flushes count, never sends.
    fn try_commit(&mut self, params: &Params, o: &mut NodeOut) {
        let required = usize::from(params.durable_copies_required);
        let mut reachable = self.primary.proposed;
        let mut lsn = self.primary.proposed.next();
        while lsn <= self.head() {
            let replicas = self
                .primary
                .senders
                .iter()
                .flatten()
                .filter(|sender| match sender.phase {
                    SenderPhase::InSync {
                        barrier: Some(sent),
                        ..
                    } if params.has(Mutant::CommitCountsSentWrites) => sent >= lsn,
                    SenderPhase::InSync { acked, .. } => acked >= lsn,
                    _ => false,
                })
                .count();
            if 1 + replicas < required && !params.has(Mutant::CommitWithoutQuorum) {
                break;
            }
            reachable = lsn;
            lsn = lsn.next();
        }
        if reachable > self.primary.proposed {
            self.primary.to_mut().proposed = reachable;
            o.send(
                coordinator_id(),
                Msg::CommitReport {
                    epoch: self.epoch(),
                    committed: reachable,
                },
            );
        }
    }
}

/// Takes office at the node's epoch: the log is cut at the first entry above the committed
/// boundary C written under an older epoch (an uncommitted tail of an ended epoch must never
/// become committed, A2), and every replica gets a session.
///
/// C is the newer of the assignment's and the node's own checkpoint (D37): an assignment can be
/// stale (a restarted node that moved while joining has two in flight, and may take office from
/// the older after a second restart), while a checkpoint is only ever taken at a boundary the
/// coordinator confirmed (D12). Taking office at the stale C cut a full-base rebuild below
/// history the node had already recycled (A6; found by the three-fault deep profile).
///
/// Entries of the current epoch above C are kept: only this node writes at this epoch, so they
/// are its own, written before it restarted within the epoch, and a commit report for them may
/// still be in flight (S18 without an epoch bump). Truncating them would let the coordinator
/// record a boundary the primary no longer holds.
pub fn become_primary(
    params: &Params,
    node: &NodeState,
    committed: Lsn,
    endpoints: &EndpointCache,
    me: Id,
    o: &mut NodeOut,
) -> NodeState {
    let mut next = *node;
    let committed = if params.has(Mutant::TakeOfficeAtAssignedCommitted) {
        committed
    } else {
        committed.max(node.disk.wal.checkpoint())
    };
    if !params.has(Mutant::KeepUncommittedTailOnPromotion) {
        let epoch = next.disk.epoch;
        let wal = &next.disk.wal;
        let older_tail = crate::wal::lsns(committed, wal.received()).find(|lsn| {
            wal.epoch_at(*lsn) != Some(epoch) || params.has(Mutant::TruncateOwnEpochTailOnPromotion)
        });
        if let Some(first_older) = older_tail {
            // Cannot fail: only a primary checkpoints, at a committed boundary ≤ C, and a rebuilt
            // base is a primary's checkpoint. A refused cut would leave the log as it is.
            let _ = next
                .disk
                .wal
                .truncate_after(first_older.prev().unwrap_or(Lsn::ZERO));
        }
    }
    let head = next.disk.wal.received();
    next.disk.wal.flush_through(head);
    let senders = std::array::from_fn(|index| {
        let peer = Id::from(index);
        let endpoint = endpoints.get(peer)?;
        (params.is_node(peer) && peer != me).then_some(Sender {
            endpoint,
            phase: SenderPhase::Lagging,
        })
    });
    let mut office = Office {
        disk: Cow::Owned(next.disk),
        primary: Cow::Owned(PrimaryState {
            senders,
            proposed: committed.min(head),
            committed: committed.min(head),
        }),
    };
    // One session id for the whole opening round. Numbering the replicas' sessions one by one
    // would follow their names, and the same state with two replicas renamed would then step
    // to states that are not renamings of each other: replicas would not be interchangeable
    // and symmetry reduction would be unsound. A session id only has to grow per replica (the
    // replica fences by it, D21), and each sender matches replies from its own replica.
    let session = office.new_session();
    for replica in params.nodes().filter(|peer| *peer != me) {
        office.probe(replica, session, o);
    }
    match office.close() {
        Effect::Update(node) => node,
        Effect::Wait | Effect::Drop => unreachable!("close always updates"),
    }
}

/// A client write: the next LSN, durable on the primary at once, shipped to in-sync replicas.
pub fn on_client_write(params: &Params, node: &NodeState, o: &mut NodeOut) -> Effect<NodeState> {
    let Some(mut office) = Office::open(node) else {
        return Effect::Wait;
    };
    let head = office.head();
    if head.get() >= crate::cfg::WAL_CAPACITY as u64 {
        return Effect::Wait;
    }
    let lsn = head.next();
    let epoch = office.epoch();
    let previous = office.disk.wal.epoch_at(head);
    let appended = office.wal_mut().append(lsn, epoch, previous);
    assert!(appended, "the primary's own append at {lsn} must succeed");
    office.wal_mut().flush_through(lsn);
    for replica in params.nodes() {
        let Some(Sender {
            endpoint,
            phase:
                SenderPhase::InSync {
                    acked,
                    barrier,
                    admitted_by,
                },
        }) = office.sender(replica)
        else {
            if let Some(sender) = office.sender(replica) {
                if params.has(Mutant::ShipWritesToAllSenders) {
                    o.send(
                        replica,
                        Msg::Write {
                            epoch,
                            endpoint: sender.endpoint,
                            lsn,
                            previous,
                            admitted_by: sender.session(),
                        },
                    );
                }
            }
            continue;
        };
        o.send(
            replica,
            Msg::Write {
                epoch,
                endpoint,
                lsn,
                previous,
                admitted_by,
            },
        );
        if barrier.is_none() {
            o.set_timer(
                SwbTimer::Node(NodeTimer::BarrierTimeout(replica)),
                model_timeout(),
            );
        }
        office.set_phase(
            replica,
            SenderPhase::InSync {
                acked,
                barrier: Some(lsn),
                admitted_by,
            },
        );
    }
    office.try_commit(params, o);
    office.close()
}

/// A barrier timed out: the replica leaves the live stream (its late ack will not count, A11)
/// and, where the version allows catch-up, a new session starts at once.
pub fn on_barrier_timeout(
    params: &Params,
    node: &NodeState,
    replica: Id,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    let barrier_pending = |phase: &SenderPhase| {
        matches!(
            phase,
            SenderPhase::InSync {
                barrier: Some(_),
                ..
            }
        )
    };
    let armed = |phase: &SenderPhase| {
        barrier_pending(phase) || params.has(Mutant::BarrierTimeoutInAnyPhase)
    };
    let Some(mut office) = Office::open_for_timer(node, replica, armed) else {
        return Effect::Drop;
    };
    office.reconnect(params, replica, o);
    office.close()
}

/// A catch-up timed out: V2 escalates to NeedsRebuild; V1.5 keeps chasing.
pub fn on_catch_up_timeout(
    params: &Params,
    node: &NodeState,
    replica: Id,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    let catching_up = |phase: &SenderPhase| {
        matches!(phase, SenderPhase::CatchingUp(_)) || params.has(Mutant::CatchUpTimeoutInAnyPhase)
    };
    let Some(mut office) = Office::open_for_timer(node, replica, catching_up) else {
        return Effect::Drop;
    };
    let convergence = if params.has(Mutant::IgnoreCatchUpTimeout) {
        CatchUpConvergence::ChaseWithoutBudget
    } else {
        params.policy.catch_up_convergence()
    };
    match convergence {
        CatchUpConvergence::EscalateOnBudget => {
            office.escalate(replica, EscalationReason::CatchUpTimeout, o)
        }
        CatchUpConvergence::ChaseWithoutBudget => return Effect::Drop,
    }
    office.close()
}

/// A message to the primary. The caller has fenced epochs: `msg.epoch() == disk.epoch`.
pub fn on_msg(
    params: &Params,
    node: &NodeState,
    src: Id,
    msg: &Msg,
    o: &mut NodeOut,
) -> Effect<NodeState> {
    let Some(mut office) = Office::open(node) else {
        return Effect::Wait;
    };
    match *msg {
        Msg::BarrierAck {
            through,
            admitted_by,
            ..
        } => {
            let Some(sender) = office.sender(src) else {
                return Effect::Wait;
            };
            match sender.phase {
                SenderPhase::InSync {
                    acked,
                    barrier: Some(outstanding),
                    admitted_by: tag,
                } if (through > acked || params.has(Mutant::BarrierAckMayRegress))
                    && (through <= outstanding
                        || params.has(Mutant::BarrierAckBeyondOutstanding))
                    && (tag == admitted_by || params.has(Mutant::BarrierAckOfOtherAdmission)) =>
                {
                    // The barrier is answered once the replica acknowledged the newest write.
                    let barrier = (through < outstanding).then_some(outstanding);
                    office.set_phase(
                        src,
                        SenderPhase::InSync {
                            acked: through,
                            barrier,
                            admitted_by: tag,
                        },
                    );
                    if barrier.is_none() {
                        o.cancel_timer(SwbTimer::Node(NodeTimer::BarrierTimeout(src)));
                    }
                }
                // A late ack of an expired barrier never counts (A11), unless mutated.
                SenderPhase::Connecting { .. } | SenderPhase::CatchingUp(_)
                    if params.has(Mutant::CountLateBarrierAck) =>
                {
                    office.set_phase(
                        src,
                        SenderPhase::InSync {
                            acked: through,
                            barrier: None,
                            admitted_by,
                        },
                    );
                }
                _ => return Effect::Wait,
            }
            office.try_commit(params, o);
            office.close()
        }
        Msg::ProbeReply {
            session,
            flushed,
            entries,
            ..
        } => {
            let Some(sender) = office.sender(src) else {
                return Effect::Wait;
            };
            let session = match sender.phase {
                SenderPhase::Connecting { session: current }
                    if params.has(Mutant::ProbeReplyOfOtherSession) =>
                {
                    current
                }
                SenderPhase::Connecting { session: current } if current == session => session,
                _ => return Effect::Wait,
            };
            handshake(params, &mut office, src, session, flushed, &entries, o);
            office.close()
        }
        Msg::CatchUpAck {
            session, through, ..
        } => {
            let Some(sender) = office.sender(src) else {
                return Effect::Wait;
            };
            let SenderPhase::CatchingUp(mut catch_up) = sender.phase else {
                return Effect::Wait;
            };
            // The first chunk may be empty (a truncation only): its ack does not advance progress.
            let advances = through > catch_up.progress
                || (catch_up.truncate && through == catch_up.progress)
                || params.has(Mutant::CatchUpAckMayRegress);
            if (catch_up.session != session && !params.has(Mutant::CatchUpAckOfOtherSession))
                || !advances
                || (through > catch_up.target && !params.has(Mutant::CatchUpAckBeyondTarget))
            {
                return Effect::Wait;
            }
            catch_up.progress = through;
            catch_up.truncate = false;
            if params.has(Mutant::CompleteAtFirstChunk) {
                catch_up.progress = catch_up.target;
            }
            if catch_up.progress < catch_up.target {
                office.set_phase(src, SenderPhase::CatchingUp(catch_up));
                office.send_chunk(params, src, catch_up, o);
            } else {
                office.finish_round(params, src, catch_up, o);
            }
            office.close()
        }
        Msg::RebuildAck {
            session, through, ..
        } => {
            let Some(sender) = office.sender(src) else {
                return Effect::Wait;
            };
            let SenderPhase::Rebuilding {
                session: current,
                target,
                ..
            } = sender.phase
            else {
                return Effect::Wait;
            };
            if (current != session && !params.has(Mutant::RebuildAckOfOtherSession))
                || (through != target && !params.has(Mutant::RebuildAckShortOfTarget))
            {
                return Effect::Wait;
            }
            // The rebuilt replica continues like a catch-up that reached its first target.
            let catch_up = CatchUp {
                session,
                progress: through,
                target: through,
                rounds: 1,
                truncate: false,
            };
            office.finish_round(params, src, catch_up, o);
            office.close()
        }
        Msg::CommitAck { committed, .. } if src == coordinator_id() => {
            if committed == office.primary.committed
                || (committed < office.primary.committed && !params.has(Mutant::CommitAckMayLower))
            {
                return Effect::Wait;
            }
            office.primary.to_mut().committed = committed;
            // A primary restarted within its epoch may learn of a boundary it proposed before
            // the restart. Invariant: committed ≤ proposed.
            let primary = office.primary.to_mut();
            primary.proposed = primary.proposed.max(committed);
            office.retire_history(params);
            office.close()
        }
        Msg::Reassign {
            replica,
            endpoint,
            kind,
            ..
        } if src == coordinator_id() => {
            let Some(sender) = office.sender(replica) else {
                return Effect::Wait;
            };
            // A node's endpoint version only grows, so an intent naming an older one than the
            // sender already addresses crossed a newer intent in the network (two moves, their
            // heartbeats or the coordinator's intents reordered). Following it would address the
            // replica where it no longer listens, and nothing would correct that on a reliable
            // network (D38: an invalid end state the two-fault main job found).
            if endpoint < sender.endpoint && !params.has(Mutant::FollowStaleRecoveryIntent) {
                return Effect::Wait;
            }
            // An endpoint change invalidates any session at the old endpoint (A10, T8): the
            // sender stays (identity), only its address and session change.
            if let Some(Some(slot)) = office
                .primary
                .to_mut()
                .senders
                .get_mut(usize::from(replica))
            {
                if !params.has(Mutant::ReassignKeepsOldEndpoint) {
                    slot.endpoint = endpoint;
                }
            }
            let keeps_session = params.has(Mutant::EndpointChangeKeepsSession)
                && sender.endpoint != endpoint
                && sender.session().is_some();
            match kind {
                SessionKind::CatchUp if keeps_session => {}
                SessionKind::CatchUp => office.reconnect(params, replica, o),
                SessionKind::Rebuild => {
                    if !matches!(sender.phase, SenderPhase::NeedsRebuild { .. })
                        && !params.has(Mutant::RebuildWithoutEscalation)
                    {
                        return Effect::Wait;
                    }
                    start_rebuild(params, &mut office, replica, o);
                }
            }
            office.close()
        }
        _ => Effect::Wait,
    }
}

/// Step 2: classify the replica from its durable epoch history (PROTOCOL.md §6.4, T2, T9, T10).
fn handshake(
    params: &Params,
    office: &mut Office,
    replica: Id,
    session: SessionId,
    flushed: Lsn,
    entries: &Slots,
    o: &mut NodeOut,
) {
    let head = office.head();
    let comparable = flushed.min(head);
    let matched = if params.has(Mutant::HandshakeComparesLsnOnly) {
        comparable
    } else {
        office.disk.wal.slots().common_prefix(entries, comparable)
    };
    let truncate = flushed > matched && !params.has(Mutant::HandshakeNeverTruncates);
    if (!truncate || params.has(Mutant::ZeroGapIgnoresAheadTail)) && matched == head {
        office.join_live_stream(replica, head, session, o);
        office.try_commit(params, o);
        return;
    }
    if params.policy.catch_up_attempt() == CatchUpAttempt::Degrade {
        office.set_phase(replica, SenderPhase::Degraded);
        return;
    }
    if !office.disk.wal.retains(matched, head) && !params.has(Mutant::CatchUpBeyondRetention) {
        office.escalate(replica, EscalationReason::GapBeyondRetention, o);
        return;
    }
    let catch_up = CatchUp {
        session,
        progress: matched,
        target: head,
        rounds: 1,
        truncate,
    };
    office.set_phase(replica, SenderPhase::CatchingUp(catch_up));
    o.set_timer(
        SwbTimer::Node(NodeTimer::CatchUpTimeout(replica)),
        model_timeout(),
    );
    if matched == head {
        // Only the divergent tail is wrong: one empty chunk carries the truncation.
        o.send(
            replica,
            Msg::CatchUp {
                epoch: office.epoch(),
                endpoint: office
                    .sender(replica)
                    .map_or(crate::node::FIRST_ENDPOINT, |s| s.endpoint),
                session,
                truncate: true,
                after: matched,
                through: matched,
                entries: Slots::default(),
            },
        );
        return;
    }
    office.send_chunk(params, replica, catch_up, o);
}

/// Step 4: choose the rebuild source by the retained-history rule and ship base + tail (§6.5):
/// no committed data yet → full base; a checkpoint (always trusted here) → snapshot + tail;
/// otherwise a full base. The target is the head, frozen for the session.
fn start_rebuild(params: &Params, office: &mut Office, replica: Id, o: &mut NodeOut) {
    let Some(sender) = office.sender(replica) else {
        return;
    };
    let wal = office.disk.wal;
    let head = wal.received();
    let checkpoint = wal.checkpoint();
    let committed = office.primary.committed;
    let source = if committed == Lsn::ZERO || checkpoint == Lsn::ZERO {
        RebuildSource::FullBase { committed }
    } else if params.has(Mutant::SnapshotFromCurrentLog) {
        RebuildSource::SnapshotTail { checkpoint: head }
    } else {
        RebuildSource::SnapshotTail { checkpoint }
    };
    let session = match sender.session() {
        Some(current) if params.has(Mutant::RebuildReusesSession) => current,
        _ => office.new_session(),
    };
    office.set_phase(
        replica,
        SenderPhase::Rebuilding {
            session,
            source,
            target: head,
        },
    );
    o.send(
        replica,
        Msg::Rebuild {
            epoch: office.epoch(),
            endpoint: sender.endpoint,
            session,
            source,
            through: head,
            entries: wal.slots().range(Lsn::ZERO, head),
        },
    );
}

//! The one message enum of the model, grouped by who sends it, requests before their replies.
//!
//! Every message is stamped with the sender's epoch, so every receiver can fence stale traffic
//! (A3). Every message from the primary to a replica also names the endpoint version it was
//! addressed to: a replica that has since moved to a new address never receives it (A10).

use crate::wal::Slots;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use stateright::{Rewrite, RewritePlan};
use swb_engine::types::{EndpointVersion, Epoch, Lsn, SessionId};

/// Which base a rebuild installs (PROTOCOL.md §2.10, §6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RebuildSource {
    /// The primary's trusted checkpoint at `checkpoint`, then the retained WAL tail after it.
    SnapshotTail {
        /// The checkpoint's LSN: the base is an exact cut at it.
        checkpoint: Lsn,
    },
    /// A fresh copy of the primary's state at its committed boundary (upstream pins the full
    /// base at `CommittedLSN`), then the tail after it to the rebuild's target.
    FullBase {
        /// The committed boundary the base is cut at.
        committed: Lsn,
    },
}

impl RebuildSource {
    /// The LSN the base image is an exact cut at; the tail resumes right after it.
    pub const fn base(self) -> Lsn {
        match self {
            RebuildSource::SnapshotTail { checkpoint } => checkpoint,
            RebuildSource::FullBase { committed } => committed,
        }
    }
}

/// What the coordinator asks the primary to start for one replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SessionKind {
    /// A handshake followed by catch-up, truncation, or nothing (zero gap).
    CatchUp,
    /// A rebuild from a base image.
    Rebuild,
}

/// A message between actors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Msg {
    // ---- coordinator → storage nodes ---------------------------------------------------------
    /// A new epoch began: adopt it (which fences the old primary's traffic) and report lineage.
    NewEpoch {
        /// The new epoch.
        epoch: Epoch,
        /// The committed boundary C at the epoch change.
        committed: Lsn,
    },
    /// The role assignment of an epoch: `primary` serves, everyone else replicates from it.
    Assign {
        /// The epoch of the assignment.
        epoch: Epoch,
        /// The node that serves.
        primary: Id,
        /// The committed boundary C: a new primary truncates its log to it.
        committed: Lsn,
        /// The coordinator's endpoint cache, by actor index (the coordinator's own slot unused).
        endpoints: crate::endpoints::EndpointCache,
    },
    /// A recovery intent for one replica, at the endpoint the coordinator knows.
    Reassign {
        /// The epoch of the intent.
        epoch: Epoch,
        /// The replica to recover.
        replica: Id,
        /// Where the replica now is.
        endpoint: EndpointVersion,
        /// What to start.
        kind: SessionKind,
    },
    /// The coordinator recorded `committed` as the epoch's committed boundary.
    CommitAck {
        /// The epoch.
        epoch: Epoch,
        /// The new committed boundary.
        committed: Lsn,
    },

    // ---- storage nodes → coordinator ---------------------------------------------------------
    /// Reply to `NewEpoch`: the node's lineage, for the eligibility check.
    EpochAck {
        /// The epoch adopted.
        epoch: Epoch,
        /// The node's recoverable LSN.
        recoverable: Lsn,
        /// The writer epoch of the node's entry at the committed boundary, if it holds one.
        at_committed: Option<Epoch>,
    },
    /// A node (re)started or moved; it reports where it is and asks for its role.
    Heartbeat {
        /// The node's durable epoch.
        epoch: Epoch,
        /// The node's endpoint version.
        endpoint: EndpointVersion,
    },
    /// The primary proposes a new committed boundary.
    CommitReport {
        /// The primary's epoch.
        epoch: Epoch,
        /// The proposed committed boundary.
        committed: Lsn,
    },
    /// The primary gave up recovering `replica` by catch-up and asks for a rebuild.
    NeedsRebuild {
        /// The primary's epoch.
        epoch: Epoch,
        /// The replica.
        replica: Id,
    },

    // ---- primary → replica -------------------------------------------------------------------
    /// One live write, with its barrier: the replica appends it, makes it durable, and
    /// acknowledges it (distsim sends a barrier with every write; here they travel together).
    Write {
        /// The primary's epoch.
        epoch: Epoch,
        /// The endpoint version this was addressed to.
        endpoint: EndpointVersion,
        /// The write's LSN.
        lsn: Lsn,
        /// The writer epoch of the entry before it (the log-matching check).
        previous: Option<Epoch>,
        /// The session that admitted the replica to the live stream (echoed by the ack).
        admitted_by: Option<SessionId>,
    },
    /// Opens a recovery session: report your durable log.
    Probe {
        /// The primary's epoch.
        epoch: Epoch,
        /// The endpoint version this was addressed to.
        endpoint: EndpointVersion,
        /// The session.
        session: SessionId,
    },
    /// One catch-up chunk: entries `(after, through]`, after truncating above `after` when
    /// `truncate` says so.
    CatchUp {
        /// The primary's epoch.
        epoch: Epoch,
        /// The endpoint version this was addressed to.
        endpoint: EndpointVersion,
        /// The session.
        session: SessionId,
        /// True on the first chunk of a session whose replica holds a divergent or ahead tail.
        truncate: bool,
        /// The replica's last matching LSN (excluded).
        after: Lsn,
        /// The chunk's last LSN (included).
        through: Lsn,
        /// The entries of `(after, through]`.
        entries: Slots,
    },
    /// A rebuild: a base image and the tail after it, frozen at `through`.
    Rebuild {
        /// The primary's epoch.
        epoch: Epoch,
        /// The endpoint version this was addressed to.
        endpoint: EndpointVersion,
        /// The session.
        session: SessionId,
        /// The base chosen.
        source: RebuildSource,
        /// The LSN the rebuild reaches.
        through: Lsn,
        /// The base image `(0, base]` and the tail `(base, through]`.
        entries: Slots,
    },

    // ---- replica → primary -------------------------------------------------------------------
    /// The replica made `(0, through]` durable.
    BarrierAck {
        /// The replica's epoch.
        epoch: Epoch,
        /// The LSN made durable.
        through: Lsn,
        /// The barrier's admission tag, echoed.
        admitted_by: Option<SessionId>,
    },
    /// The replica's durable log, for the handshake.
    ProbeReply {
        /// The replica's epoch.
        epoch: Epoch,
        /// The session probed.
        session: SessionId,
        /// The replica's flushed LSN.
        flushed: Lsn,
        /// The replica's durable entries (its epoch history).
        entries: Slots,
    },
    /// The replica applied a catch-up chunk through `through`, durably.
    CatchUpAck {
        /// The replica's epoch.
        epoch: Epoch,
        /// The session.
        session: SessionId,
        /// The LSN reached.
        through: Lsn,
    },
    /// The replica installed a rebuild through `through`, durably.
    RebuildAck {
        /// The replica's epoch.
        epoch: Epoch,
        /// The session.
        session: SessionId,
        /// The LSN reached.
        through: Lsn,
    },
}

impl Msg {
    /// The epoch the sender stamped on this message.
    pub fn epoch(&self) -> Epoch {
        match self {
            Msg::NewEpoch { epoch, .. }
            | Msg::Assign { epoch, .. }
            | Msg::Reassign { epoch, .. }
            | Msg::CommitAck { epoch, .. }
            | Msg::EpochAck { epoch, .. }
            | Msg::Heartbeat { epoch, .. }
            | Msg::CommitReport { epoch, .. }
            | Msg::NeedsRebuild { epoch, .. }
            | Msg::Write { epoch, .. }
            | Msg::Probe { epoch, .. }
            | Msg::CatchUp { epoch, .. }
            | Msg::Rebuild { epoch, .. }
            | Msg::BarrierAck { epoch, .. }
            | Msg::ProbeReply { epoch, .. }
            | Msg::CatchUpAck { epoch, .. }
            | Msg::RebuildAck { epoch, .. } => *epoch,
        }
    }

    /// The endpoint version a primary→replica message was addressed to.
    pub fn addressed_endpoint(&self) -> Option<EndpointVersion> {
        match self {
            Msg::Write { endpoint, .. }
            | Msg::Probe { endpoint, .. }
            | Msg::CatchUp { endpoint, .. }
            | Msg::Rebuild { endpoint, .. } => Some(*endpoint),
            _ => None,
        }
    }

    /// True for the coordinator's epoch-authority messages, which raise a receiver's epoch rather
    /// than being fenced by it.
    pub fn is_epoch_authority(&self) -> bool {
        matches!(self, Msg::NewEpoch { .. } | Msg::Assign { .. })
    }

    /// True for the messages a receiver at a newer epoch must fence (A3). Not the epoch
    /// authority's own messages, and not a heartbeat: a node that restarted (or moved) while an
    /// epoch bump was under way reports its durable, older epoch, and the coordinator must still
    /// learn its address to tell it the new epoch. A heartbeat changes only the coordinator's
    /// endpoint cache, never lineage, C, a WAL or an ack set (decision D29).
    pub fn is_epoch_fenced(&self) -> bool {
        !self.is_epoch_authority() && !matches!(self, Msg::Heartbeat { .. })
    }

    /// The variant's name, for coverage tables and traces.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::NewEpoch { .. } => "new_epoch",
            Msg::Assign { .. } => "assign",
            Msg::Reassign { .. } => "reassign",
            Msg::CommitAck { .. } => "commit_ack",
            Msg::EpochAck { .. } => "epoch_ack",
            Msg::Heartbeat { .. } => "heartbeat",
            Msg::CommitReport { .. } => "commit_report",
            Msg::NeedsRebuild { .. } => "needs_rebuild",
            Msg::Write { .. } => "write",
            Msg::Probe { .. } => "probe",
            Msg::CatchUp { .. } => "catch_up",
            Msg::Rebuild { .. } => "rebuild",
            Msg::BarrierAck { .. } => "barrier_ack",
            Msg::ProbeReply { .. } => "probe_reply",
            Msg::CatchUpAck { .. } => "catch_up_ack",
            Msg::RebuildAck { .. } => "rebuild_ack",
        }
    }
}

impl Msg {
    /// The message with every actor id it names renamed by `plan`, or `None` when it names none
    /// (it is then its own renaming). The digest hashes such a message in place, without a copy.
    pub fn renamed<S>(&self, plan: &RewritePlan<Id, S>) -> Option<Msg> {
        match self {
            Msg::Assign {
                epoch,
                primary,
                committed,
                endpoints,
            } => Some(Msg::Assign {
                epoch: *epoch,
                primary: plan.rewrite(primary),
                committed: *committed,
                endpoints: endpoints.rewrite(plan),
            }),
            Msg::Reassign {
                epoch,
                replica,
                endpoint,
                kind,
            } => Some(Msg::Reassign {
                epoch: *epoch,
                replica: plan.rewrite(replica),
                endpoint: *endpoint,
                kind: *kind,
            }),
            Msg::NeedsRebuild { epoch, replica } => Some(Msg::NeedsRebuild {
                epoch: *epoch,
                replica: plan.rewrite(replica),
            }),
            _ => None,
        }
    }
}

impl Rewrite<Id> for Msg {
    /// Symmetry: replicas are interchangeable, so every actor id a message names is renamed.
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        self.renamed(plan).unwrap_or(*self)
    }
}

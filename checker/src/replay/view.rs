//! The shared abstract state of one replica: what the model's primary and the engine each say
//! about it, in the same nouns, so a step can be compared field by field and digested.
//!
//! One [`ReplicaView`] per (serving primary, replica). The model side reads the primary's
//! per-replica `Sender`; the engine side reads the `swb_engine` sender of the same replica id in
//! the registry the replay interpreter keeps for that primary incarnation.
//!
//! # Mapping table: model sender phase → engine observable state
//!
//! | model `SenderPhase`          | state           | session (kind, phase)  | recovered_to | target   | truncation         | rebuild                    |
//! |------------------------------|-----------------|------------------------|--------------|----------|--------------------|----------------------------|
//! | `InSync { .. }`              | `in_sync`       | none                   | –            | –        | –                  | –                          |
//! | `Lagging`, `Degraded` (V1)   | `disconnected`  | none                   | –            | –        | –                  | –                          |
//! | `Connecting { session }`     | `connecting`    | catch-up, `connecting` | –            | –        | –                  | –                          |
//! | `CatchingUp(c)`              | `catching_up`   | catch-up, `catch_up`   | `c.progress` | `c.target` | `c.progress` while `c.truncate` | –               |
//! | `NeedsRebuild { .. }`        | `needs_rebuild` | none                   | –            | –        | –                  | –                          |
//! | `Rebuilding { source, target }` | `rebuilding` | rebuild, `handshake`  | –            | `target` | –                  | source, phase `transfer`   |
//!
//! Why these rows:
//! - "catch-up" is the engine's bootstrap / catch-up / reassign kinds together: the engine treats
//!   them alike (§6.1), so the kind compared is the class, not the name.
//! - The engine's catch-up target is the frozen target set when catch-up begins; the model's is
//!   the frozen target of the current round. A truncation still owed is the point the model's
//!   first chunk cuts at (its progress); the engine's `Truncation::Required { to }`.
//! - A rebuild session stays in phase `handshake` for its whole life (§6.2) and its transfer
//!   begins in the same step the model ships the rebuild (one message carries base and tail), so
//!   a model `Rebuilding` is an engine rebuild in phase `transfer`. A model full base names the
//!   committed cut; the engine's full base is always cut at its target, so only the kind is
//!   compared.
//! - The engine's acknowledged position of an in-sync replica (the model's `acked`) belongs to
//!   the live stream, which the engine does not own: it is not compared.

use std::collections::BTreeMap;
use std::fmt;
use swb_engine::observe::SenderView;
use swb_engine::rebuild::{RebuildPhase, RebuildState};
use swb_engine::session::phase::SessionPhase;
use swb_engine::session::{SessionWork, Truncation};
use swb_engine::types::{EndpointVersion, Epoch, Lsn, ReplicaState};
use swb_model::msg::RebuildSource as ModelRebuildSource;
use swb_model::node::{Sender as ModelSender, SenderPhase};

/// Which replica of which primary a view describes: (primary node index, replica node index).
pub type ViewKey = (u8, u8);

/// Every replica view of one step, sorted by key.
pub type StepView = BTreeMap<ViewKey, ReplicaView>;

/// The kind of an active session, as a class (§6.1: only rebuild behaves differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionClass {
    /// Bootstrap, catch-up or reassign.
    CatchUp,
    /// Rebuild.
    Rebuild,
}

/// The phase of an active session (ended sessions are not part of the view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActivePhase {
    /// Attached, nothing done yet.
    Init,
    /// Connecting (the model's probe is in flight).
    Connecting,
    /// Handshake recorded (rebuild sessions stay here).
    Handshake,
    /// Catch-up replay toward the frozen target.
    CatchUp,
}

/// An active session, as both sides see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionSummary {
    /// Catch-up class or rebuild.
    pub class: SessionClass,
    /// Where the session is.
    pub phase: ActivePhase,
}

/// The base a rebuild installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceSummary {
    /// A snapshot at `snapshot`, then the WAL tail after it.
    SnapshotTail {
        /// The snapshot's LSN.
        snapshot: Lsn,
    },
    /// A full base image.
    FullBase,
}

/// A rebuild in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RebuildSummary {
    /// The base chosen.
    pub source: SourceSummary,
    /// The rebuild phase.
    pub phase: RebuildPhase,
}

/// One replica as its primary sees it. The fields are the ones compared after every step, in
/// the order they are compared and encoded (see `digest.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplicaView {
    /// The replica's recovery state.
    pub state: ReplicaState,
    /// The active session, if any.
    pub session: Option<SessionSummary>,
    /// The epoch the sender works in (the primary's epoch).
    pub epoch: Epoch,
    /// The endpoint version the primary addresses the replica at.
    pub endpoint: EndpointVersion,
    /// How far an active catch-up has brought the replica.
    pub recovered_to: Option<Lsn>,
    /// The frozen target of an active catch-up or rebuild.
    pub target: Option<Lsn>,
    /// The truncation point a catch-up still owes.
    pub truncation: Option<Lsn>,
    /// An active rebuild.
    pub rebuild: Option<RebuildSummary>,
}

/// A compared field: its stable name and each side's rendering.
pub struct FieldValues {
    /// The field's name, as reported in a divergence.
    pub field: &'static str,
    /// The value rendered.
    pub value: String,
}

impl ReplicaView {
    /// The fields in comparison order, each rendered.
    pub fn fields(&self) -> [FieldValues; 8] {
        [
            FieldValues {
                field: "state",
                value: self.state.name().to_string(),
            },
            FieldValues {
                field: "session",
                value: render_option(self.session),
            },
            FieldValues {
                field: "epoch",
                value: self.epoch.to_string(),
            },
            FieldValues {
                field: "endpoint",
                value: self.endpoint.to_string(),
            },
            FieldValues {
                field: "recovered_to",
                value: render_option(self.recovered_to),
            },
            FieldValues {
                field: "target",
                value: render_option(self.target),
            },
            FieldValues {
                field: "truncation",
                value: render_option(self.truncation),
            },
            FieldValues {
                field: "rebuild",
                value: render_option(self.rebuild),
            },
        ]
    }
}

fn render_option<T: fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_string(), |value| value.to_string())
}

impl fmt::Display for SessionSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.class {
            SessionClass::CatchUp => "catch_up",
            SessionClass::Rebuild => "rebuild",
        };
        let phase = match self.phase {
            ActivePhase::Init => "init",
            ActivePhase::Connecting => "connecting",
            ActivePhase::Handshake => "handshake",
            ActivePhase::CatchUp => "catch_up",
        };
        write!(f, "{class}/{phase}")
    }
}

impl fmt::Display for RebuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            SourceSummary::SnapshotTail { snapshot } => {
                write!(f, "snapshot_tail@{snapshot}/{}", self.phase)
            }
            SourceSummary::FullBase => write!(f, "full_base/{}", self.phase),
        }
    }
}

/// The model's view of one replica: the primary's sender, at the primary's epoch (mapping table
/// in the module documentation).
pub fn model_view(sender: &ModelSender, epoch: Epoch) -> ReplicaView {
    let quiet = ReplicaView {
        state: ReplicaState::Disconnected,
        session: None,
        epoch,
        endpoint: sender.endpoint,
        recovered_to: None,
        target: None,
        truncation: None,
        rebuild: None,
    };
    match sender.phase {
        SenderPhase::InSync { .. } => ReplicaView {
            state: ReplicaState::InSync,
            ..quiet
        },
        SenderPhase::Lagging | SenderPhase::Degraded => quiet,
        SenderPhase::Connecting { .. } => ReplicaView {
            state: ReplicaState::Connecting,
            session: Some(SessionSummary {
                class: SessionClass::CatchUp,
                phase: ActivePhase::Connecting,
            }),
            ..quiet
        },
        SenderPhase::CatchingUp(catch_up) => ReplicaView {
            state: ReplicaState::CatchingUp,
            session: Some(SessionSummary {
                class: SessionClass::CatchUp,
                phase: ActivePhase::CatchUp,
            }),
            recovered_to: Some(catch_up.progress),
            target: Some(catch_up.target),
            truncation: catch_up.truncate.then_some(catch_up.progress),
            ..quiet
        },
        SenderPhase::NeedsRebuild { .. } => ReplicaView {
            state: ReplicaState::NeedsRebuild,
            ..quiet
        },
        SenderPhase::Rebuilding { source, target, .. } => ReplicaView {
            state: ReplicaState::Rebuilding,
            session: Some(SessionSummary {
                class: SessionClass::Rebuild,
                phase: ActivePhase::Handshake,
            }),
            target: Some(target),
            rebuild: Some(RebuildSummary {
                source: match source {
                    ModelRebuildSource::SnapshotTail { checkpoint } => {
                        SourceSummary::SnapshotTail {
                            snapshot: checkpoint,
                        }
                    }
                    ModelRebuildSource::FullBase { .. } => SourceSummary::FullBase,
                },
                phase: RebuildPhase::Transfer,
            }),
            ..quiet
        },
    }
}

/// The engine's view of one replica, read from its sender's read-only copy. Only an active
/// session contributes session fields: an ended session is history, not state.
pub fn engine_view(sender: &SenderView) -> ReplicaView {
    let mut view = ReplicaView {
        state: sender.state,
        session: None,
        epoch: sender.epoch,
        endpoint: sender.endpoint.version,
        recovered_to: None,
        target: None,
        truncation: None,
        rebuild: None,
    };
    // The session the engine itself reports active (D97: its own accessor, not a re-derivation).
    let active = sender.active_session();
    let Some(session) = sender.session.filter(|session| Some(session.id) == active) else {
        return view;
    };
    let phase = match session.phase {
        SessionPhase::Init => ActivePhase::Init,
        SessionPhase::Connecting => ActivePhase::Connecting,
        SessionPhase::Handshake => ActivePhase::Handshake,
        SessionPhase::CatchUp => ActivePhase::CatchUp,
        SessionPhase::Completed | SessionPhase::Invalidated(_) => {
            unreachable!("an active session has an active phase")
        }
    };
    match session.work {
        SessionWork::CatchUp(progress) => {
            view.session = Some(SessionSummary {
                class: SessionClass::CatchUp,
                phase,
            });
            if phase == ActivePhase::CatchUp {
                view.recovered_to = Some(progress.recovered_to);
                view.target = progress.frozen_target;
            }
            if let Truncation::Required { to } = progress.truncation {
                view.truncation = Some(to);
            }
        }
        SessionWork::Rebuild(rebuild) => {
            view.session = Some(SessionSummary {
                class: SessionClass::Rebuild,
                phase,
            });
            view.target = rebuild_target(&rebuild);
            view.rebuild = rebuild.source().map(|source| RebuildSummary {
                source: match source {
                    swb_engine::history::RebuildSource::SnapshotTail { snapshot } => {
                        SourceSummary::SnapshotTail { snapshot }
                    }
                    swb_engine::history::RebuildSource::FullBase(_) => SourceSummary::FullBase,
                },
                phase: rebuild.phase(),
            });
        }
    }
    view
}

fn rebuild_target(rebuild: &RebuildState) -> Option<Lsn> {
    match *rebuild {
        RebuildState::SourceSelected { target, .. }
        | RebuildState::Transfer { target, .. }
        | RebuildState::TailReplay { target, .. } => Some(target),
        RebuildState::Init | RebuildState::Completed { .. } | RebuildState::Aborted => None,
    }
}

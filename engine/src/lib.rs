//! # swb-engine — the V2 WAL-replication recovery engine of sw-block
//!
//! A primary volume server embeds this crate to own the recovery of each of its replicas: who
//! may recover a replica (one sender per replica id, one active session per sender), how
//! (zero gap, catch-up replay of retained WAL, or a rebuild from a snapshot + tail or a full
//! base), with which resources (pins taken through a storage adapter) and when recovery is done
//! (convergence to a frozen target, or a ready rebuild). It does no IO itself: storage and the
//! replica are reached through traits, time is a caller-supplied [`types::Tick`], and session
//! ids come from a counter owned by the registry, so a replay of the same calls gives the same
//! results.
//!
//! ## Principal types
//! - [`types`]: `Lsn`, `LsnRange` (`(after, through]`), `Epoch`, `ReplicaId` (identity) versus
//!   `Endpoint` (location), `ReplicaState`, `SessionKind`.
//! - [`outcome::HandshakeResult`] / [`outcome::RecoveryOutcome`]: zero gap (exact equality),
//!   catch-up, needs-rebuild.
//! - [`history::RetainedHistory`]: `(recycled_through, head]`, committed, checkpoint; proves
//!   recoverability ([`history::RecoverabilityProof`]) and chooses a
//!   [`history::RebuildSource`].
//! - [`session::Session`] with its phase machine ([`session::phase::SessionPhase`]), frozen
//!   target, progress, truncation requirement and [`budget::CatchUpBudget`]; rebuild progress
//!   lives only in its [`rebuild::RebuildState`].
//! - [`sender::Sender`]: the authority check and every execution call.
//! - [`deadline`]: what an active session waits on, and the identical request an expired
//!   deadline sends again ([`deadline::Retransmit`]; the caller's timer decides when).
//! - [`registry::Registry`] and [`orchestrate::RecoveryOrchestrator`] (registry + recovery
//!   log); [`plan::RecoveryDriver`] (planner with pins); [`execute::CatchUpExecutor`] and
//!   [`execute::RebuildExecutor`] behind the IO ports; [`storage::InMemoryStorage`];
//!   [`control::ControlPlaneAdapter`]; [`observe`] views and events.
//!
//! ## Decisions a reviewer will question
//! - **Fail closed.** Every sender execution call runs the authority check first (stopped, no
//!   session, stale id, inactive) and checks all preconditions before mutating, so a refused
//!   call changes nothing. Epoch and endpoint currency reach the check through the session id.
//! - **No state survives a fence.** An epoch advance or endpoint change demotes even an
//!   in-sync sender without a session to `disconnected` (upstream keeps it in sync); an
//!   interrupted rebuild stays `needs_rebuild`.
//! - **Absence is `Option`, never 0.** A frozen target of 0 is a real cap, truncation to 0 is
//!   expressible (a replica ahead of committed 0 can finish), an unset budget limit is `None`.
//! - **The budget is checked on every path**, including the IO catch-up path and completion,
//!   and ticks that run backwards are refused.
//! - **Executors never decide.** They carry out the plan's values, re-check authority before
//!   every IO call, and release the plan's pins exactly once on every exit; a session never
//!   outlives its pins.
//!
//! Each decision, with the PROTOCOL.md fact it settles, is in `docs/engine.md`.
//!
//! ## One recovery, from assignment to InSync
//! ```
//! use std::collections::BTreeMap;
//! use swb_engine::execute::CatchUpExecutor;
//! use swb_engine::plan::{RecoveryDriver, RecoveryPlan};
//! use swb_engine::registry::{AssignmentIntent, ReplicaAssignment};
//! use swb_engine::storage::{InMemoryReplica, InMemoryStorage};
//! use swb_engine::types::{Endpoint, EndpointVersion, Epoch, Lsn, LsnRange, ReplicaId, ReplicaState, SessionKind, Tick};
//!
//! // The primary wrote, flushed and committed 100 entries; the replica holds the first 70.
//! let mut primary = InMemoryStorage::new();
//! for block in 0..100 {
//!     primary.append(Epoch::FIRST, block % 8);
//! }
//! primary.flush(Lsn::new(100))?;
//! primary.commit(Lsn::new(100))?;
//! let mut replica_wal = InMemoryStorage::new();
//! for entry in primary.entries(LsnRange::new(Lsn::ZERO, Lsn::new(70)))? {
//!     replica_wal.append_entry(entry)?;
//! }
//! replica_wal.flush(Lsn::new(70))?;
//!
//! // 1. The control plane assigns replica r1 and asks for its recovery.
//! let r1 = ReplicaId::new(1);
//! let endpoint = Endpoint { data_addr: "r1:9333".into(), ctrl_addr: "r1:9334".into(), version: EndpointVersion::FIRST };
//! let mut driver = RecoveryDriver::new(primary);
//! let assigned = driver.orchestrator_mut().process_assignment(&AssignmentIntent {
//!     replicas: vec![ReplicaAssignment { replica: r1, endpoint }],
//!     epoch: Epoch::FIRST,
//!     recovery_targets: BTreeMap::from([(r1, SessionKind::CatchUp)]),
//! });
//! assert_eq!(assigned.added, vec![r1]);
//!
//! // 2. Plan: handshake against retained history (70 < 100, nothing recycled → catch-up)
//! //    and pin the WAL after 70.
//! let RecoveryPlan::CatchUp(plan) = driver.plan_recovery(r1, Lsn::new(70), Tick::new(1))? else {
//!     panic!("a gap inside retention is a catch-up");
//! };
//! assert_eq!(plan.range, LsnRange::new(Lsn::new(70), Lsn::new(100)));
//!
//! // 3. Execute: replay (70, 100] in batches of 16, then complete; the pin is released.
//! let mut replica = InMemoryReplica::new(replica_wal, driver.storage().clone(), 16);
//! let achieved = CatchUpExecutor::new(plan).run(&mut driver, &mut replica, Tick::new(2))?;
//! assert_eq!(achieved, Lsn::new(100));
//! assert_eq!(driver.orchestrator().sender(r1).map(|sender| sender.state()), Some(ReplicaState::InSync));
//! assert!(driver.storage().active_pins().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod budget;
pub mod control;
pub mod deadline;
pub mod error;
pub mod execute;
#[cfg(test)]
mod fixtures;
pub mod history;
pub mod lineage;
pub mod observe;
pub mod orchestrate;
pub mod outcome;
pub mod plan;
pub mod rebuild;
pub mod registry;
pub mod sender;
pub mod session;
pub mod storage;
pub mod types;

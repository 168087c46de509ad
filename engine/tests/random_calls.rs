//! Property tests over random sequences of engine calls (issue 3): assignments, epoch bumps,
//! endpoint changes, handshakes, progress, deadlines, completions, pin failures, tail advance, executor
//! steps. After every call they assert: no panic; one sender per replica id and at most one
//! active session per replica; stale session ids rejected; nothing completes without
//! convergence or a ready rebuild; every pin taken is released exactly once; the recovery log
//! explains every state change.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use swb_engine::budget::CatchUpBudget;
use swb_engine::error::IoError;
use swb_engine::execute::{
    CatchUpExecutor, CatchUpIo, CatchUpStep, RebuildExecutor, RebuildIo, RebuildStep,
};
use swb_engine::history::CheckpointTrust;
use swb_engine::observe::{EventKind, SenderView};
use swb_engine::plan::{CatchUpWork, PinKind, RebuildPins, RecoveryDriver, RecoveryPlan};
use swb_engine::rebuild::RebuildState;
use swb_engine::registry::{AssignmentIntent, ReplicaAssignment};
use swb_engine::session::phase::{CancelReason, InvalidateReason, SessionPhase};
use swb_engine::session::{SessionWork, Truncation};
use swb_engine::storage::InMemoryStorage;
use swb_engine::types::{
    Endpoint, EndpointVersion, Epoch, Lsn, ReplicaId, ReplicaState, SessionId, SessionKind, Tick,
};

const REPLICAS: u32 = 3;

#[derive(Clone, Debug)]
enum Op {
    Assign {
        members: u8,
        targets: Vec<(u32, u8)>,
    },
    BumpEpoch,
    UpdateEpoch {
        replica: u32,
    },
    ChangeEndpoint {
        replica: u32,
    },
    AttachWithBudget {
        replica: u32,
        entries_max: u64,
    },
    PlanRecovery {
        replica: u32,
        flushed: u64,
    },
    PlanRebuild {
        replica: u32,
    },
    Step {
        replica: u32,
    },
    Run {
        replica: u32,
    },
    Cancel {
        replica: u32,
    },
    Progress {
        replica: u32,
        to: u64,
    },
    Complete {
        replica: u32,
    },
    CheckBudget {
        replica: u32,
    },
    ExpireDeadline {
        replica: u32,
    },
    Truncate {
        replica: u32,
        to: u64,
    },
    StaleCalls {
        replica: u32,
    },
    Append {
        count: u64,
    },
    Commit,
    Checkpoint {
        trusted: bool,
    },
    AdvanceTail {
        by: u64,
    },
    InjectPinFailure {
        kind: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let replica = 1..=REPLICAS;
    prop_oneof![
        2 => (0u8..10, prop::collection::vec((1..=REPLICAS, 0u8..4), 0..3))
            .prop_map(|(members, targets)| Op::Assign { members: if members >= 8 { 7 } else { members }, targets }),
        1 => Just(Op::BumpEpoch),
        1 => replica.clone().prop_map(|replica| Op::UpdateEpoch { replica }),
        1 => replica.clone().prop_map(|replica| Op::ChangeEndpoint { replica }),
        1 => (replica.clone(), 0u64..8).prop_map(|(replica, entries_max)| Op::AttachWithBudget { replica, entries_max }),
        4 => (replica.clone(), 0u64..24).prop_map(|(replica, flushed)| Op::PlanRecovery { replica, flushed }),
        2 => replica.clone().prop_map(|replica| Op::PlanRebuild { replica }),
        6 => replica.clone().prop_map(|replica| Op::Step { replica }),
        2 => replica.clone().prop_map(|replica| Op::Run { replica }),
        1 => replica.clone().prop_map(|replica| Op::Cancel { replica }),
        1 => (replica.clone(), 0u64..24).prop_map(|(replica, to)| Op::Progress { replica, to }),
        1 => replica.clone().prop_map(|replica| Op::Complete { replica }),
        1 => replica.clone().prop_map(|replica| Op::CheckBudget { replica }),
        1 => replica.clone().prop_map(|replica| Op::ExpireDeadline { replica }),
        1 => (replica.clone(), 0u64..24).prop_map(|(replica, to)| Op::Truncate { replica, to }),
        1 => replica.clone().prop_map(|replica| Op::StaleCalls { replica }),
        2 => (1u64..6).prop_map(|count| Op::Append { count }),
        2 => Just(Op::Commit),
        1 => any::<bool>().prop_map(|trusted| Op::Checkpoint { trusted }),
        2 => (0u64..6).prop_map(|by| Op::AdvanceTail { by }),
        1 => (0u8..3).prop_map(|kind| Op::InjectPinFailure { kind }),
    ]
}

/// A replica port that moves in batches and can be told to fail.
#[derive(Debug)]
struct Io {
    batch: u64,
    fail: bool,
}

impl CatchUpIo for Io {
    fn stream_wal_entries(&mut self, range: swb_engine::types::LsnRange) -> Result<Lsn, IoError> {
        if self.fail {
            return Err(IoError::Transport);
        }
        Ok(Lsn::new(range.after.get() + self.batch).min(range.through))
    }

    fn truncate_wal(&mut self, _to: Lsn) -> Result<(), IoError> {
        if self.fail {
            Err(IoError::TruncationUnsafe)
        } else {
            Ok(())
        }
    }
}

impl RebuildIo for Io {
    fn transfer_snapshot(&mut self, _snapshot: Lsn) -> Result<(), IoError> {
        if self.fail {
            Err(IoError::Transport)
        } else {
            Ok(())
        }
    }

    fn transfer_full_base(&mut self, target: Lsn) -> Result<Lsn, IoError> {
        if self.fail {
            Err(IoError::Transport)
        } else {
            Ok(target)
        }
    }

    fn stream_wal_entries(&mut self, range: swb_engine::types::LsnRange) -> Result<Lsn, IoError> {
        CatchUpIo::stream_wal_entries(self, range)
    }
}

enum Execution {
    CatchUp(CatchUpExecutor),
    Rebuild(RebuildExecutor),
}

impl Execution {
    fn pins(&self) -> usize {
        match self {
            Execution::CatchUp(executor) => match executor.plan().work {
                CatchUpWork::Replay { .. } => 1,
                CatchUpWork::TruncateOnly { .. } => 0,
            },
            Execution::Rebuild(executor) => match executor.plan().pins {
                RebuildPins::SnapshotTail { .. } => 2,
                RebuildPins::FullBase { .. } => 1,
            },
        }
    }
}

struct World {
    driver: RecoveryDriver<InMemoryStorage>,
    executions: BTreeMap<ReplicaId, Execution>,
    epoch: Epoch,
    versions: BTreeMap<ReplicaId, EndpointVersion>,
    now: Tick,
    seen: BTreeMap<ReplicaId, BTreeSet<SessionId>>,
}

fn endpoint(replica: ReplicaId, version: EndpointVersion) -> Endpoint {
    Endpoint {
        data_addr: format!("{replica}:{version}"),
        ctrl_addr: format!("{replica}:ctrl"),
        version,
    }
}

impl World {
    fn new() -> World {
        let mut storage = InMemoryStorage::new();
        for block in 0..10 {
            storage.append(Epoch::FIRST, block);
        }
        let _ = storage.flush(Lsn::new(10));
        let _ = storage.commit(Lsn::new(8));
        let mut driver = RecoveryDriver::new(storage);
        let intent = AssignmentIntent {
            replicas: (1..=REPLICAS)
                .map(|id| ReplicaAssignment {
                    replica: ReplicaId::new(id),
                    endpoint: endpoint(ReplicaId::new(id), EndpointVersion::FIRST),
                })
                .collect(),
            epoch: Epoch::FIRST,
            recovery_targets: [
                (1, SessionKind::CatchUp),
                (2, SessionKind::Rebuild),
                (3, SessionKind::Bootstrap),
            ]
            .into_iter()
            .map(|(id, kind)| (ReplicaId::new(id), kind))
            .collect(),
        };
        let _ = driver.orchestrator_mut().process_assignment(&intent);
        World {
            driver,
            executions: BTreeMap::new(),
            epoch: Epoch::FIRST,
            versions: (1..=REPLICAS)
                .map(|id| (ReplicaId::new(id), EndpointVersion::FIRST))
                .collect(),
            now: Tick::new(0),
            seen: BTreeMap::new(),
        }
    }

    fn active(&self, replica: ReplicaId) -> Option<SessionId> {
        self.driver
            .orchestrator()
            .sender(replica)
            .and_then(|sender| sender.active_session_id())
    }

    fn apply(&mut self, op: &Op) {
        self.now = self.now.after(1);
        let now = self.now;
        let kinds = [
            SessionKind::Bootstrap,
            SessionKind::CatchUp,
            SessionKind::Reassign,
            SessionKind::Rebuild,
        ];
        match op {
            Op::Assign { members, targets } => {
                let replicas = (1..=REPLICAS)
                    .filter(|id| members & (1 << (id - 1)) != 0)
                    .map(|id| {
                        let replica = ReplicaId::new(id);
                        ReplicaAssignment {
                            replica,
                            endpoint: endpoint(replica, self.versions[&replica]),
                        }
                    })
                    .collect();
                let recovery_targets = targets
                    .iter()
                    .map(|&(id, kind)| (ReplicaId::new(id), kinds[usize::from(kind)]))
                    .collect();
                let intent = AssignmentIntent {
                    replicas,
                    epoch: self.epoch,
                    recovery_targets,
                };
                let _ = self.driver.orchestrator_mut().process_assignment(&intent);
            }
            Op::BumpEpoch => {
                self.epoch = self.epoch.bump();
                let _ = self.driver.orchestrator_mut().invalidate_epoch(self.epoch);
            }
            Op::UpdateEpoch { replica } => {
                let _ = self
                    .driver
                    .orchestrator_mut()
                    .update_sender_epoch(ReplicaId::new(*replica), self.epoch);
            }
            Op::ChangeEndpoint { replica } => {
                let replica = ReplicaId::new(*replica);
                let version = self.versions[&replica].next();
                self.versions.insert(replica, version);
                let _ = self
                    .driver
                    .orchestrator_mut()
                    .update_sender_endpoint(replica, endpoint(replica, version));
            }
            Op::AttachWithBudget {
                replica,
                entries_max,
            } => {
                let budget = CatchUpBudget {
                    entries_max: Some(*entries_max),
                    ..CatchUpBudget::default()
                };
                let _ = self.driver.orchestrator_mut().supersede_session(
                    ReplicaId::new(*replica),
                    SessionKind::CatchUp,
                    InvalidateReason::AssignmentIntent,
                    Some(budget),
                );
            }
            Op::PlanRecovery { replica, flushed } => {
                let replica = ReplicaId::new(*replica);
                if self.executions.contains_key(&replica) {
                    return;
                }
                if let Ok(RecoveryPlan::CatchUp(plan)) =
                    self.driver.plan_recovery(replica, Lsn::new(*flushed), now)
                {
                    self.executions
                        .insert(replica, Execution::CatchUp(CatchUpExecutor::new(plan)));
                }
            }
            Op::PlanRebuild { replica } => {
                let replica = ReplicaId::new(*replica);
                if self.executions.contains_key(&replica) {
                    return;
                }
                if let Ok(plan) = self.driver.plan_rebuild(replica) {
                    self.executions
                        .insert(replica, Execution::Rebuild(RebuildExecutor::new(plan)));
                }
            }
            Op::Step { replica } => {
                let replica = ReplicaId::new(*replica);
                let Some(execution) = self.executions.remove(&replica) else {
                    return;
                };
                let mut io = Io {
                    batch: 1 + now.get() % 4,
                    fail: now.get() % 11 == 0,
                };
                match execution {
                    Execution::CatchUp(executor) => {
                        if let Ok(CatchUpStep::Continue(next)) =
                            executor.step(&mut self.driver, &mut io, now)
                        {
                            self.executions.insert(replica, Execution::CatchUp(next));
                        }
                    }
                    Execution::Rebuild(executor) => {
                        if let Ok(RebuildStep::Continue(next)) =
                            executor.step(&mut self.driver, &mut io)
                        {
                            self.executions.insert(replica, Execution::Rebuild(next));
                        }
                    }
                }
            }
            Op::Run { replica } => {
                for _ in 0..64 {
                    if !self.executions.contains_key(&ReplicaId::new(*replica)) {
                        break;
                    }
                    self.apply(&Op::Step { replica: *replica });
                }
            }
            Op::Cancel { replica } => match self.executions.remove(&ReplicaId::new(*replica)) {
                Some(Execution::CatchUp(executor)) => {
                    executor.cancel(&mut self.driver, CancelReason::Requested)
                }
                Some(Execution::Rebuild(executor)) => {
                    executor.cancel(&mut self.driver, CancelReason::Requested)
                }
                None => {}
            },
            Op::Progress { replica, to } => {
                self.with_active(*replica, |orchestrator, replica, id| {
                    let _ = orchestrator.record_catch_up_progress(replica, id, Lsn::new(*to), now);
                })
            }
            Op::Complete { replica } => self.with_active(*replica, |orchestrator, replica, id| {
                let _ = orchestrator.complete(replica, id, now);
            }),
            Op::CheckBudget { replica } => {
                self.with_active(*replica, |orchestrator, replica, id| {
                    let _ = orchestrator.check_budget(replica, id, now);
                })
            }
            Op::ExpireDeadline { replica } => {
                self.with_active(*replica, |orchestrator, replica, id| {
                    let _ = orchestrator.expire_deadline(replica, id, now);
                })
            }
            Op::Truncate { replica, to } => {
                self.with_active(*replica, |orchestrator, replica, id| {
                    let _ = orchestrator.record_truncation(replica, id, Lsn::new(*to));
                })
            }
            Op::StaleCalls { replica } => self.stale_calls(ReplicaId::new(*replica)),
            Op::Append { count } => {
                let storage = self.driver.storage_mut();
                for _ in 0..*count {
                    storage.append(Epoch::FIRST, 0);
                }
                let head = storage.head();
                let _ = storage.flush(head);
            }
            Op::Commit => {
                let storage = self.driver.storage_mut();
                let flushed = storage.flushed();
                let _ = storage.commit(flushed);
            }
            Op::Checkpoint { trusted } => {
                let storage = self.driver.storage_mut();
                let trust = if *trusted {
                    CheckpointTrust::Trusted
                } else {
                    CheckpointTrust::Untrusted
                };
                let committed = storage.committed();
                let _ = storage.checkpoint_at(committed, trust);
            }
            Op::AdvanceTail { by } => {
                let storage = self.driver.storage_mut();
                let to = Lsn::new(storage.recycled_through().get() + by).min(storage.head());
                let _ = storage.advance_tail(to);
            }
            Op::InjectPinFailure { kind } => {
                let kind = [PinKind::Wal, PinKind::Snapshot, PinKind::FullBase][usize::from(*kind)];
                self.driver.storage_mut().inject_pin_failure(kind);
            }
        }
    }

    fn with_active(
        &mut self,
        replica: u32,
        call: impl FnOnce(&mut swb_engine::orchestrate::RecoveryOrchestrator, ReplicaId, SessionId),
    ) {
        let replica = ReplicaId::new(replica);
        if let Some(id) = self.active(replica) {
            call(self.driver.orchestrator_mut(), replica, id);
        }
    }

    /// Every execution call with every stale id of `replica` is refused and changes nothing.
    fn stale_calls(&mut self, replica: ReplicaId) {
        let Some(seen) = self.seen.get(&replica).cloned() else {
            return;
        };
        let active = self.active(replica);
        let now = self.now;
        for stale in seen.into_iter().filter(|id| Some(*id) != active) {
            let before = self
                .driver
                .orchestrator()
                .sender(replica)
                .map(|sender| sender.view());
            let orchestrator = self.driver.orchestrator_mut();
            let refused = [
                orchestrator.begin_connect(replica, stale).is_err(),
                orchestrator.begin_catch_up(replica, stale, now).is_err(),
                orchestrator
                    .record_catch_up_progress(replica, stale, Lsn::new(1), now)
                    .is_err(),
                orchestrator
                    .record_truncation(replica, stale, Lsn::ZERO)
                    .is_err(),
                orchestrator.check_budget(replica, stale, now).is_err(),
                orchestrator.expire_deadline(replica, stale, now).is_err(),
                orchestrator.complete(replica, stale, now).is_err(),
                orchestrator.begin_rebuild_transfer(replica, stale).is_err(),
                orchestrator
                    .record_rebuild_transfer_progress(replica, stale, Lsn::new(1))
                    .is_err(),
                orchestrator
                    .begin_rebuild_tail_replay(replica, stale)
                    .is_err(),
                orchestrator.complete_rebuild(replica, stale).is_err(),
            ];
            assert!(
                refused.iter().all(|refused| *refused),
                "stale {stale} accepted: {refused:?}"
            );
            let after = self
                .driver
                .orchestrator()
                .sender(replica)
                .map(|sender| sender.view());
            assert_eq!(before, after, "a stale call changed the sender");
        }
    }

    fn views(&self) -> BTreeMap<ReplicaId, SenderView> {
        self.driver
            .orchestrator()
            .registry()
            .views()
            .into_iter()
            .map(|view| (view.replica, view))
            .collect()
    }

    fn check(&mut self, before: &BTreeMap<ReplicaId, SenderView>, log_before: usize) {
        let views = self.driver.orchestrator().registry().views();
        // One sender per replica id, sorted, each owning only its own session.
        let ids: Vec<ReplicaId> = views.iter().map(|view| view.replica).collect();
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "duplicate or unsorted senders {ids:?}"
        );
        let mut active_ids = BTreeSet::new();
        for view in &views {
            if let Some(session) = view.session {
                assert_eq!(session.replica, view.replica);
                self.seen
                    .entry(view.replica)
                    .or_default()
                    .insert(session.id);
                if session.active {
                    assert!(
                        active_ids.insert(session.id),
                        "session {} active twice",
                        session.id
                    );
                }
            }
        }
        // Stale ids fail the authority check.
        for (replica, seen) in &self.seen {
            let Some(sender) = self.driver.orchestrator().sender(*replica) else {
                continue;
            };
            for id in seen
                .iter()
                .filter(|id| Some(**id) != sender.active_session_id())
            {
                assert!(
                    sender.authorize(*id).is_err(),
                    "stale {id} authorised on {replica}"
                );
            }
        }
        // Pins: held exactly by live executions, released exactly once.
        let held: usize = self.executions.values().map(Execution::pins).sum();
        let storage = self.driver.storage();
        let accounting = storage.pin_accounting();
        assert_eq!(storage.active_pins().len(), held);
        assert_eq!(accounting.taken - accounting.released, held as u64);
        // Completion only with convergence / a ready rebuild; the log explains every change.
        let new_events = &self.driver.orchestrator().log().events()[log_before..];
        for view in &views {
            let old = before.get(&view.replica);
            let mine: Vec<EventKind> = new_events
                .iter()
                .filter(|event| event.replica == view.replica)
                .map(|event| event.kind)
                .collect();
            let changed = old.is_none_or(|old| {
                (old.state, old.epoch, &old.endpoint, old.session)
                    != (view.state, view.epoch, &view.endpoint, view.session)
            });
            let progressed_only = old.is_some_and(|old| {
                old.state == view.state
                    && old.session.map(|s| s.id) == view.session.map(|s| s.id)
                    && old.session.map(|s| s.phase) == view.session.map(|s| s.phase)
            });
            if changed && !progressed_only {
                assert!(
                    !mine.is_empty(),
                    "unexplained change of {}: {old:?} -> {view:?}",
                    view.replica
                );
            }
            let mut state = old.map_or(ReplicaState::Disconnected, |old| old.state);
            for kind in &mine {
                if let EventKind::StateChanged { from, to } = kind {
                    assert_eq!(*from, state, "state chain broken for {}", view.replica);
                    state = *to;
                    if *to == ReplicaState::InSync {
                        assert_completed_properly(view);
                    }
                }
            }
            assert_eq!(
                state, view.state,
                "log does not end in the sender state for {}",
                view.replica
            );
        }
        for (replica, old) in before {
            if !views.iter().any(|view| view.replica == *replica) {
                let removed = new_events.iter().any(|event| {
                    event.replica == *replica && event.kind == EventKind::SenderRemoved
                });
                assert!(
                    removed,
                    "sender {} vanished without sender_removed ({old:?})",
                    replica
                );
            }
        }
    }

    fn finish(mut self) {
        let log_before = self.driver.orchestrator().log().len();
        let before = self.views();
        for (_, execution) in std::mem::take(&mut self.executions) {
            match execution {
                Execution::CatchUp(executor) => {
                    executor.cancel(&mut self.driver, CancelReason::Shutdown)
                }
                Execution::Rebuild(executor) => {
                    executor.cancel(&mut self.driver, CancelReason::Shutdown)
                }
            }
        }
        self.check(&before, log_before);
        let accounting = self.driver.storage().pin_accounting();
        assert_eq!(accounting.taken, accounting.released);
    }
}

/// A sender just moved to in-sync: its latest session completed with convergence (catch-up)
/// or a ready rebuild.
fn assert_completed_properly(view: &SenderView) {
    let Some(session) = view.session else {
        panic!("{} in sync without a session", view.replica)
    };
    assert_eq!(
        session.phase,
        SessionPhase::Completed,
        "{} in sync from {:?}",
        view.replica,
        session.phase
    );
    let Some(range) = session.range else {
        panic!("completed session without a handshake range")
    };
    match session.work {
        SessionWork::CatchUp(progress) => {
            assert!(
                !matches!(progress.truncation, Truncation::Required { .. }),
                "completed with truncation pending"
            );
            match progress.frozen_target {
                Some(target) => assert!(
                    progress.recovered_to >= target,
                    "completed short of the frozen target"
                ),
                None => assert!(range.is_empty(), "completed from handshake with a gap"),
            }
        }
        SessionWork::Rebuild(RebuildState::Completed { achieved }) => {
            assert!(
                achieved >= range.through,
                "rebuild completed short of its target"
            );
        }
        SessionWork::Rebuild(other) => panic!("rebuild session completed in {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_engine_calls_keep_every_invariant(ops in prop::collection::vec(op(), 1..40)) {
        let mut world = World::new();
        for op in &ops {
            let before = world.views();
            let log_before = world.driver.orchestrator().log().len();
            world.apply(op);
            world.check(&before, log_before);
        }
        world.finish();
    }
}

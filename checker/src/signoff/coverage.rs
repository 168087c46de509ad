//! Per-action coverage: how often each kind of action was offered, how many transitions it
//! produced and how many of those reached a state not seen before, over the whole reachable
//! state space of one configuration.
//!
//! stateright's checkers count states, not actions, so this is a pass of its own, made to
//! mirror stateright 0.31's DFS exactly (`checker/dfs.rs`): a state outside the model's boundary
//! is neither counted nor expanded, a state is new when its symmetry representative's hash was
//! not seen before, and the path continues with the state itself, not the representative. The
//! pass is single-threaded and visits actions in the model's order, so its counts are
//! deterministic, and its unique and total state counts equal `check`'s (a cross-check the
//! report prints).
//!
//! Kinds are an enum with exhaustive matches over the model's action, message and timer types:
//! a new variant in the model fails to compile here rather than disappearing from the table.
//! The "never fired" list is the kinds with no transition.

use crate::check::Symmetry;
use stateright::actor::ActorModelAction;
use stateright::Model;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use swb_model::coordinator::CoordinatorTimer;
use swb_model::msg::Msg;
use swb_model::node::NodeTimer;
use swb_model::system::SwbTimer;
use swb_model::{Action, State, SwbModel};

/// A message variant, for the delivery kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MsgKind {
    NewEpoch,
    Assign,
    Reassign,
    CommitAck,
    EpochAck,
    Heartbeat,
    CommitReport,
    NeedsRebuild,
    Write,
    Probe,
    CatchUp,
    Rebuild,
    BarrierAck,
    ProbeReply,
    CatchUpAck,
    RebuildAck,
}

impl MsgKind {
    /// Every message variant, in the order of `swb_model::msg::Msg`.
    pub const ALL: [MsgKind; 16] = [
        MsgKind::NewEpoch,
        MsgKind::Assign,
        MsgKind::Reassign,
        MsgKind::CommitAck,
        MsgKind::EpochAck,
        MsgKind::Heartbeat,
        MsgKind::CommitReport,
        MsgKind::NeedsRebuild,
        MsgKind::Write,
        MsgKind::Probe,
        MsgKind::CatchUp,
        MsgKind::Rebuild,
        MsgKind::BarrierAck,
        MsgKind::ProbeReply,
        MsgKind::CatchUpAck,
        MsgKind::RebuildAck,
    ];

    fn of(msg: &Msg) -> MsgKind {
        match msg {
            Msg::NewEpoch { .. } => MsgKind::NewEpoch,
            Msg::Assign { .. } => MsgKind::Assign,
            Msg::Reassign { .. } => MsgKind::Reassign,
            Msg::CommitAck { .. } => MsgKind::CommitAck,
            Msg::EpochAck { .. } => MsgKind::EpochAck,
            Msg::Heartbeat { .. } => MsgKind::Heartbeat,
            Msg::CommitReport { .. } => MsgKind::CommitReport,
            Msg::NeedsRebuild { .. } => MsgKind::NeedsRebuild,
            Msg::Write { .. } => MsgKind::Write,
            Msg::Probe { .. } => MsgKind::Probe,
            Msg::CatchUp { .. } => MsgKind::CatchUp,
            Msg::Rebuild { .. } => MsgKind::Rebuild,
            Msg::BarrierAck { .. } => MsgKind::BarrierAck,
            Msg::ProbeReply { .. } => MsgKind::ProbeReply,
            Msg::CatchUpAck { .. } => MsgKind::CatchUpAck,
            Msg::RebuildAck { .. } => MsgKind::RebuildAck,
        }
    }

    /// The name `Msg::kind` gives the variant (a test checks they agree).
    pub fn name(self) -> &'static str {
        match self {
            MsgKind::NewEpoch => "new_epoch",
            MsgKind::Assign => "assign",
            MsgKind::Reassign => "reassign",
            MsgKind::CommitAck => "commit_ack",
            MsgKind::EpochAck => "epoch_ack",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::CommitReport => "commit_report",
            MsgKind::NeedsRebuild => "needs_rebuild",
            MsgKind::Write => "write",
            MsgKind::Probe => "probe",
            MsgKind::CatchUp => "catch_up",
            MsgKind::Rebuild => "rebuild",
            MsgKind::BarrierAck => "barrier_ack",
            MsgKind::ProbeReply => "probe_reply",
            MsgKind::CatchUpAck => "catch_up_ack",
            MsgKind::RebuildAck => "rebuild_ack",
        }
    }
}

/// A timer variant, whatever actor and replica it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerKind {
    LeaseExpiry,
    ClientWrite,
    AddressChange,
    BarrierTimeout,
    CatchUpTimeout,
    HandshakeDeadline,
    CatchUpChunkDeadline,
    RebuildDeadline,
    RebuildIntentRetry,
    BarrierRetry,
    CommitReportRetry,
    HeartbeatRetry,
    NewEpochRetry,
    AssignRetry,
    ReassignRetry,
}

impl TimerKind {
    /// Every timer variant.
    pub const ALL: [TimerKind; 15] = [
        TimerKind::LeaseExpiry,
        TimerKind::ClientWrite,
        TimerKind::AddressChange,
        TimerKind::BarrierTimeout,
        TimerKind::CatchUpTimeout,
        TimerKind::HandshakeDeadline,
        TimerKind::CatchUpChunkDeadline,
        TimerKind::RebuildDeadline,
        TimerKind::RebuildIntentRetry,
        TimerKind::BarrierRetry,
        TimerKind::CommitReportRetry,
        TimerKind::HeartbeatRetry,
        TimerKind::NewEpochRetry,
        TimerKind::AssignRetry,
        TimerKind::ReassignRetry,
    ];

    fn of(timer: &SwbTimer) -> TimerKind {
        match timer {
            SwbTimer::Coordinator(CoordinatorTimer::LeaseExpiry) => TimerKind::LeaseExpiry,
            SwbTimer::Node(NodeTimer::ClientWrite) => TimerKind::ClientWrite,
            SwbTimer::Node(NodeTimer::AddressChange) => TimerKind::AddressChange,
            SwbTimer::Node(NodeTimer::BarrierTimeout(_)) => TimerKind::BarrierTimeout,
            SwbTimer::Node(NodeTimer::CatchUpTimeout(_)) => TimerKind::CatchUpTimeout,
            SwbTimer::Node(NodeTimer::HandshakeDeadline(_)) => TimerKind::HandshakeDeadline,
            SwbTimer::Node(NodeTimer::CatchUpChunkDeadline(_)) => TimerKind::CatchUpChunkDeadline,
            SwbTimer::Node(NodeTimer::RebuildDeadline(_)) => TimerKind::RebuildDeadline,
            SwbTimer::Node(NodeTimer::RebuildIntentRetry(_)) => TimerKind::RebuildIntentRetry,
            SwbTimer::Node(NodeTimer::BarrierRetry(..)) => TimerKind::BarrierRetry,
            SwbTimer::Node(NodeTimer::CommitReportRetry) => TimerKind::CommitReportRetry,
            SwbTimer::Node(NodeTimer::HeartbeatRetry) => TimerKind::HeartbeatRetry,
            SwbTimer::Coordinator(CoordinatorTimer::NewEpochRetry(_)) => TimerKind::NewEpochRetry,
            SwbTimer::Coordinator(CoordinatorTimer::AssignRetry(_)) => TimerKind::AssignRetry,
            SwbTimer::Coordinator(CoordinatorTimer::ReassignRetry(_)) => TimerKind::ReassignRetry,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TimerKind::LeaseExpiry => "lease_expiry",
            TimerKind::ClientWrite => "client_write",
            TimerKind::AddressChange => "address_change",
            TimerKind::BarrierTimeout => "barrier_timeout",
            TimerKind::CatchUpTimeout => "catch_up_timeout",
            TimerKind::HandshakeDeadline => "handshake_deadline",
            TimerKind::CatchUpChunkDeadline => "catch_up_chunk_deadline",
            TimerKind::RebuildDeadline => "rebuild_deadline",
            TimerKind::RebuildIntentRetry => "rebuild_intent_retry",
            TimerKind::BarrierRetry => "barrier_retry",
            TimerKind::CommitReportRetry => "commit_report_retry",
            TimerKind::HeartbeatRetry => "heartbeat_retry",
            TimerKind::NewEpochRetry => "new_epoch_retry",
            TimerKind::AssignRetry => "assign_retry",
            TimerKind::ReassignRetry => "reassign_retry",
        }
    }
}

/// One kind of action: a delivery per message variant, a drop (any message), a timer per timer
/// variant, the crash and restart faults, the partition faults, and stateright's random choice
/// (which this model does not use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionKind {
    Deliver(MsgKind),
    Drop,
    Timer(TimerKind),
    Crash,
    Restart,
    Isolate,
    Heal,
    SelectRandom,
}

impl ActionKind {
    /// Every kind, in the order the report lists them.
    pub fn all() -> Vec<ActionKind> {
        let mut kinds: Vec<ActionKind> =
            MsgKind::ALL.into_iter().map(ActionKind::Deliver).collect();
        kinds.push(ActionKind::Drop);
        kinds.extend(TimerKind::ALL.into_iter().map(ActionKind::Timer));
        kinds.extend([
            ActionKind::Crash,
            ActionKind::Restart,
            ActionKind::Isolate,
            ActionKind::Heal,
            ActionKind::SelectRandom,
        ]);
        kinds
    }

    /// The kind of `action`.
    pub fn of(action: &Action) -> ActionKind {
        match action {
            Action::Actor(ActorModelAction::Deliver { msg, .. }) => {
                ActionKind::Deliver(MsgKind::of(msg))
            }
            Action::Actor(ActorModelAction::Drop(_)) => ActionKind::Drop,
            Action::Actor(ActorModelAction::Timeout(_, timer)) => {
                ActionKind::Timer(TimerKind::of(timer))
            }
            Action::Actor(ActorModelAction::Crash(_)) => ActionKind::Crash,
            Action::Actor(ActorModelAction::Recover(_)) => ActionKind::Restart,
            Action::Actor(ActorModelAction::SelectRandom { .. }) => ActionKind::SelectRandom,
            Action::Isolate(_) => ActionKind::Isolate,
            Action::Heal(_) => ActionKind::Heal,
        }
    }

    /// The stable name used in the report, e.g. `deliver write`, `timer lease_expiry`.
    pub fn name(self) -> String {
        match self {
            ActionKind::Deliver(msg) => format!("deliver {}", msg.name()),
            ActionKind::Drop => "drop (any message)".to_owned(),
            ActionKind::Timer(timer) => format!("timer {}", timer.name()),
            ActionKind::Crash => "crash".to_owned(),
            ActionKind::Restart => "restart".to_owned(),
            ActionKind::Isolate => "partition isolate".to_owned(),
            ActionKind::Heal => "partition heal".to_owned(),
            ActionKind::SelectRandom => "select random".to_owned(),
        }
    }
}

/// The counts of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    /// Times the model offered an action of this kind in a reachable state.
    pub offered: usize,
    /// Offers that produced a state within the boundary (stateright's generated states).
    /// Invariant: `transitions <= offered` (a delivery the receiver ignores produces none).
    pub transitions: usize,
    /// Transitions to a state (up to symmetry) not seen before.
    /// Invariant: `new_states <= transitions`.
    pub new_states: usize,
}

/// The coverage of one configuration.
#[derive(Clone, Debug)]
pub struct Coverage {
    /// One row per kind, in [`ActionKind::all`] order.
    pub rows: Vec<(ActionKind, KindCounts)>,
    /// Unique states (up to symmetry when `symmetry` is on).
    pub unique_states: usize,
    /// Generated states, counting repeats (the initial states included), as stateright counts.
    pub total_states: usize,
    /// Whether states were identified up to replica renaming.
    pub symmetry: Symmetry,
    pub elapsed: Duration,
}

impl Coverage {
    /// The kinds that never produced a transition.
    pub fn never_fired(&self) -> Vec<ActionKind> {
        self.rows
            .iter()
            .filter(|(_, counts)| counts.transitions == 0)
            .map(|(kind, _)| *kind)
            .collect()
    }
}

/// The pass was stopped by Ctrl-C before it finished; its counts are not reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// A state's identity for the visited set: the hash of its representative (with symmetry) or of
/// itself. `DefaultHasher::new()` has fixed keys, so the pass is reproducible; a 64-bit
/// collision is as unlikely here as in stateright's own fingerprints. The set is only asked
/// whether it holds a value, never iterated, so its order cannot reach the output.
fn identity(state: &State, symmetry: Symmetry) -> u64 {
    let mut hasher = DefaultHasher::new();
    match symmetry {
        Symmetry::On => SwbModel::representative(state).hash(&mut hasher),
        Symmetry::Off => state.hash(&mut hasher),
    }
    hasher.finish()
}

/// How many states are expanded between two looks at the Ctrl-C flag.
const INTERRUPT_POLL_STATES: usize = 4096;

/// Explores every reachable state of `model` depth-first, one thread, in the model's action
/// order, and counts every action by kind. `interrupt` (Ctrl-C) ends the pass early.
pub fn measure(
    model: &SwbModel,
    symmetry: Symmetry,
    interrupt: Option<&AtomicBool>,
) -> Result<Coverage, Interrupted> {
    let started = Instant::now();
    let mut counts: BTreeMap<ActionKind, KindCounts> = ActionKind::all()
        .into_iter()
        .map(|kind| (kind, KindCounts::default()))
        .collect();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut stack: Vec<State> = Vec::new();
    let mut total_states = 0;
    for state in model.init_states() {
        if !model.within_boundary(&state) {
            continue;
        }
        total_states += 1;
        if seen.insert(identity(&state, symmetry)) {
            stack.push(state);
        }
    }
    let mut actions = Vec::new();
    let mut expanded: usize = 0;
    while let Some(state) = stack.pop() {
        expanded += 1;
        if expanded % INTERRUPT_POLL_STATES == 0
            && interrupt.is_some_and(|flag| flag.load(Ordering::SeqCst))
        {
            return Err(Interrupted);
        }
        model.actions(&state, &mut actions);
        for action in actions.drain(..) {
            let row = counts
                .get_mut(&ActionKind::of(&action))
                .expect("ActionKind::all lists every kind ActionKind::of returns");
            row.offered += 1;
            let Some(next) = model.next_state(&state, action) else {
                continue;
            };
            if !model.within_boundary(&next) {
                continue;
            }
            row.transitions += 1;
            total_states += 1;
            if seen.insert(identity(&next, symmetry)) {
                row.new_states += 1;
                stack.push(next);
            }
        }
    }
    // The report lists kinds in `ActionKind::all` order (deliveries first, in message order),
    // not in the map's order.
    let rows = ActionKind::all()
        .into_iter()
        .map(|kind| (kind, counts[&kind]))
        .collect();
    Ok(Coverage {
        rows,
        unique_states: seen.len(),
        total_states,
        symmetry,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_model() -> SwbModel {
        let config = swb_model::Config {
            writes_max: 1,
            ..crate::signoff::tests::tiny_config()
        };
        swb_properties::build_model(&config)
    }

    // Goal: the pass counts like stateright's DFS: its unique and total states equal a `check`
    // run's on the same configuration, with and without symmetry, and every new state and
    // every generated state is accounted to exactly one kind.
    #[test]
    fn counts_equal_a_dfs_check_and_add_up() {
        use crate::check::{run_check, CheckOptions, Strategy};
        let model = small_model();
        for symmetry in [Symmetry::On, Symmetry::Off] {
            let coverage = measure(&model, symmetry, None).expect("runs");
            let options = CheckOptions {
                strategy: Strategy::Dfs,
                threads: std::num::NonZeroUsize::MIN,
                max_states: None,
                max_depth: None,
                timeout: None,
                memory_limit_bytes: None,
                interrupt: None,
                progress: crate::progress::ProgressMode::Silent,
            };
            let representative: crate::check::SymmetryFn<SwbModel> = match symmetry {
                Symmetry::On => Some(SwbModel::representative),
                Symmetry::Off => None,
            };
            let outcome = run_check(model.clone(), representative, &options).expect("checks");
            assert_eq!(coverage.unique_states, outcome.unique_states);
            assert_eq!(coverage.total_states, outcome.total_states);
            let inits = model.init_states().len();
            let new: usize = coverage.rows.iter().map(|(_, c)| c.new_states).sum();
            let generated: usize = coverage.rows.iter().map(|(_, c)| c.transitions).sum();
            assert_eq!(new + inits, coverage.unique_states);
            assert_eq!(generated + inits, coverage.total_states);
            for (kind, counts) in &coverage.rows {
                assert!(counts.new_states <= counts.transitions, "{kind:?}");
                assert!(counts.transitions <= counts.offered, "{kind:?}");
            }
            assert!(coverage.never_fired().contains(&ActionKind::SelectRandom));
        }
    }

    // Goal: the kind names agree with the model's own `Msg::kind` for every message the small
    // model delivers, and the pass is deterministic.
    #[test]
    fn kind_names_match_the_model_and_the_pass_is_deterministic() {
        let model = small_model();
        let first = measure(&model, Symmetry::On, None).expect("runs");
        let second = measure(&model, Symmetry::On, None).expect("runs");
        assert_eq!(first.rows, second.rows);
        let mut stack = model.init_states();
        let mut seen = HashSet::new();
        let mut actions = Vec::new();
        while let Some(state) = stack.pop() {
            if !seen.insert(identity(&state, Symmetry::On)) || seen.len() > 2000 {
                continue;
            }
            model.actions(&state, &mut actions);
            for action in actions.drain(..) {
                if let Action::Actor(ActorModelAction::Deliver { msg, .. }) = &action {
                    assert_eq!(MsgKind::of(msg).name(), msg.kind());
                }
                if let Some(next) = model.next_state(&state, action) {
                    stack.push(next);
                }
            }
        }
    }
}

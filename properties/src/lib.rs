//! The named properties of the sw-block V2 protocol model.
//!
//! Each property is a pure function of (model, state) that reads like its rule, registered once
//! under a stable name with its kind, its source (the acceptance criterion or protocol truth of
//! PROTOCOL.md it enforces), its meaning, and — for every `always` — the mutant (a deliberately
//! broken rule, `swb_model::Mutant`) that the test suite uses to show it can fail. Every `always`
//! has `sometimes` witnesses that reach the situation it guards, so no check passes vacuously.
//!
//! Liveness criteria (A4 short-gap catch-up works, A5 non-convergence escalates) are written as
//! bounded-response safety over the state (a replica counted in sync really reached what it is
//! counted for; a catch-up over budget is never still catching up) plus `sometimes` reachability.
//! stateright judges `eventually` only at terminal states, which a model with periodic timers
//! rarely has and whose depth cuts make false alarms (`docs/design.md`, "Why no eventually").
#![deny(missing_docs)]

pub mod durability;
pub mod fencing;
pub mod guards;
pub mod mutants;
pub mod progress;
pub mod promotion;
pub mod reachability;
pub mod recoverability;
pub mod sessions;

use serde::Serialize;
use stateright::{Expectation, Property};
use swb_model::{Config, Mutant, State, SwbModel};

/// Whether a property must hold everywhere or be reached somewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    /// Holds in every reachable state.
    Always,
    /// Holds in at least one reachable state.
    Sometimes,
    /// Holds eventually on every path (unused: see the crate documentation).
    Eventually,
    /// From every reachable state the property's goal stays reachable (AG EF), judged by the
    /// checker on the explored graph, never per state by stateright (D47).
    Progress,
}

impl PropertyKind {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            PropertyKind::Always => "always",
            PropertyKind::Sometimes => "sometimes",
            PropertyKind::Eventually => "eventually",
            PropertyKind::Progress => "progress",
        }
    }
}

/// One registered property.
#[derive(Clone, Copy, Debug)]
pub struct PropertyInfo {
    /// The stable name (used in JSON, files and reports).
    pub name: &'static str,
    /// Always or sometimes.
    pub kind: PropertyKind,
    /// The acceptance criterion or protocol truth it enforces.
    pub source: &'static str,
    /// What it means, in one sentence.
    pub meaning: &'static str,
    /// For an `always`: the broken rule that provably violates it.
    pub mutant: Option<Mutant>,
    /// The predicate.
    pub condition: fn(&SwbModel, &State) -> bool,
}

macro_rules! property {
    ($kind:ident, $function:path, $source:literal, $mutant:expr, $meaning:literal) => {
        PropertyInfo {
            name: stringify!($function).rsplit("::").next().unwrap_or(""),
            kind: PropertyKind::$kind,
            source: $source,
            meaning: $meaning,
            mutant: $mutant,
            condition: $function,
        }
    };
}

/// Every property, sorted by name.
pub fn catalog() -> Vec<PropertyInfo> {
    use durability::*;
    use fencing::*;
    use progress::*;
    use promotion::*;
    use reachability::*;
    use recoverability::*;
    use sessions::*;
    let mut all = vec![
        property!(Always, committed_data_survives_failover, "A1, I4, T13", Some(Mutant::PromoteWithoutLineageCheck),
            "The serving primary holds Ref(C) through C, and C never decreases."),
        property!(Always, uncommitted_data_never_revived, "A2", Some(Mutant::KeepUncommittedTailOnPromotion),
            "A write that was not committed when its epoch ended is never committed later."),
        property!(Always, commit_needs_durable_copies, "A8, §2.3", Some(Mutant::AckBeforeFlush),
            "Every committed LSN is durable, with its committed data, on as many nodes as the commit mode requires."),
        property!(Always, stale_epoch_traffic_is_fenced, "A3, T7", Some(Mutant::ReplicaAcceptsStaleEpoch),
            "Per node (D74): a message stamped with an older epoch than its receiver's never changes the receiver (a heartbeat, which only reports an address, excepted: D29)."),
        property!(Always, no_delivery_on_stale_endpoint, "A10, T8", Some(Mutant::ReplicaIgnoresEndpointVersion),
            "Traffic addressed to a replica's old endpoint never changes the replica."),
        property!(Always, expired_barrier_ack_never_counted, "A11", Some(Mutant::CountLateBarrierAck),
            "A barrier acknowledgement that arrives after its barrier timed out never counts as durable progress."),
        property!(Always, promotion_picks_eligible_candidate, "A9, §2.8", Some(Mutant::PromoteAnyResponder),
            "The coordinator only promotes a node at the new epoch whose recoverable log holds Ref(C)."),
        property!(Always, in_sync_replica_reached_its_target, "A4 (bounded response), T3", Some(Mutant::CompleteAtFirstChunk),
            "A replica the primary counts as in sync has durably reached every LSN it is counted for."),
        property!(Always, over_budget_catch_up_escalates, "A5 (bounded response), T4", Some(Mutant::IgnoreCatchUpBudget),
            "No catch-up session is still catching up after spending its round budget."),
        property!(Always, catch_up_only_on_reserved_range, "A6, T10", Some(Mutant::CatchUpWithoutReservation),
            "The retained history a running catch-up or rebuild still needs is never recycled under it."),
        property!(Always, in_sync_replicas_match_primary, "A7, T2, T12", Some(Mutant::HandshakeComparesLsnOnly),
            "A replica counted in sync holds exactly the primary's entries through what it is counted for."),
        property!(Always, committed_prefix_is_lineage, "WAL prefix rule, T9", Some(Mutant::HandshakeComparesLsnOnly),
            "Every in-sync replica's log through C is the committed lineage."),
        property!(Always, rebuild_base_is_exact_committed_cut, "A7, T5, T6, T17", Some(Mutant::SnapshotFromCurrentLog),
            "Every base image is an exact cut of the committed lineage, and the log resumes right after it without a hole."),
        property!(Always, end_states_are_valid, "§6, §7 (deadlines), D45", Some(Mutant::NoHandshakeDeadline),
            "Every end state (only a fault could move the system on) has the serving primary at its head, every other node in sync with it, and every write committed."),
        property!(Progress, valid_end_state_stays_reachable, "§6, §7, D47", Some(Mutant::ReplicaIgnoresRepeatedProbe),
            "From every reachable state the protocol alone (no further fault) can still reach a valid end state: no session retries forever without progress."),
        property!(Sometimes, valid_end_state_reached, "§6, §7, D45", None,
            "The system comes to rest with every replica in sync and every write committed."),
        property!(Always, node_epoch_never_decreases, "A3 (per node)", Some(Mutant::ReapplyAssignment),
            "A node's epoch never goes back, across crashes too."),
        property!(Always, endpoint_change_invalidates_session, "T8, §2.6", Some(Mutant::EndpointChangeKeepsSession),
            "When a sender's endpoint changes, the session it was running ends."),
        property!(Always, recovery_starts_new_session, "T7, §3.8", Some(Mutant::ReconnectReusesSession),
            "A handshake or rebuild never starts under the session id its sender ran or was admitted by before."),
        property!(Always, in_sync_replica_whole_log_agrees, "A7, T9", Some(Mutant::ZeroGapIgnoresAheadTail),
            "Every entry an in-sync replica holds, at any LSN, is the serving primary's entry there, and none lies beyond its head."),
        property!(Always, live_stream_admission_at_head, "T3, T9", Some(Mutant::JoinBehindHead),
            "A replica enters the live stream only at the primary's head, holding no entry the primary does not."),
        property!(Always, confirmed_boundary_never_decreases, "A1, T1", Some(Mutant::CommitAckMayLower),
            "A primary's confirmed boundary never decreases while it holds office at one epoch."),
        property!(Always, no_entry_from_a_newer_epoch, "A3 (newer epochs wait)", Some(Mutant::AdoptOlderEpoch),
            "No node holds an entry written under a newer epoch than its own."),
        property!(Always, recovery_intent_endpoint_taken, "T8", Some(Mutant::ReassignKeepsOldEndpoint),
            "When the primary acts on a recovery intent, its sender addresses the replica at the intent's endpoint afterwards."),
        property!(Always, rejoin_sends_recovery_intent, "§2.6 (V2 rejoin)", Some(Mutant::RejoinControlPlaneOnly),
            "When the coordinator learns a newer endpoint of a replica while a primary serves, it sends that primary a recovery intent at it."),
        property!(Always, endpoint_cache_never_goes_back, "§2.6", Some(Mutant::EndpointCacheAcceptsOlder),
            "The coordinator's endpoint cache only moves to newer endpoint versions."),
        property!(Always, live_writes_only_to_live_stream, "§2.3", Some(Mutant::ShipWritesToAllSenders),
            "A client write is shipped only to replicas the primary counts in sync."),
        property!(Always, timed_out_catch_up_escalates, "A5, T4", Some(Mutant::IgnoreCatchUpTimeout),
            "A catch-up whose timeout fired is no longer catching up afterwards."),
        property!(Always, retention_window_kept, "§6.5", Some(Mutant::RecycleInsideRetentionWindow),
            "A primary never recycles history inside the retention window behind its head."),
        property!(Sometimes, commit_happens, "A1, A8", None, "Some write is committed."),
        property!(Sometimes, promotion_happens, "A1, A9", None, "A new primary is elected and serves."),
        property!(Sometimes, stale_message_fenced, "A3", None, "A message from an ended epoch is fenced."),
        property!(Sometimes, catch_up_completes, "A4", None, "A catch-up brings a replica back to the live stream."),
        property!(Sometimes, snapshot_tail_rebuild_happens, "A7, T11", None, "A replica is rebuilt from a snapshot plus the WAL tail."),
        property!(Sometimes, full_base_rebuild_happens, "A7, T11", None, "A replica is rebuilt from a full base."),
        property!(Sometimes, truncation_happens, "T9", None, "A replica's divergent or ahead tail is truncated."),
        property!(Sometimes, budget_escalation_happens, "A5", None, "A catch-up over its round budget escalates to NeedsRebuild."),
        property!(Sometimes, address_change_then_recovery, "A10", None, "A replica that moved is recovered at its new endpoint."),
        property!(Sometimes, barrier_expires, "A11", None, "A barrier times out at the primary."),
        property!(Sometimes, reservation_holds_back_recycling, "A6", None,
            "A running catch-up needs history that the flusher would otherwise recycle."),
    ];
    all.sort_by_key(|property| property.name);
    all
}

/// The property catalogue as Markdown (`docs/properties.md` is this text, checked in; a test
/// fails when it is stale).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Properties\n\nGenerated by `swb-check properties --markdown` from `properties/src/lib.rs`; do not edit.\n\n\
         Every `always` property names the mutant (a deliberately broken rule, `swb_model::Mutant`) that the test \
         suite (`properties/tests/mutants.rs`) shows it catches with a shortest trace. Every `sometimes` property \
         is a witness that the situation an `always` property guards is reached.\n\n\
         | property | kind | source | meaning | mutant it catches |\n|---|---|---|---|---|\n",
    );
    for property in catalog() {
        let mutant = property.mutant.map_or(String::from("—"), |mutant| {
            format!("`{}`", mutant_name(mutant))
        });
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            property.name,
            property.kind.name(),
            property.source,
            property.meaning,
            mutant
        ));
    }
    out.push_str(
        "\n## Guards\n\nEvery guard of the protocol handlers has a mutant that removes or weakens it \
         (`Mutant::guard`, D70). `swb-check mutants` runs them all up their ladders of bounds \
         (`properties/src/guards.rs`, D71): killed when a property fails, equivalent when the reachable \
         graph is the unmutated model's, or when the guard named under *masked by* refuses the same \
         steps further on (removing both is caught, D72).\n\n\
         | mutant | file | handler | rule | masked by |\n|---|---|---|---|---|\n",
    );
    for mutant in Mutant::ALL {
        let guard = mutant.guard();
        let masked = guards::masked_by(mutant).map_or(String::from("—"), |mask| {
            format!("`{}`", mutant_name(mask))
        });
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} |\n",
            mutant_name(mutant),
            guard.file.path(),
            guard.handler,
            guard.rule,
            masked
        ));
    }
    out
}

/// A mutant's stable (snake_case) name, as configuration files spell it.
pub fn mutant_name(mutant: Mutant) -> String {
    serde_json::to_value(mutant)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{mutant:?}"))
}

/// Looks a property up by name.
pub fn find(name: &str) -> Option<PropertyInfo> {
    catalog().into_iter().find(|property| property.name == name)
}

/// Builds the model of a configuration with every per-state property attached (a `progress`
/// property reads the whole graph and is judged by the checker instead).
pub fn build_model(config: &Config) -> SwbModel {
    let properties = catalog()
        .into_iter()
        .chain(scenario_witnesses(config))
        .filter_map(|property| {
            let expectation = match property.kind {
                PropertyKind::Always => Expectation::Always,
                PropertyKind::Sometimes => Expectation::Sometimes,
                PropertyKind::Eventually => Expectation::Eventually,
                PropertyKind::Progress => return None,
            };
            Some(Property {
                expectation,
                name: property.name,
                condition: property.condition,
            })
        })
        .collect();
    SwbModel::new(config).with_properties(properties)
}

/// The configuration's scenario witnesses (`swb_model::witness`) as `sometimes` properties, in
/// configuration order: reached once the run has shown the witness's events in turn.
pub fn scenario_witnesses(config: &Config) -> Vec<PropertyInfo> {
    config
        .witnesses
        .iter()
        .zip(SCENARIO_WITNESS_CONDITIONS)
        .map(|(witness, condition)| PropertyInfo {
            name: intern(&witness.name),
            kind: PropertyKind::Sometimes,
            source: "scenario witness",
            meaning: intern(&witness.events.join(", then ")),
            mutant: None,
            condition,
        })
        .collect()
}

/// Looks a property up by name among the catalog and `config`'s scenario witnesses.
pub fn find_in(config: &Config, name: &str) -> Option<PropertyInfo> {
    find(name).or_else(|| {
        scenario_witnesses(config)
            .into_iter()
            .find(|property| property.name == name)
    })
}

/// Property conditions are plain `fn` pointers, so each pattern slot has its own.
const SCENARIO_WITNESS_CONDITIONS: [fn(&SwbModel, &State) -> bool;
    swb_model::witness::PATTERNS_MAX] = [
    scenario_witness_reached::<0>,
    scenario_witness_reached::<1>,
    scenario_witness_reached::<2>,
    scenario_witness_reached::<3>,
];

fn scenario_witness_reached<const INDEX: usize>(model: &SwbModel, state: &State) -> bool {
    state
        .history
        .scenario
        .is_reached(&model.params.witnesses, INDEX)
}

/// A `&'static str` for a name read at run time: property names are static in stateright, and a
/// process names only a handful of scenario witnesses, each stored once.
fn intern(text: &str) -> &'static str {
    static NAMES: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

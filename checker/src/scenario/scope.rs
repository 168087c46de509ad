//! Which standard witnesses a configuration puts out of scope by the faults it leaves off.
//!
//! Each `sometimes` of the catalog needs some fault to be reachable at all: a promotion needs a
//! lease expiry, a recovery needs a replica to fall behind. A configuration that enables none of
//! the faults a witness needs cannot reach it, in any version, so a scenario that does not list
//! its out-of-scope witnesses gets these, each with the reason, and they are reported as out of
//! scope rather than as failures. The rules are deliberately coarse (a fault kind being enabled
//! at all), so they never call out of scope what the configuration can reach; what the bounds
//! make unreachable for subtler reasons a scenario file lists itself.

use swb_model::{Config, MessageLoss};

/// A fault a witness may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// A lease expiry (a new epoch, a promotion).
    LeaseExpiry,
    /// A slow-path timeout.
    Timeout,
    /// A replica restart at a new address.
    AddressChange,
    /// Anything that leaves a replica behind: a crash, a move, a lease expiry, a partition, a
    /// timeout or a lost message.
    ReplicaBehind,
    /// A replica behind while the head moves: [`Need::ReplicaBehind`] and two writes.
    MovingHead,
}

impl Need {
    fn met_by(self, config: &Config) -> bool {
        let behind = config.crashes_max > 0
            || config.address_changes_max > 0
            || config.lease_expiries_max > 0
            || config.partitions_max > 0
            || config.timeouts_max > 0
            || config.message_loss == MessageLoss::Lossy;
        let any_fault = config.faults_max > 0 || config.message_loss == MessageLoss::Lossy;
        match self {
            Need::LeaseExpiry => config.lease_expiries_max > 0 && config.faults_max > 0,
            Need::Timeout => config.timeouts_max > 0 && config.faults_max > 0,
            Need::AddressChange => config.address_changes_max > 0 && config.faults_max > 0,
            Need::ReplicaBehind => behind && any_fault,
            Need::MovingHead => behind && any_fault && config.writes_max >= 2,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Need::LeaseExpiry => "needs a lease expiry (lease_expiries_max = 0)",
            Need::Timeout => "needs a barrier timeout (timeouts_max = 0)",
            Need::AddressChange => "needs a replica to move (address_changes_max = 0)",
            Need::ReplicaBehind => {
                "needs a replica to fall behind (no crash, move, lease expiry, partition, timeout or loss)"
            }
            Need::MovingHead => {
                "needs a replica behind while the head moves (two writes and a fault that leaves a replica behind)"
            }
        }
    }
}

/// What each standard witness needs, by name (sorted). A witness not listed needs nothing.
const NEEDS: &[(&str, Need)] = &[
    ("address_change_then_recovery", Need::AddressChange),
    ("barrier_expires", Need::Timeout),
    ("budget_escalation_happens", Need::MovingHead),
    ("catch_up_completes", Need::ReplicaBehind),
    ("full_base_rebuild_happens", Need::ReplicaBehind),
    ("promotion_happens", Need::LeaseExpiry),
    ("reservation_holds_back_recycling", Need::ReplicaBehind),
    ("snapshot_tail_rebuild_happens", Need::ReplicaBehind),
    ("stale_message_fenced", Need::LeaseExpiry),
    ("truncation_happens", Need::LeaseExpiry),
];

/// The standard witnesses `config` cannot reach by the faults it leaves off, each with the
/// reason, sorted by name.
pub fn derived_out_of_scope(config: &Config) -> Vec<(&'static str, &'static str)> {
    NEEDS
        .iter()
        .filter(|(_, need)| !need.met_by(config))
        .map(|(name, need)| (*name, need.reason()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{catalog, Bounds};
    use swb_model::ProtocolVersion;

    // Goal: every name the rules use is a standard `sometimes`.
    #[test]
    fn rules_name_standard_witnesses() {
        for (name, _) in NEEDS {
            let property = swb_properties::find(name).expect("a standard property");
            assert_eq!(
                property.kind,
                swb_properties::PropertyKind::Sometimes,
                "{name}"
            );
        }
    }

    // Goal: the derivation never calls out of scope what a catalog scenario expects some
    // version to reach: derived ⊆ the scenario's own out-of-scope list, at both bound sets
    // (the compare matrix shows those lists are right: every V2 cell reaches the rest).
    #[test]
    fn derived_scope_is_within_every_catalog_scenario_list() {
        for scenario in catalog() {
            for bounds in [Bounds::Default, Bounds::Quick] {
                let config = scenario.config(&bounds.base(), ProtocolVersion::V2);
                let listed = scenario.verdicts(bounds).out_of_scope;
                for (name, _) in derived_out_of_scope(&config) {
                    assert!(
                        listed.contains(&name),
                        "{} at {bounds:?}: derived {name} is not in its list {listed:?}",
                        scenario.name
                    );
                }
            }
        }
    }
}

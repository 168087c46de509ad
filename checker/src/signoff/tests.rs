//! Shared fixtures of the sign-off tests.

use swb_model::Config;

/// A configuration small enough for unit tests: one write, one lease expiry, nothing else.
pub fn tiny_config() -> Config {
    Config {
        writes_max: 1,
        crashes_max: 0,
        address_changes_max: 0,
        lease_expiries_max: 1,
        partitions_max: 0,
        timeouts_max: 0,
        faults_max: 1,
        ..Config::default()
    }
}

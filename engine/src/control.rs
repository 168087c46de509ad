//! The control-plane adapter (§6.12): heartbeats in, assignment intents out.
//!
//! The engine never decides membership or epochs; it consumes [`AssignmentIntent`]s. This
//! module defines the port and a small in-memory implementation of the V2 refresh flow (§2.6):
//! a heartbeat reporting an endpoint version different from the cached one yields an intent
//! with the refreshed endpoint and a `reassign` recovery target for that replica, so recovery
//! starts only after the explicit endpoint update (A10).

use crate::registry::{AssignmentIntent, ReplicaAssignment};
use crate::types::{Endpoint, Epoch, Lsn, ReplicaId, ReplicaState, SessionKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a replica reports about one volume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeHeartbeat {
    /// The reporting replica.
    pub replica: ReplicaId,
    /// The epoch the replica holds.
    pub epoch: Epoch,
    /// Its durable LSN.
    pub flushed: Lsn,
    /// Its state as the replica sees it.
    pub state: ReplicaState,
    /// Where it can be reached now.
    pub endpoint: Endpoint,
}

/// The port to the control plane.
pub trait ControlPlaneAdapter {
    /// Consumes heartbeats and returns the intents they call for (possibly none).
    fn handle_heartbeat(&mut self, heartbeats: &[VolumeHeartbeat]) -> Vec<AssignmentIntent>;
    /// Consumes the failure of a replica and returns the intents it calls for.
    fn handle_failover(&mut self, dead: ReplicaId) -> Vec<AssignmentIntent>;
}

/// An in-memory control plane for one volume: caches each replica's endpoint and issues an
/// intent whenever a heartbeat shows it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointDirectory {
    /// The volume's epoch.
    epoch: Epoch,
    /// The cached endpoint of every member, sorted by replica id.
    members: BTreeMap<ReplicaId, Endpoint>,
}

impl EndpointDirectory {
    /// A directory for `members` at `epoch`.
    pub fn new(
        epoch: Epoch,
        members: impl IntoIterator<Item = ReplicaAssignment>,
    ) -> EndpointDirectory {
        let members = members
            .into_iter()
            .map(|member| (member.replica, member.endpoint))
            .collect();
        EndpointDirectory { epoch, members }
    }

    /// The cached endpoint of `replica`.
    pub fn endpoint(&self, replica: ReplicaId) -> Option<&Endpoint> {
        self.members.get(&replica)
    }

    fn intent(&self, recovery_targets: BTreeMap<ReplicaId, SessionKind>) -> AssignmentIntent {
        let replicas = self
            .members
            .iter()
            .map(|(&replica, endpoint)| ReplicaAssignment {
                replica,
                endpoint: endpoint.clone(),
            })
            .collect();
        AssignmentIntent {
            replicas,
            epoch: self.epoch,
            recovery_targets,
        }
    }
}

impl ControlPlaneAdapter for EndpointDirectory {
    fn handle_heartbeat(&mut self, heartbeats: &[VolumeHeartbeat]) -> Vec<AssignmentIntent> {
        let mut targets = BTreeMap::new();
        for heartbeat in heartbeats {
            let Some(cached) = self.members.get_mut(&heartbeat.replica) else {
                continue;
            };
            if cached.version != heartbeat.endpoint.version {
                *cached = heartbeat.endpoint.clone();
                targets.insert(heartbeat.replica, SessionKind::Reassign);
            }
        }
        if targets.is_empty() {
            Vec::new()
        } else {
            vec![self.intent(targets)]
        }
    }

    fn handle_failover(&mut self, dead: ReplicaId) -> Vec<AssignmentIntent> {
        if self.members.remove(&dead).is_none() {
            return Vec::new();
        }
        self.epoch = self.epoch.bump();
        vec![self.intent(BTreeMap::new())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EndpointVersion;

    fn endpoint(replica: u32, version: u64) -> Endpoint {
        Endpoint {
            data_addr: format!("r{replica}:v{version}"),
            ctrl_addr: format!("r{replica}:ctrl"),
            version: EndpointVersion::new(version),
        }
    }

    fn heartbeat(replica: u32, version: u64) -> VolumeHeartbeat {
        VolumeHeartbeat {
            replica: ReplicaId::new(replica),
            epoch: Epoch::FIRST,
            flushed: Lsn::ZERO,
            state: ReplicaState::Disconnected,
            endpoint: endpoint(replica, version),
        }
    }

    fn directory() -> EndpointDirectory {
        EndpointDirectory::new(
            Epoch::FIRST,
            [1, 2].map(|id| ReplicaAssignment {
                replica: ReplicaId::new(id),
                endpoint: endpoint(id, 1),
            }),
        )
    }

    #[test]
    fn heartbeat_with_unchanged_version_issues_no_intent() {
        assert_eq!(
            directory().handle_heartbeat(&[heartbeat(1, 1), heartbeat(2, 1)]),
            Vec::new()
        );
    }

    #[test]
    fn heartbeat_with_changed_version_issues_reassign_intent_with_new_endpoint() {
        // Goal: A10 — the control plane refreshes the endpoint before recovery starts.
        let mut directory = directory();
        let intents = directory.handle_heartbeat(&[heartbeat(2, 2)]);
        let expected = AssignmentIntent {
            replicas: vec![
                ReplicaAssignment {
                    replica: ReplicaId::new(1),
                    endpoint: endpoint(1, 1),
                },
                ReplicaAssignment {
                    replica: ReplicaId::new(2),
                    endpoint: endpoint(2, 2),
                },
            ],
            epoch: Epoch::FIRST,
            recovery_targets: BTreeMap::from([(ReplicaId::new(2), SessionKind::Reassign)]),
        };
        assert_eq!(intents, vec![expected]);
        assert_eq!(directory.endpoint(ReplicaId::new(2)), Some(&endpoint(2, 2)));
    }

    #[test]
    fn failover_removes_member_and_bumps_epoch() {
        let mut directory = directory();
        let intents = directory.handle_failover(ReplicaId::new(1));
        let expected = AssignmentIntent {
            replicas: vec![ReplicaAssignment {
                replica: ReplicaId::new(2),
                endpoint: endpoint(2, 1),
            }],
            epoch: Epoch::new(2),
            recovery_targets: BTreeMap::new(),
        };
        assert_eq!(intents, vec![expected]);
        assert_eq!(directory.handle_failover(ReplicaId::new(1)), Vec::new());
    }
}

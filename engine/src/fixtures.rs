//! Builders named after protocol situations, shared by the unit tests.

use crate::history::CheckpointTrust;
use crate::plan::RecoveryDriver;
use crate::registry::{AssignmentIntent, ReplicaAssignment};
use crate::storage::InMemoryStorage;
use crate::types::{Endpoint, EndpointVersion, Epoch, Lsn, ReplicaId, SessionKind};
use std::collections::BTreeMap;

pub(crate) fn lsn(value: u64) -> Lsn {
    Lsn::new(value)
}

pub(crate) fn replica(id: u32) -> ReplicaId {
    ReplicaId::new(id)
}

pub(crate) fn endpoint(id: u32, version: u64) -> Endpoint {
    Endpoint {
        data_addr: format!("r{id}:v{version}"),
        ctrl_addr: format!("r{id}:ctrl"),
        version: EndpointVersion::new(version),
    }
}

/// An intent at `epoch` for replicas `ids` (endpoint version 1), recovering `targets`.
pub(crate) fn intent(epoch: u64, ids: &[u32], targets: &[(u32, SessionKind)]) -> AssignmentIntent {
    AssignmentIntent {
        replicas: ids
            .iter()
            .map(|&id| ReplicaAssignment {
                replica: replica(id),
                endpoint: endpoint(id, 1),
            })
            .collect(),
        epoch: Epoch::new(epoch),
        recovery_targets: targets
            .iter()
            .map(|&(id, kind)| (replica(id), kind))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// A primary that wrote `head` entries in epoch 1, flushed them, committed `committed`, took a
/// checkpoint (if any) and recycled through `tail`.
pub(crate) fn primary(
    head: u64,
    committed: u64,
    checkpoint: Option<(u64, CheckpointTrust)>,
    tail: u64,
) -> InMemoryStorage {
    let mut storage = InMemoryStorage::new();
    for block in 0..head {
        storage.append(Epoch::FIRST, block % 8);
    }
    let steps = [
        storage.flush(lsn(head)),
        storage.commit(lsn(committed)),
        checkpoint.map_or(Ok(()), |(at, trust)| storage.checkpoint_at(lsn(at), trust)),
        storage.advance_tail(lsn(tail)),
    ];
    for step in steps {
        assert_eq!(step, Ok(()), "fixture primary must be consistent");
    }
    storage
}

/// A driver over `storage` with replicas `ids` at epoch 1, each given a session of `kind`.
pub(crate) fn driver_with_sessions(
    storage: InMemoryStorage,
    ids: &[u32],
    kind: SessionKind,
) -> RecoveryDriver<InMemoryStorage> {
    let mut driver = RecoveryDriver::new(storage);
    let targets: Vec<(u32, SessionKind)> = ids.iter().map(|&id| (id, kind)).collect();
    let result = driver
        .orchestrator_mut()
        .process_assignment(&intent(1, ids, &targets));
    assert_eq!(result.created.len(), ids.len());
    driver
}

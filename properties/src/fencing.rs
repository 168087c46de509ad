//! Fencing: stale epochs, stale endpoints and expired barriers change nothing.

use swb_model::history::Breach;
use swb_model::system::nodes_of;
use swb_model::{State, SwbModel};

/// A3: stale-epoch traffic is fenced, judged per node. A message stamped with an older epoch
/// than its receiver's never changes the receiver (its log, its acks, C), because a deposed
/// primary must never extend or rewrite the current lineage. PROTOCOL.md's A3 judges against the
/// coordinator's epoch E; a replica that has not heard of E yet still applies its old primary's
/// writes at their shared epoch, which the model allows and V2 repairs (the handshake truncates
/// them, the coordinator never commits them). The difference is D74 in `docs/design.md`;
/// [`node_epoch_never_decreases`] and [`no_entry_from_a_newer_epoch`] state the rest per node. A heartbeat is not fenced (`Msg::is_epoch_fenced`, D29): it
/// only tells the coordinator where a node that missed an epoch bump now is.
pub fn stale_epoch_traffic_is_fenced(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::StaleTrafficChangedState)
}

/// A10: no delivery on a stale endpoint. Traffic the primary addressed to a replica's old
/// endpoint never changes the replica, because endpoint is location and only the coordinator's
/// explicit update may point the primary at the new one.
pub fn no_delivery_on_stale_endpoint(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::StaleEndpointAccepted)
}

/// A11: an expired barrier's late ack never counts. After a barrier times out, its late
/// acknowledgement never raises the replica's counted durable progress, because the timeout
/// already took the replica out of the live stream.
pub fn expired_barrier_ack_never_counted(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::LateAckCounted)
}

/// A3 (per node): a node's epoch never goes back. A node holds the newest epoch it adopted,
/// through crashes too, because its fence (drop traffic older than its epoch) is only as strong
/// as that epoch; a node that went back would accept a deposed primary's traffic again.
pub fn node_epoch_never_decreases(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::EpochRegressed)
}

/// A3 (newer epochs wait): no node holds an entry written under a newer epoch than its own.
/// Traffic of an epoch the node has not adopted waits until the coordinator's word arrives, so
/// a node never replicates a primary it has not heard of; one that did would judge that
/// primary's entries by an older epoch's fence.
pub fn no_entry_from_a_newer_epoch(_: &SwbModel, state: &State) -> bool {
    nodes_of(state).all(|(_, node)| {
        node.disk
            .wal
            .slots()
            .entries()
            .all(|(_, epoch)| epoch <= node.disk.epoch)
    })
}

/// §2.6: the coordinator's endpoint cache never goes back. It moves only to a newer endpoint
/// version, because a delayed heartbeat from before a move would otherwise point the next
/// assignment at an address the replica has left.
pub fn endpoint_cache_never_goes_back(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::EndpointCacheRegressed)
}

/// §2.3: live writes go only to the live stream. A client write is shipped only to replicas the
/// primary counts in sync, because a replica in recovery takes its log from its session alone.
pub fn live_writes_only_to_live_stream(_: &SwbModel, state: &State) -> bool {
    !state
        .history
        .has_breached(Breach::LiveWriteOutsideLiveStream)
}

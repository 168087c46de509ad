//! Fencing: stale epochs, stale endpoints and expired barriers change nothing.

use swb_model::history::Breach;
use swb_model::{State, SwbModel};

/// A3: stale-epoch traffic is fenced. A message stamped with an older epoch than its receiver's
/// never changes the receiver (its log, its acks, C), because a deposed primary must never extend
/// or rewrite the current lineage. A heartbeat is not fenced (`Msg::is_epoch_fenced`, D29): it
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

//! Sessions: the step rules of PROTOCOL.md about recovery sessions (T7, T8), judged as ghost
//! transitions. A session is what a replica and its primary agree a recovery step belongs to;
//! these rules keep an old session's traffic from ever being taken for a new one's.

use swb_model::history::Breach;
use swb_model::{State, SwbModel};

/// T8, §2.6: an endpoint change invalidates the running session. When a sender's endpoint
/// changes, the session it was running ends (a new one starts at the new address), because a
/// session opened at the old address may still have traffic in flight there.
pub fn endpoint_change_invalidates_session(_: &SwbModel, state: &State) -> bool {
    !state
        .history
        .has_breached(Breach::SessionKeptAcrossEndpointChange)
}

/// T7, §3.8: every recovery gets a new session id. A handshake or rebuild never starts under
/// the session id its sender ran (or was admitted by) before, because the replica fences by
/// session id and a reused id would let the old recovery's traffic count for the new one.
pub fn recovery_starts_new_session(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::SessionReused)
}

/// T8 (step rule): a recovery intent's endpoint is taken. When the primary acts on the
/// coordinator's recovery intent for a replica, its sender addresses the replica at the intent's
/// endpoint afterwards, because endpoint is location and the coordinator is its only source.
pub fn recovery_intent_endpoint_taken(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::IntentEndpointIgnored)
}

/// §2.6 (step rule, V2's rejoin policy): a rejoin is answered with a recovery intent. When the
/// coordinator learns a newer endpoint of a replica while a primary serves, it sends that
/// primary a recovery intent at the new endpoint, because nothing else would point the data
/// path at the replica's new address.
pub fn rejoin_sends_recovery_intent(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::RejoinWithoutIntent)
}

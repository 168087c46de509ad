//! Sessions: the step rules of PROTOCOL.md about recovery sessions (T7, T8), judged as ghost
//! transitions. A session is what a replica and its primary agree a recovery step belongs to;
//! these rules keep an old session's traffic from ever being taken for a new one's.

use swb_model::history::Breach;
use swb_model::msg::Msg;
use swb_model::policy::{AddressChange, RejoinAction};
use swb_model::system::{coordinator_of, current_primary};
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

/// T7 at the replica: a recovery step belongs to the replica's current session. A probe is
/// answered only at or above the last session the replica accepted, a catch-up chunk changes
/// the log only in the session last probed, and a rebuild installs only under a newer session,
/// because a delayed message of an older session carries a plan made for another log.
pub fn recovery_mutation_needs_current_session(_: &SwbModel, state: &State) -> bool {
    !state
        .history
        .has_breached(Breach::RecoveryOfStaleSessionApplied)
}

/// §2.6, T8 (bounded response): the serving primary addresses each replica at the endpoint the
/// coordinator holds for it, or the coordinator's recovery intent carrying that endpoint is on
/// its way to the primary. An endpoint the control plane learned must reach the data path,
/// because a primary left at the old address would stall that replica for good. Judged where
/// the version promises the refresh (V2 reassigns on every rejoin); V1 and V1.5's
/// control-plane-only rejoin after a move is the stall their unreached
/// `address_change_then_recovery` already shows (D75).
pub fn endpoint_refresh_reaches_primary(model: &SwbModel, state: &State) -> bool {
    if model.params.policy.rejoin(AddressChange::Changed) != RejoinAction::Reassign {
        return true;
    }
    let Some((primary, office)) = current_primary(state) else {
        return true;
    };
    let Some(office_state) = office.primary() else {
        return true;
    };
    let cache = &coordinator_of(state).endpoints;
    office_state
        .senders
        .iter()
        .enumerate()
        .all(|(index, sender)| {
            let (Some(sender), Some(cached)) = (sender, cache[index]) else {
                return true;
            };
            sender.endpoint == cached
                || state.network.iter_all().any(|envelope| {
                    envelope.dst == primary
                        && matches!(
                            envelope.msg,
                            Msg::Reassign { replica, endpoint, .. }
                                if usize::from(*replica) == index && *endpoint == cached
                        )
                })
        })
}

//! Promotion: lineage first.

use swb_model::history::Breach;
use swb_model::{State, SwbModel};

/// A9: promotion picks an eligible candidate. The default promotion path only elects a node that
/// adopted the new epoch and whose recoverable log holds `Ref(C)` through C (checked against the
/// node's real log, not against what it reported), because the safe default is no promotion.
pub fn promotion_picks_eligible_candidate(_: &SwbModel, state: &State) -> bool {
    !state.history.has_breached(Breach::IneligiblePromotion)
}

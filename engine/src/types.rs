//! The protocol's value nouns, shared by the engine and (as plain values only) by the model.
//!
//! Every number the protocol talks about has its own type, so an LSN can never be passed where
//! an epoch is expected, and every operation on one is named (`Lsn::next`, `Epoch::bump`).
//! None of them deref to `u64`: reading the raw number is an explicit `get()`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A log sequence number. `Lsn::ZERO` means "nothing yet": the first write is LSN 1.
///
/// LSN ranges are written `(after, through]`: `after` is excluded, `through` included.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Lsn(u64);

impl Lsn {
    /// "Nothing written yet".
    pub const ZERO: Lsn = Lsn(0);

    /// An LSN with the given number.
    pub const fn new(value: u64) -> Lsn {
        Lsn(value)
    }

    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The LSN right after this one.
    #[must_use]
    pub const fn next(self) -> Lsn {
        Lsn(self.0 + 1)
    }

    /// The LSN right before this one, or `None` at zero.
    pub const fn prev(self) -> Option<Lsn> {
        match self.0 {
            0 => None,
            n => Some(Lsn(n - 1)),
        }
    }

    /// How many LSNs lie in `(self, through]`; zero when `through <= self`.
    pub const fn entries_through(self, through: Lsn) -> u64 {
        through.0.saturating_sub(self.0)
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A half-open LSN range `(after, through]`: `after` excluded, `through` included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LsnRange {
    /// The last LSN the receiver already holds (excluded from the range).
    pub after: Lsn,
    /// The last LSN of the range (included).
    pub through: Lsn,
}

impl LsnRange {
    /// The range `(after, through]`.
    pub const fn new(after: Lsn, through: Lsn) -> LsnRange {
        LsnRange { after, through }
    }

    /// True when the range holds no LSN.
    pub const fn is_empty(&self) -> bool {
        self.through.0 <= self.after.0
    }

    /// How many LSNs the range holds.
    pub const fn len(&self) -> u64 {
        self.after.entries_through(self.through)
    }

    /// True when `lsn` lies in `(after, through]`.
    pub const fn contains(&self, lsn: Lsn) -> bool {
        lsn.0 > self.after.0 && lsn.0 <= self.through.0
    }
}

impl fmt::Display for LsnRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {}]", self.after, self.through)
    }
}

/// A coordinator epoch. The first epoch is 1; it only ever rises.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Epoch(u64);

impl Epoch {
    /// The first epoch of a volume.
    pub const FIRST: Epoch = Epoch(1);

    /// An epoch with the given number.
    pub const fn new(value: u64) -> Epoch {
        Epoch(value)
    }

    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The next epoch (a promotion or a fencing restart).
    #[must_use]
    pub const fn bump(self) -> Epoch {
        Epoch(self.0 + 1)
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The stable identity of a replica. An address change never changes it (T8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplicaId(u32);

impl ReplicaId {
    /// A replica id with the given number.
    pub const fn new(value: u32) -> ReplicaId {
        ReplicaId(value)
    }

    /// The raw number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// A recovery session id. Ids come from a counter owned by the registry (or the model state),
/// never from a process-wide atomic, so a replay sees the same ids. Absence is `Option<SessionId>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(u64);

impl SessionId {
    /// The first id a counter hands out.
    pub const FIRST: SessionId = SessionId(1);

    /// A session id with the given number.
    pub const fn new(value: u64) -> SessionId {
        SessionId(value)
    }

    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The id a counter hands out after this one.
    #[must_use]
    pub const fn next(self) -> SessionId {
        SessionId(self.0 + 1)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// A caller-supplied logical time. The engine has no clock.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Tick(u64);

impl Tick {
    /// A tick with the given number.
    pub const fn new(value: u64) -> Tick {
        Tick(value)
    }

    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Ticks elapsed from `earlier` to `self`, saturating at zero when `earlier` is later.
    ///
    /// Upstream subtracts unsigned ticks and wraps (a check before the start tick reads as an
    /// enormous duration). See `docs/engine.md` for the decision taken here.
    pub const fn since(self, earlier: Tick) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Tick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// The version of a replica's endpoint. Every address change raises it by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EndpointVersion(u64);

impl EndpointVersion {
    /// The version of a replica's first address.
    pub const FIRST: EndpointVersion = EndpointVersion(1);

    /// A version with the given number.
    pub const fn new(value: u64) -> EndpointVersion {
        EndpointVersion(value)
    }

    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version after an address change.
    #[must_use]
    pub const fn next(self) -> EndpointVersion {
        EndpointVersion(self.0 + 1)
    }
}

impl fmt::Display for EndpointVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Where a replica can be reached: a mutable location, never its identity (T8).
///
/// Two endpoints differ ("changed") when any of the three fields differs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// The data-path address.
    pub data_addr: String,
    /// The control-path address.
    pub ctrl_addr: String,
    /// Raised by one on every address change.
    pub version: EndpointVersion,
}

impl Endpoint {
    /// True when any field differs from `other`.
    pub fn changed(&self, other: &Endpoint) -> bool {
        self != other
    }
}

impl Tick {
    /// The tick `ticks` after this one (saturating at the largest tick).
    #[must_use]
    pub const fn after(self, ticks: u64) -> Tick {
        Tick(self.0.saturating_add(ticks))
    }
}

/// What a sender believes about its replica (the engine's replica-state vocabulary).
///
/// Upstream also declares `degraded`, which no engine code ever assigns; it is left out here.
/// `Rebuilding` is added so a replica receiving a base image is not reported as `connecting`
/// (see `docs/engine.md`, "Sender state during a rebuild").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaState {
    /// No recovery in progress and not known to be current. The initial state.
    Disconnected,
    /// A session is connecting or has handshaken but not started replay.
    Connecting,
    /// A catch-up session is replaying retained WAL.
    CatchingUp,
    /// A rebuild session is transferring a base image or replaying its tail.
    Rebuilding,
    /// The replica holds the committed prefix and follows the live stream.
    InSync,
    /// Replay is impossible or was abandoned; only a rebuild can bring the replica back.
    NeedsRebuild,
}

impl ReplicaState {
    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            ReplicaState::Disconnected => "disconnected",
            ReplicaState::Connecting => "connecting",
            ReplicaState::CatchingUp => "catching_up",
            ReplicaState::Rebuilding => "rebuilding",
            ReplicaState::InSync => "in_sync",
            ReplicaState::NeedsRebuild => "needs_rebuild",
        }
    }
}

impl fmt::Display for ReplicaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a session was created. Only `Rebuild` changes behaviour: the other three run the same
/// catch-up machinery (PROTOCOL.md §8.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A new replica's first recovery.
    Bootstrap,
    /// Replay of a recoverable gap from retained WAL.
    CatchUp,
    /// Recovery started by a changed assignment (for example a new address).
    Reassign,
    /// Installation of a base image (snapshot + tail, or full base).
    Rebuild,
}

impl SessionKind {
    /// True for the one kind that runs the rebuild machinery instead of catch-up.
    pub const fn is_rebuild(self) -> bool {
        matches!(self, SessionKind::Rebuild)
    }

    /// The stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            SessionKind::Bootstrap => "bootstrap",
            SessionKind::CatchUp => "catch_up",
            SessionKind::Reassign => "reassign",
            SessionKind::Rebuild => "rebuild",
        }
    }
}

impl fmt::Display for SessionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newtypes_read_back_and_print_their_number() {
        // Goal: ids, ticks and endpoint versions keep their number and print it with their
        // prefix (the recovery log and traces show these texts).
        assert_eq!(ReplicaId::new(7).get(), 7);
        assert_eq!(SessionId::new(8).get(), 8);
        assert_eq!(Tick::new(12).get(), 12);
        assert_eq!(EndpointVersion::new(3).get(), 3);
        assert_eq!(Tick::new(12).to_string(), "t12");
        assert_eq!(EndpointVersion::new(3).to_string(), "v3");
        assert_eq!(Epoch::new(4).to_string(), "4");
    }

    #[test]
    fn a_range_is_empty_exactly_when_it_holds_no_lsn() {
        // Goal: `(after, through]` holds nothing when `through <= after` (a zero-gap handshake
        // and a truncation-only catch-up are empty ranges).
        let range = |after, through| LsnRange::new(Lsn::new(after), Lsn::new(through));
        assert!(range(3, 3).is_empty());
        assert!(range(5, 3).is_empty());
        assert!(!range(3, 4).is_empty());
        assert_eq!(range(3, 4).len(), 1);
    }

    #[test]
    fn tick_since_earlier_tick_saturates_at_zero() {
        assert_eq!(Tick::new(10).since(Tick::new(4)), 6);
        assert_eq!(Tick::new(4).since(Tick::new(10)), 0);
    }

    #[test]
    fn lsn_range_contains_excludes_after_and_includes_through() {
        let range = LsnRange::new(Lsn::new(50), Lsn::new(100));
        assert!(!range.contains(Lsn::new(50)));
        assert!(range.contains(Lsn::new(51)));
        assert!(range.contains(Lsn::new(100)));
        assert!(!range.contains(Lsn::new(101)));
        assert_eq!(range.len(), 50);
    }

    #[test]
    fn endpoint_changed_when_any_field_differs() {
        let base = Endpoint {
            data_addr: "a:1".into(),
            ctrl_addr: "a:2".into(),
            version: EndpointVersion::FIRST,
        };
        let cases = [
            (base.clone(), false),
            (
                Endpoint {
                    data_addr: "b:1".into(),
                    ..base.clone()
                },
                true,
            ),
            (
                Endpoint {
                    ctrl_addr: "b:2".into(),
                    ..base.clone()
                },
                true,
            ),
            (
                Endpoint {
                    version: base.version.next(),
                    ..base.clone()
                },
                true,
            ),
        ];
        for (row, (other, changed)) in cases.into_iter().enumerate() {
            assert_eq!(base.changed(&other), changed, "row {row}");
        }
    }

    #[test]
    fn replica_state_and_session_kind_display_is_snake_case() {
        assert_eq!(ReplicaState::CatchingUp.to_string(), "catching_up");
        assert_eq!(ReplicaState::NeedsRebuild.to_string(), "needs_rebuild");
        assert_eq!(SessionKind::CatchUp.to_string(), "catch_up");
    }
}

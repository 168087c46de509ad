//! The canonical state digest: a pinned byte encoding of a step's replica views, hashed with
//! FNV-1a 64, computed on the model's and the engine's views after every step.
//!
//! The encoding is explicit so two builds, two machines or two refactors agree on it: a version
//! byte, the number of views as a little-endian u64, then every view in key order, each field in
//! the order of [`ReplicaView`] (primary, replica, state, session, epoch, endpoint, recovered_to,
//! target, truncation, rebuild). Numbers are little-endian u64; an absent value is a 0 presence
//! byte, a present one a 1 followed by the value, so absence never reads as LSN 0. Enumerations
//! are one byte with the codes below; changing a code or the order is a new [`DIGEST_VERSION`].
//! `digest_layout_is_pinned` fails loudly when the bytes change.
//!
//! FNV-1a is implemented here rather than taken from std: `DefaultHasher` promises no stable
//! algorithm across Rust releases, and the digest must never change under a toolchain update.

use super::view::{ActivePhase, ReplicaView, SessionClass, SourceSummary, StepView, ViewKey};
use std::hash::Hasher;
use swb_engine::rebuild::RebuildPhase;
use swb_engine::types::{Lsn, ReplicaState};

/// The layout version, the first byte of every encoding.
pub const DIGEST_VERSION: u8 = 1;

/// FNV-1a 64: offset basis and prime from the reference specification.
#[derive(Clone, Copy, Debug)]
pub struct Fnv1a64 {
    hash: u64,
}

impl Fnv1a64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// A hasher at the offset basis.
    pub const fn new() -> Fnv1a64 {
        Fnv1a64 {
            hash: Fnv1a64::OFFSET_BASIS,
        }
    }
}

impl Default for Fnv1a64 {
    fn default() -> Fnv1a64 {
        Fnv1a64::new()
    }
}

impl Hasher for Fnv1a64 {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.hash ^= u64::from(*byte);
            self.hash = self.hash.wrapping_mul(Fnv1a64::PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// FNV-1a 64 of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv1a64::new();
    hasher.write(bytes);
    hasher.finish()
}

/// The digest of one step's views.
pub fn digest(views: &StepView) -> u64 {
    fnv1a64(&encode(views))
}

/// The canonical bytes of one step's views (see the module documentation).
pub fn encode(views: &StepView) -> Vec<u8> {
    let mut bytes = vec![DIGEST_VERSION];
    put_u64(&mut bytes, views.len() as u64);
    for (key, view) in views {
        encode_view(&mut bytes, *key, view);
    }
    bytes
}

fn encode_view(bytes: &mut Vec<u8>, (primary, replica): ViewKey, view: &ReplicaView) {
    put_u64(bytes, u64::from(primary));
    put_u64(bytes, u64::from(replica));
    bytes.push(state_code(view.state));
    match view.session {
        None => bytes.extend([0, 0]),
        Some(session) => {
            bytes.push(match session.class {
                SessionClass::CatchUp => 1,
                SessionClass::Rebuild => 2,
            });
            bytes.push(match session.phase {
                ActivePhase::Init => 1,
                ActivePhase::Connecting => 2,
                ActivePhase::Handshake => 3,
                ActivePhase::CatchUp => 4,
            });
        }
    }
    put_u64(bytes, view.epoch.get());
    put_u64(bytes, view.endpoint.get());
    put_lsn(bytes, view.recovered_to);
    put_lsn(bytes, view.target);
    put_lsn(bytes, view.truncation);
    match view.rebuild {
        None => {
            bytes.push(0);
            put_lsn(bytes, None);
            bytes.push(0);
        }
        Some(rebuild) => {
            match rebuild.source {
                SourceSummary::SnapshotTail { snapshot } => {
                    bytes.push(1);
                    put_lsn(bytes, Some(snapshot));
                }
                SourceSummary::FullBase => {
                    bytes.push(2);
                    put_lsn(bytes, None);
                }
            }
            bytes.push(rebuild_phase_code(rebuild.phase));
        }
    }
}

fn state_code(state: ReplicaState) -> u8 {
    match state {
        ReplicaState::Disconnected => 0,
        ReplicaState::Connecting => 1,
        ReplicaState::CatchingUp => 2,
        ReplicaState::Rebuilding => 3,
        ReplicaState::InSync => 4,
        ReplicaState::NeedsRebuild => 5,
    }
}

fn rebuild_phase_code(phase: RebuildPhase) -> u8 {
    match phase {
        RebuildPhase::Init => 1,
        RebuildPhase::SourceSelected => 2,
        RebuildPhase::Transfer => 3,
        RebuildPhase::TailReplay => 4,
        RebuildPhase::Completed => 5,
        RebuildPhase::Aborted => 6,
    }
}

fn put_u64(bytes: &mut Vec<u8>, value: u64) {
    bytes.extend(value.to_le_bytes());
}

fn put_lsn(bytes: &mut Vec<u8>, lsn: Option<Lsn>) {
    match lsn {
        None => {
            bytes.push(0);
            put_u64(bytes, 0);
        }
        Some(lsn) => {
            bytes.push(1);
            put_u64(bytes, lsn.get());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::view::{RebuildSummary, SessionSummary};
    use swb_engine::types::{EndpointVersion, Epoch};

    // Goal: the FNV-1a implementation matches the published test vectors.
    #[test]
    fn fnv1a64_matches_reference_vectors() {
        let rows: [(&[u8], u64); 3] = [
            (b"", 0xcbf2_9ce4_8422_2325),
            (b"a", 0xaf63_dc4c_8601_ec8c),
            (b"foobar", 0x8594_4171_f739_67e8),
        ];
        for (input, expected) in rows {
            assert_eq!(fnv1a64(input), expected, "input {input:?}");
        }
    }

    // Goal: the digest's byte layout is pinned (issue 5, "a test pins the byte layout"). A
    // catching-up replica with a truncation owed and a rebuilding one, both of primary n1; if this
    // test fails, the layout changed: bump DIGEST_VERSION and update the bytes on purpose.
    #[test]
    fn digest_layout_is_pinned() {
        let catching_up = ReplicaView {
            state: ReplicaState::CatchingUp,
            session: Some(SessionSummary {
                class: SessionClass::CatchUp,
                phase: ActivePhase::CatchUp,
            }),
            epoch: Epoch::new(2),
            endpoint: EndpointVersion::new(1),
            recovered_to: Some(Lsn::new(1)),
            target: Some(Lsn::new(3)),
            truncation: Some(Lsn::new(1)),
            rebuild: None,
        };
        let rebuilding = ReplicaView {
            state: ReplicaState::Rebuilding,
            session: Some(SessionSummary {
                class: SessionClass::Rebuild,
                phase: ActivePhase::Handshake,
            }),
            epoch: Epoch::new(2),
            endpoint: EndpointVersion::new(2),
            recovered_to: None,
            target: Some(Lsn::new(4)),
            truncation: None,
            rebuild: Some(RebuildSummary {
                source: SourceSummary::SnapshotTail {
                    snapshot: Lsn::new(2),
                },
                phase: RebuildPhase::Transfer,
            }),
        };
        let views = StepView::from([((1, 2), catching_up), ((1, 3), rebuilding)]);
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[1u8][..],                                   // version
            &2u64.to_le_bytes(),                          // two views
            // (n1, n2): catching up
            &1u64.to_le_bytes(), &2u64.to_le_bytes(),     // primary, replica
            &[2],                                         // state catching_up
            &[1, 4],                                      // session catch_up / catch_up
            &2u64.to_le_bytes(), &1u64.to_le_bytes(),     // epoch, endpoint
            &[1], &1u64.to_le_bytes(),                    // recovered_to 1
            &[1], &3u64.to_le_bytes(),                    // target 3
            &[1], &1u64.to_le_bytes(),                    // truncation 1
            &[0], &[0], &0u64.to_le_bytes(), &[0],        // no rebuild
            // (n1, n3): rebuilding
            &1u64.to_le_bytes(), &3u64.to_le_bytes(),
            &[3],                                         // state rebuilding
            &[2, 3],                                      // session rebuild / handshake
            &2u64.to_le_bytes(), &2u64.to_le_bytes(),
            &[0], &0u64.to_le_bytes(),                    // recovered_to none
            &[1], &4u64.to_le_bytes(),                    // target 4
            &[0], &0u64.to_le_bytes(),                    // truncation none
            &[1], &[1], &2u64.to_le_bytes(), &[3],        // snapshot_tail@2, transfer
        ]
        .concat();
        assert_eq!(encode(&views), expected);
        assert_eq!(digest(&views), fnv1a64(&expected));
        assert_eq!(
            digest(&views),
            2_010_109_855_610_243_299,
            "pinned digest value"
        );
    }
}

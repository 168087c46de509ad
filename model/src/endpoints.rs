//! The coordinator's endpoint cache: the newest endpoint version it has heard from each node.
//!
//! Stored as one byte per actor (0 for none, else the version's number plus one): the cache is
//! part of the coordinator's state and of every `Assign`, the largest message. As 16 bytes per
//! `Option<EndpointVersion>` it made `Msg` 120 bytes, so every message and action copied in the
//! search (an action list is built, sorted and moved for every state) was moved with a `memcpy`
//! call rather than in registers. Versions in a bounded run stay far below 255 (one per address
//! change; `set` asserts it). The order, equality, `Debug` and serde forms are those of
//! `[Option<EndpointVersion>; ACTORS_MAX]`, so saved traces and printed states read as before.

use crate::cfg::ACTORS_MAX;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use stateright::{Rewrite, RewritePlan};
use swb_engine::types::EndpointVersion;

/// The endpoint version known for each actor, by actor index (the coordinator's own slot unused).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointCache([u8; ACTORS_MAX]);

impl EndpointCache {
    /// The cache holding `endpoint(index)` for every actor index.
    pub fn from_fn(mut endpoint: impl FnMut(usize) -> Option<EndpointVersion>) -> EndpointCache {
        EndpointCache(std::array::from_fn(|index| Self::encode(endpoint(index))))
    }

    /// The version known for `actor`, if any.
    pub fn get(&self, actor: Id) -> Option<EndpointVersion> {
        Self::decode(self.0[usize::from(actor)])
    }

    /// Records `endpoint` as the version known for `actor`.
    pub fn set(&mut self, actor: Id, endpoint: Option<EndpointVersion>) {
        self.0[usize::from(actor)] = Self::encode(endpoint);
    }

    /// The known versions by actor index.
    pub fn iter(&self) -> impl Iterator<Item = Option<EndpointVersion>> + '_ {
        self.0.iter().map(|byte| Self::decode(*byte))
    }

    fn encode(endpoint: Option<EndpointVersion>) -> u8 {
        endpoint.map_or(0, |endpoint| {
            endpoint
                .get()
                .checked_add(1)
                .and_then(|byte| u8::try_from(byte).ok())
                .unwrap_or_else(|| panic!("endpoint version {endpoint} does not fit the cache"))
        })
    }

    fn decode(byte: u8) -> Option<EndpointVersion> {
        (byte != 0).then(|| EndpointVersion::new(u64::from(byte) - 1))
    }

    /// The cache as the array it stands for.
    fn expanded(&self) -> [Option<EndpointVersion>; ACTORS_MAX] {
        self.0.map(Self::decode)
    }
}

impl Rewrite<Id> for EndpointCache {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        EndpointCache(crate::symmetry::permute_array(plan, &self.0))
    }
}

impl std::fmt::Debug for EndpointCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expanded().fmt(f)
    }
}

impl Serialize for EndpointCache {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.expanded().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EndpointCache {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let versions = <[Option<EndpointVersion>; ACTORS_MAX]>::deserialize(deserializer)?;
        if let Some(version) = versions
            .iter()
            .flatten()
            .find(|version| version.get() >= u64::from(u8::MAX))
        {
            return Err(serde::de::Error::custom(format!(
                "endpoint version {version} out of range 0..255"
            )));
        }
        Ok(EndpointCache::from_fn(|index| versions[index]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every version reads back as it was set, and the byte order is `Option`'s order.
    #[test]
    fn encoding_keeps_values_and_order() {
        let versions =
            [None, Some(0), Some(1), Some(2), Some(254)].map(|v| v.map(EndpointVersion::new));
        for (index, version) in versions.iter().enumerate() {
            let mut cache = EndpointCache::default();
            cache.set(Id::from(1), *version);
            assert_eq!(cache.get(Id::from(1)), *version);
            for other in &versions[index..] {
                let mut larger = EndpointCache::default();
                larger.set(Id::from(1), *other);
                assert_eq!(cache.cmp(&larger), version.cmp(other));
            }
        }
    }

    /// The serde form is the array's, and an out-of-range version is refused, not truncated.
    #[test]
    fn serde_form_is_the_arrays() {
        let cache =
            EndpointCache::from_fn(|index| (index > 0).then(|| EndpointVersion::new(index as u64)));
        let json = serde_json::to_string(&cache).unwrap();
        assert_eq!(json, serde_json::to_string(&cache.expanded()).unwrap());
        assert_eq!(serde_json::from_str::<EndpointCache>(&json).unwrap(), cache);
        assert!(serde_json::from_str::<EndpointCache>("[null,255,null,null,null,null]").is_err());
    }
}

//! [`SharedVec`]: a vector shared between copies until one of them writes to it. (swb-check
//! patch 6; see `PATCHES.md`.)

use std::fmt::{self, Debug, Formatter};
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut, Index, IndexMut};
use std::sync::Arc;

/// A `Vec<T>` behind an [`Arc`]: cloning it shares the vector, and the first write through a
/// shared copy copies the vector (`Arc::make_mut`). Reads go through [`Deref`] to a slice,
/// writes through [`DerefMut`] or, to change the length, [`SharedVec::make_mut`]. An empty
/// `SharedVec` holds no allocation at all.
///
/// [`ActorModelState`](crate::actor::ActorModelState) keeps its per-actor side data (timers,
/// random choices, crash flags, storages) in these: a step rarely changes them, and every step
/// used to clone each of them (an allocation, and a hash-set clone per actor).
///
/// Equality, hashing and serialization are the vector's own: a `SharedVec` hashes to exactly
/// what the `Vec` it holds hashes to, so fingerprints do not change.
pub struct SharedVec<T>(Option<Arc<Vec<T>>>);

impl<T> SharedVec<T> {
    /// Wraps `vec`.
    pub fn new(vec: Vec<T>) -> Self {
        if vec.is_empty() {
            SharedVec(None)
        } else {
            SharedVec(Some(Arc::new(vec)))
        }
    }
}

impl<T: Clone> SharedVec<T> {
    /// The vector, for writing: copied first if another `SharedVec` shares it.
    pub fn make_mut(&mut self) -> &mut Vec<T> {
        Arc::make_mut(self.0.get_or_insert_with(|| Arc::new(Vec::new())))
    }
}

impl<T> Clone for SharedVec<T> {
    fn clone(&self) -> Self {
        SharedVec(self.0.clone())
    }
}

impl<T> Default for SharedVec<T> {
    fn default() -> Self {
        SharedVec(None)
    }
}

impl<T> Deref for SharedVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.0 {
            Some(vec) => vec,
            None => &[],
        }
    }
}

impl<T: Clone> DerefMut for SharedVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.make_mut()
    }
}

// `Index` and `IndexMut` of its own (not only through `Deref`), so that a `SharedVec` is a
// collection `RewritePlan::reindex` can permute.
impl<T> Index<usize> for SharedVec<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        &self.deref()[index]
    }
}

impl<T: Clone> IndexMut<usize> for SharedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.make_mut()[index]
    }
}

impl<T> From<Vec<T>> for SharedVec<T> {
    fn from(vec: Vec<T>) -> Self {
        SharedVec::new(vec)
    }
}

impl<T> FromIterator<T> for SharedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        SharedVec::new(iter.into_iter().collect())
    }
}

impl<T: Debug> Debug for SharedVec<T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.deref().fmt(f)
    }
}

impl<T: Hash> Hash for SharedVec<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.deref().hash(state)
    }
}

impl<T: PartialEq> PartialEq for SharedVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.deref() == other.deref()
    }
}

impl<T: Eq> Eq for SharedVec<T> {}

impl<T: serde::Serialize> serde::Serialize for SharedVec<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.deref().serialize(serializer)
    }
}

#[cfg(test)]
mod test {
    use super::SharedVec;
    use std::hash::{BuildHasher, Hash, Hasher};

    #[test]
    fn writes_copy_only_the_writer() {
        let original = SharedVec::new(vec![1, 2, 3]);
        let mut copy = original.clone();
        copy[1] = 20;
        assert_eq!(*original, [1, 2, 3]);
        assert_eq!(*copy, [1, 20, 3]);
        let mut empty = SharedVec::<u8>::default();
        empty.make_mut().push(7);
        assert_eq!(*empty, [7]);
    }

    #[test]
    fn hashes_as_the_vector() {
        let hasher = ahash::RandomState::with_seeds(1, 2, 3, 4);
        let hash = |value: &dyn Fn(&mut ahash::AHasher)| {
            let mut h = hasher.build_hasher();
            value(&mut h);
            h.finish()
        };
        for vec in [vec![Some(1u8), None], vec![]] {
            let shared = SharedVec::new(vec.clone());
            assert_eq!(hash(&|h| vec.hash(h)), hash(&|h| shared.hash(h)));
        }
    }
}

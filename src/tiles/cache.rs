//! One in-memory LRU cache of encoded tiles, bounded in bytes, shared by every tile set.
//! Keys carry the data version, so tiles of older data are never served and age out.

use lru::LruCache;
use std::sync::{Arc, Mutex};

/// What a cached tile depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// Tile set (layer set) name.
    pub set: &'static str,
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Normalised query (e.g. sorted kinds, month, measure).
    pub params: String,
    /// Data version the tile was made from.
    pub data_version: String,
}

/// A cached tile: the encoded bytes, empty for a tile with no features.
pub type Tile = Arc<Vec<u8>>;

/// LRU of tiles bounded by total bytes.
pub struct TileCache {
    inner: Mutex<(LruCache<TileKey, Tile>, usize)>,
    budget: usize,
}

impl TileCache {
    /// A cache holding at most `budget` bytes of tiles.
    pub fn new(budget: usize) -> TileCache {
        TileCache {
            inner: Mutex::new((LruCache::unbounded(), 0)),
            budget,
        }
    }

    /// The tile for `key`, if cached (and marks it recently used).
    pub fn get(&self, key: &TileKey) -> Option<Tile> {
        self.inner.lock().ok()?.0.get(key).cloned()
    }

    /// Stores a tile, evicting the least recently used ones beyond the byte budget.
    pub fn insert(&self, key: TileKey, tile: Tile) {
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        let (cache, used) = &mut *guard;
        let size =
            tile.len() + std::mem::size_of::<TileKey>() + key.params.len() + key.data_version.len();
        if size > self.budget {
            return;
        }
        if let Some(old) = cache.put(key, tile) {
            *used = used.saturating_sub(old.len());
        }
        *used += size;
        while *used > self.budget {
            match cache.pop_lru() {
                Some((k, t)) => {
                    *used = used.saturating_sub(
                        t.len()
                            + std::mem::size_of::<TileKey>()
                            + k.params.len()
                            + k.data_version.len(),
                    )
                }
                None => break,
            }
        }
    }

    /// Tiles and bytes held.
    pub fn usage(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|g| (g.0.len(), g.1))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        TileKey {
            set: "division",
            z: 5,
            x,
            y: 1,
            params: "kind=dibao".into(),
            data_version: "v1".into(),
        }
    }

    #[test]
    fn evicts_least_recently_used_beyond_the_budget() {
        let overhead = std::mem::size_of::<TileKey>() + "kind=dibao".len() + "v1".len();
        let cache = TileCache::new(3 * (100 + overhead));
        for x in 0..3 {
            cache.insert(key(x), Arc::new(vec![0; 100]));
        }
        assert!(cache.get(&key(0)).is_some()); // 0 is now the most recent
        cache.insert(key(3), Arc::new(vec![0; 100]));
        assert!(cache.get(&key(1)).is_none(), "1 was least recently used");
        assert!(cache.get(&key(0)).is_some() && cache.get(&key(3)).is_some());
        assert_eq!(cache.usage().0, 3);
        assert!(cache.usage().1 <= 3 * (100 + overhead));
        let other_version = TileKey {
            data_version: "v2".into(),
            ..key(0)
        };
        assert!(
            cache.get(&other_version).is_none(),
            "a new data version misses"
        );
    }
}

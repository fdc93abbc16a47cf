//! The opt-in verified-token cache: a token this verifier already verified is answered
//! without parsing it or checking its signature again.
//!
//! What makes a hit give the same verdict as a full verification:
//!
//! - The entry holds the whole token and a hit compares it byte for byte. The seeded hash is
//!   only an index, so a hash collision — chosen or accidental — is a miss, never an answer
//!   for another token.
//! - Everything a verification checks that depends only on the token's bytes and the
//!   verifier's options (decoding, `cat`, `typ`, `alg`, the signature with a given key, `sub`,
//!   `aud`, `azp`, `iss`) cannot change between two calls of one verifier, so it is not
//!   repeated. The cache belongs to one verifier; other options never see its entries.
//! - What can change is checked on every hit: the key source is asked again for the token's
//!   `kid` and `alg` (a key removed from the set fails the lookup exactly as a full
//!   verification would, and the entry is dropped), and the answer must be a key that
//!   verified this token's signature before; `exp`, `nbf` and `iat` are checked against
//!   `now` with the configured skew by the same `jwt-core` code as always.

use core::fmt;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use foldhash::SharedSeed;
use foldhash::quality::SeedableRandomState;
use jwt_core::{Algorithm, VerifyingKey};
use serde_json::{Map, Value};

use crate::claims::SessionClaims;

/// The default [`TokenCacheOptions::max_entries`].
pub const DEFAULT_TOKEN_CACHE_ENTRIES: usize = 4096;
/// The default [`TokenCacheOptions::max_token_len`]: Clerk keeps session tokens within a
/// 4 KiB cookie.
pub const DEFAULT_TOKEN_CACHE_MAX_TOKEN_LEN: usize = 4096;

/// How many verified tokens a [`Verifier`](crate::Verifier) remembers, and which.
///
/// Turned on with [`VerifyTokenOptions::with_token_cache`](crate::VerifyTokenOptions::with_token_cache);
/// off by default. See [`VerifyTokenOptions::token_cache`](crate::VerifyTokenOptions::token_cache)
/// for what a hit still checks and the security trade-off.
///
/// ```
/// use clerk_verify::{TokenCacheOptions, VerifyTokenOptions};
/// let cache = TokenCacheOptions::default().with_max_entries(10_000);
/// assert_eq!(cache.max_token_len, 4096);
/// let options = VerifyTokenOptions::default().with_token_cache(cache);
/// assert!(options.token_cache.is_some());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheOptions {
    /// The most tokens kept; past it the oldest entries are dropped first. 0 keeps none.
    /// Default 4096.
    pub max_entries: usize,
    /// Tokens longer than this many bytes are verified in full every time and never stored,
    /// which bounds the memory of each entry. Default 4096.
    pub max_token_len: usize,
}

impl Default for TokenCacheOptions {
    fn default() -> Self {
        TokenCacheOptions {
            max_entries: DEFAULT_TOKEN_CACHE_ENTRIES,
            max_token_len: DEFAULT_TOKEN_CACHE_MAX_TOKEN_LEN,
        }
    }
}

impl TokenCacheOptions {
    /// Sets [`max_entries`](Self::max_entries).
    #[must_use]
    pub fn with_max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// Sets [`max_token_len`](Self::max_token_len).
    #[must_use]
    pub fn with_max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }
}

/// Shards, so that hits on different tokens from different threads rarely meet on a lock.
const MAX_SHARDS: usize = 16;

/// Keys remembered per entry. A key source may hand different threads different copies of
/// one key (`jwks` does, to keep reference counts uncontended); each copy that verified the
/// token is remembered, so every thread gets hits after its first verification.
const MAX_KEYS_PER_ENTRY: usize = 4;

/// A verified token.
pub(crate) struct Entry {
    /// The whole token, compared on every hit.
    token: Box<str>,
    /// The header's `kid` and the token's algorithm: what the key source is asked on a hit.
    pub(crate) kid: Option<Box<str>>,
    pub(crate) alg: Algorithm,
    /// Keys (by identity) that verified this token's signature.
    keys: Box<[Arc<VerifyingKey>]>,
    /// The verified payload, exactly as signed.
    pub(crate) payload: Arc<Map<String, Value>>,
    /// The payload as typed session claims, built on first use.
    session: Arc<OnceLock<Result<SessionClaims, String>>>,
    /// Insertion number, to tell this entry from a later one for the same token.
    seq: u64,
}

impl Entry {
    /// Whether `key` (by identity) verified this token before.
    pub(crate) fn verified_with(&self, key: &Arc<VerifyingKey>) -> bool {
        self.keys.iter().any(|k| Arc::ptr_eq(k, key))
    }

    /// The payload as [`SessionClaims`] (or why it is not), built by `build` the first time.
    pub(crate) fn session_claims(
        &self,
        build: impl FnOnce(Map<String, Value>) -> Result<SessionClaims, String>,
    ) -> &Result<SessionClaims, String> {
        self.session
            .get_or_init(|| build(Map::clone(&self.payload)))
    }
}

/// What a full verification hands the cache.
pub(crate) struct Verified<'a> {
    pub(crate) token: &'a str,
    pub(crate) kid: Option<&'a str>,
    pub(crate) alg: Algorithm,
    pub(crate) key: Arc<VerifyingKey>,
    pub(crate) payload: Map<String, Value>,
}

/// The hash of a token, computed once per call.
#[derive(Clone, Copy)]
pub(crate) struct TokenHash(u64);

/// The cache of one verifier.
pub(crate) struct TokenCache {
    /// foldhash with a per-cache seed drawn from the operating system's randomness.
    hasher: SeedableRandomState,
    shards: Box<[RwLock<Shard>]>,
    shard_capacity: usize,
    max_token_len: usize,
}

#[derive(Default)]
struct Shard {
    map: HashMap<u64, Arc<Entry>, BuildHasherDefault<Prehashed>>,
    /// Insertion order, oldest first; items whose seq no longer matches are skipped.
    order: VecDeque<(u64, u64)>,
    next_seq: u64,
}

/// The map's keys are already seeded hash outputs: hashing them again would only cost time.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than lose it.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.len())
            .field("max_entries", &(self.shard_capacity * self.shards.len()))
            .field("max_token_len", &self.max_token_len)
            .finish()
    }
}

impl TokenCache {
    /// A cache for `options`, or `None` when they keep nothing.
    pub(crate) fn new(options: TokenCacheOptions) -> Option<TokenCache> {
        if options.max_entries == 0 || options.max_token_len == 0 {
            return None;
        }
        let shards = options.max_entries.min(MAX_SHARDS);
        // std's RandomState draws its keys from the operating system; one hash of it is the
        // per-cache seed (foldhash's own seeding uses addresses and time).
        let seed = RandomState::new().hash_one(0u64);
        Some(TokenCache {
            hasher: SeedableRandomState::with_seed(seed, SharedSeed::global_random()),
            shards: (0..shards).map(|_| RwLock::default()).collect(),
            // Rounded down, so that all shards together never hold more than max_entries.
            shard_capacity: options.max_entries / shards,
            max_token_len: options.max_token_len,
        })
    }

    /// The token's hash, or `None` for a token too long to cache.
    pub(crate) fn hash(&self, token: &str) -> Option<TokenHash> {
        (token.len() <= self.max_token_len).then(|| TokenHash(self.hasher.hash_one(token)))
    }

    /// The token's shard (always `Some`: the index is reduced modulo the shard count).
    fn shard(&self, h: TokenHash) -> Option<&RwLock<Shard>> {
        // The high half picks the shard, the map indexes by the whole value.
        let i = usize::try_from(h.0 >> 32).unwrap_or(0) % self.shards.len();
        self.shards.get(i)
    }

    /// The entry for exactly this token, if there is one.
    pub(crate) fn get(&self, token: &str, h: TokenHash) -> Option<Arc<Entry>> {
        let shard = read(self.shard(h)?);
        shard
            .map
            .get(&h.0)
            .filter(|e| *e.token == *token)
            .map(Arc::clone)
    }

    /// Forgets the entry for exactly this token (its key left the key set, or it expired).
    pub(crate) fn remove(&self, token: &str, h: TokenHash) {
        let Some(shard) = self.shard(h) else { return };
        let mut shard = write(shard);
        if shard.map.get(&h.0).is_some_and(|e| *e.token == *token) {
            shard.map.remove(&h.0);
        }
    }

    /// Remembers a verified token and returns its entry; an entry for the same token gains
    /// the key.
    pub(crate) fn insert(&self, h: TokenHash, v: Verified<'_>) -> Arc<Entry> {
        let Verified {
            token,
            kid,
            alg,
            key,
            payload,
        } = v;
        let mut payload = Arc::new(payload);
        let mut session = Arc::default();
        let mut keys = vec![Arc::clone(&key)];
        let entry = |keys: Vec<Arc<VerifyingKey>>, payload, session, seq| {
            Arc::new(Entry {
                token: token.into(),
                kid: kid.map(Into::into),
                alg,
                keys: keys.into_boxed_slice(),
                payload,
                session,
                seq,
            })
        };
        let Some(shard) = self.shard(h) else {
            return entry(keys, payload, session, 0);
        };
        let mut guard = write(shard);
        let shard = &mut *guard;
        if let Some(old) = shard.map.get(&h.0).filter(|e| *e.token == *token) {
            if old.verified_with(&key) {
                return Arc::clone(old);
            }
            // The same bytes verified before: keep what was derived from them.
            payload = Arc::clone(&old.payload);
            session = Arc::clone(&old.session);
            // Newest first; the oldest copy is dropped past the bound.
            keys.extend(old.keys.iter().take(MAX_KEYS_PER_ENTRY - 1).map(Arc::clone));
        } else if !shard.map.contains_key(&h.0) {
            while shard.map.len() >= self.shard_capacity {
                let Some((oldest, seq)) = shard.order.pop_front() else {
                    break;
                };
                if shard.map.get(&oldest).is_some_and(|e| e.seq == seq) {
                    shard.map.remove(&oldest);
                }
            }
        }
        let seq = shard.next_seq;
        shard.next_seq = seq.wrapping_add(1);
        let entry = entry(keys, payload, session, seq);
        shard.map.insert(h.0, Arc::clone(&entry));
        shard.order.push_back((h.0, seq));
        // Replaced and removed entries leave stale items behind; keep the queue bounded.
        if shard.order.len() > 2 * self.shard_capacity + 8 {
            let map = &shard.map;
            shard
                .order
                .retain(|(h, seq)| map.get(h).is_some_and(|e| e.seq == *seq));
        }
        entry
    }

    /// The number of tokens held.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).map.len()).sum()
    }
}

// A panic while a shard is locked cannot leave it inconsistent for readers: each update is a
// single map operation.
fn read(lock: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(lock: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Arc<VerifyingKey> {
        let jwk =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        Arc::new(VerifyingKey::from_jwk_json(jwk).unwrap())
    }

    fn put(c: &TokenCache, token: &str, key: &Arc<VerifyingKey>) {
        let h = c.hash(token).unwrap();
        c.insert(
            h,
            Verified {
                token,
                kid: Some("k"),
                alg: Algorithm::EdDSA,
                key: Arc::clone(key),
                payload: Map::new(),
            },
        );
    }

    fn has(c: &TokenCache, token: &str) -> bool {
        c.get(token, c.hash(token).unwrap()).is_some()
    }

    #[test]
    fn bounded_and_drops_the_oldest_first() {
        let c = TokenCache::new(TokenCacheOptions::default().with_max_entries(40)).unwrap();
        let k = key();
        for i in 0..1000 {
            put(&c, &format!("token-{i}"), &k);
            assert!(c.len() <= 40, "{} entries after {i}", c.len());
        }
        // 16 shards of 2: the newest token of every shard is still there, the first are not.
        assert!(c.len() >= 16);
        assert!(has(&c, "token-999"));
        assert!((0..100).all(|i| !has(&c, &format!("token-{i}"))));
        // Re-inserting and removing leave the order queue bounded.
        for _ in 0..100 {
            put(&c, "token-999", &key());
            c.remove("token-999", c.hash("token-999").unwrap());
            put(&c, "token-999", &k);
        }
        for s in &*c.shards {
            assert!(read(s).order.len() <= 2 * c.shard_capacity + 8);
        }
        assert!(c.len() <= 40);
    }

    #[test]
    fn small_bounds() {
        let c = TokenCache::new(TokenCacheOptions::default().with_max_entries(3)).unwrap();
        let k = key();
        for i in 0..50 {
            put(&c, &format!("t{i}"), &k);
            assert!(c.len() <= 3);
        }
        assert!(TokenCache::new(TokenCacheOptions::default().with_max_entries(0)).is_none());
        assert!(TokenCache::new(TokenCacheOptions::default().with_max_token_len(0)).is_none());
        let c = TokenCache::new(TokenCacheOptions::default().with_max_token_len(5)).unwrap();
        assert!(c.hash("12345").is_some());
        assert!(c.hash("123456").is_none());
    }

    #[test]
    fn exact_token_match_only() {
        let c = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let k = key();
        put(&c, "a.b.c", &k);
        let h = c.hash("a.b.c").unwrap();
        assert!(c.get("a.b.c", h).is_some());
        // Another token under the same hash (as if it collided) is not an answer.
        assert!(c.get("a.b.d", h).is_none());
        c.remove("a.b.d", h);
        assert!(c.get("a.b.c", h).is_some());
        c.remove("a.b.c", h);
        assert!(c.get("a.b.c", h).is_none());
    }

    #[test]
    fn keys_are_remembered_by_identity_and_bounded() {
        let c = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let copies: Vec<_> = (0..6).map(|_| key()).collect();
        for k in &copies {
            put(&c, "t", k);
        }
        let e = c.get("t", c.hash("t").unwrap()).unwrap();
        assert_eq!(e.keys.len(), MAX_KEYS_PER_ENTRY);
        assert!(e.verified_with(&copies[5]) && e.verified_with(&copies[2]));
        assert!(!e.verified_with(&copies[0]), "the oldest copy was dropped");
        // An equal key that never verified this token is not accepted by identity.
        assert!(!e.verified_with(&key()));
        assert_eq!(c.len(), 1);
    }
}

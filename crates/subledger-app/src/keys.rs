//! The key provider (KEY-1): one MAK-format key per purchased subscription, kept
//! outside the event log (which holds only its fingerprint) and read only through
//! the reveal command.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The characters of product keys (no vowels or look-alikes, as real keys).
const KEY_ALPHABET: &[u8] = b"BCDFGHJKMPQRTVWXY2346789";

/// Why the key vault failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyVaultError {
    #[error("key vault: {0}")]
    Storage(String),
}

/// Issues and keeps software keys.
pub trait KeyVault: Send + Sync + 'static {
    /// The key of `subscription_id`, issued on first use and the same ever after.
    fn key_for(&self, subscription_id: Uuid) -> Result<String, KeyVaultError>;
}

/// A random 25-character key, `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn random_mak_key() -> String {
    let mut rng = rand::rng();
    let mut out = String::with_capacity(29);
    for group in 0..5 {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..5 {
            let i = rng.random_range(0..KEY_ALPHABET.len());
            out.push(char::from(KEY_ALPHABET[i]));
        }
    }
    out
}

/// A key derived from a seed and the subscription: what `subledger simulate`
/// issues, so that two runs with one seed write the same fingerprints. (A
/// simulated ledger's keys are as secret as its seed: for demos and tests only.)
pub fn seeded_mak_key(seed: u64, subscription_id: Uuid) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_be_bytes());
    hasher.update(subscription_id.as_bytes());
    let digest = hasher.finalize();
    let mut out = String::with_capacity(29);
    for (i, b) in digest.iter().take(25).enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(
            KEY_ALPHABET[usize::from(*b) % KEY_ALPHABET.len()],
        ));
    }
    out
}

/// The fingerprint events carry instead of the key: enough to tell keys apart,
/// useless for activating anything.
pub fn fingerprint(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Keys in memory (tests, dry runs).
#[derive(Debug, Default)]
pub struct MemoryKeyVault {
    keys: Mutex<HashMap<Uuid, String>>,
}

impl KeyVault for MemoryKeyVault {
    fn key_for(&self, subscription_id: Uuid) -> Result<String, KeyVaultError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        Ok(keys
            .entry(subscription_id)
            .or_insert_with(random_mak_key)
            .clone())
    }
}

/// Keys in their own SQLite file beside the log, never in it.
pub struct SqliteKeyVault {
    conn: Mutex<rusqlite::Connection>,
    /// Issue keys derived from this seed instead of random ones (simulations).
    seed: Option<u64>,
}

impl SqliteKeyVault {
    pub fn open(path: &Path) -> Result<Self, KeyVaultError> {
        let err = |e: rusqlite::Error| KeyVaultError::Storage(e.to_string());
        let conn = rusqlite::Connection::open(path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS software_keys (
                 subscription_id BLOB PRIMARY KEY,
                 product_key     TEXT NOT NULL,
                 issued_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
             );",
        )
        .map_err(err)?;
        Ok(Self {
            conn: Mutex::new(conn),
            seed: None,
        })
    }

    /// A vault issuing [`seeded_mak_key`]s (for `subledger simulate`).
    pub fn open_seeded(path: &Path, seed: u64) -> Result<Self, KeyVaultError> {
        let mut vault = Self::open(path)?;
        vault.seed = Some(seed);
        Ok(vault)
    }
}

impl KeyVault for SqliteKeyVault {
    fn key_for(&self, subscription_id: Uuid) -> Result<String, KeyVaultError> {
        let err = |e: rusqlite::Error| KeyVaultError::Storage(e.to_string());
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        // Insert-if-absent then read: a concurrent first reveal still gets one key.
        conn.execute(
            "INSERT OR IGNORE INTO software_keys (subscription_id, product_key) VALUES (?1, ?2)",
            rusqlite::params![
                subscription_id.as_bytes().as_slice(),
                match self.seed {
                    Some(seed) => seeded_mak_key(seed, subscription_id),
                    None => random_mak_key(),
                }
            ],
        )
        .map_err(err)?;
        conn.query_row(
            "SELECT product_key FROM software_keys WHERE subscription_id = ?1",
            [subscription_id.as_bytes().as_slice()],
            |row| row.get(0),
        )
        .map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_1_keys_have_the_mak_format() {
        let key = random_mak_key();
        assert_eq!(key.len(), 29);
        let groups: Vec<&str> = key.split('-').collect();
        assert_eq!(groups.len(), 5);
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 5 && g.bytes().all(|b| KEY_ALPHABET.contains(&b)))
        );
        assert_ne!(random_mak_key(), key);
    }

    #[test]
    fn key_1_a_subscription_keeps_its_key_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.sqlite");
        let sub = Uuid::from_u128(9);
        let first = SqliteKeyVault::open(&path).unwrap().key_for(sub).unwrap();
        let again = SqliteKeyVault::open(&path).unwrap().key_for(sub).unwrap();
        assert_eq!(first, again);
        assert_ne!(
            first,
            SqliteKeyVault::open(&path)
                .unwrap()
                .key_for(Uuid::from_u128(10))
                .unwrap()
        );
        assert!(!fingerprint(&first).contains(&first));
        assert_eq!(fingerprint(&first), fingerprint(&again));
    }
}

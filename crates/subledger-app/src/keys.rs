//! The key provider (KEY-1): one MAK-format key per purchased subscription, kept
//! outside the event log (which holds only its fingerprint) and read only through
//! the reveal command.
//!
//! Issuing is two steps so that a reveal is decided once, with the fingerprint in
//! it, and a key is stored only for a reveal the rules accept: the ledger asks for
//! the [`KeyVault::proposed_key`] (the subscription's key, or the one it would get;
//! nothing is stored), decides, and only if the reveal is accepted calls
//! [`KeyVault::issue`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The characters of product keys (no vowels or look-alikes, as real keys).
const KEY_ALPHABET: &[u8] = b"BCDFGHJKMPQRTVWXY2346789";

/// Why the key vault failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyVaultError {
    #[error("key vault: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("key vault: {0}")]
    Postgres(#[from] crate::pg::PgError),
    /// The vault's file fails SQLite's integrity check at open.
    #[error("key vault damaged: {0}")]
    Damaged(String),
    /// The vault accepted a key but does not hold it afterwards.
    #[error("key vault: the key of subscription {0} was not kept")]
    NotKept(Uuid),
}

impl KeyVaultError {
    /// Whether the vault's disk is full: nothing was kept, and trying again once
    /// space is freed may work.
    pub fn is_storage_full(&self) -> bool {
        match self {
            KeyVaultError::Storage(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::DiskFull
            }
            KeyVaultError::Postgres(e) => e.is_storage_full(),
            _ => false,
        }
    }

    /// Whether the vault's file is damaged (not a database, or malformed).
    pub fn is_corrupt(&self) -> bool {
        matches!(self, KeyVaultError::Storage(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
            || matches!(self, KeyVaultError::Damaged(_))
    }
}

/// Issues and keeps software keys: one per subscription, the same ever after.
/// Async because a vault shared by several nodes lives in their database.
#[async_trait]
pub trait KeyVault: Send + Sync + 'static {
    /// The key `subscription_id` has, or else the key it would be issued now.
    /// Stores nothing.
    async fn proposed_key(&self, subscription_id: Uuid) -> Result<String, KeyVaultError>;

    /// Gives `subscription_id` the key `proposed` unless it has one already, and
    /// returns the key it has. Whoever issues first wins: a proposal made before
    /// another process issued comes back replaced by that process's key.
    async fn issue(&self, subscription_id: Uuid, proposed: &str) -> Result<String, KeyVaultError>;

    /// The key of `subscription_id`, issued on first use and the same ever after.
    async fn key_for(&self, subscription_id: Uuid) -> Result<String, KeyVaultError> {
        let proposed = self.proposed_key(subscription_id).await?;
        self.issue(subscription_id, &proposed).await
    }
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

impl MemoryKeyVault {
    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, String>> {
        // The map is valid between statements, so a poisoned lock is usable.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl KeyVault for MemoryKeyVault {
    async fn proposed_key(&self, subscription_id: Uuid) -> Result<String, KeyVaultError> {
        Ok(self
            .keys()
            .get(&subscription_id)
            .cloned()
            .unwrap_or_else(random_mak_key))
    }

    async fn issue(&self, subscription_id: Uuid, proposed: &str) -> Result<String, KeyVaultError> {
        Ok(self
            .keys()
            .entry(subscription_id)
            .or_insert_with(|| proposed.to_owned())
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
        let conn = rusqlite::Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS software_keys (
                 subscription_id BLOB PRIMARY KEY,
                 product_key     TEXT NOT NULL,
                 issued_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
             );",
        )?;
        // The vault holds what the log does not (the keys themselves): a damaged
        // file must stop the server at start, not fail a reveal later.
        let check: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(KeyVaultError::Damaged(check));
        }
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

impl SqliteKeyVault {
    fn connection(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        // A connection is valid between statements, so a poisoned lock is usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stored_key(
        conn: &rusqlite::Connection,
        subscription_id: Uuid,
    ) -> Result<Option<String>, KeyVaultError> {
        use rusqlite::OptionalExtension;
        Ok(conn
            .query_row(
                "SELECT product_key FROM software_keys WHERE subscription_id = ?1",
                [subscription_id.as_bytes().as_slice()],
                |row| row.get(0),
            )
            .optional()?)
    }
}

#[async_trait]
impl KeyVault for SqliteKeyVault {
    async fn proposed_key(&self, subscription_id: Uuid) -> Result<String, KeyVaultError> {
        let stored = Self::stored_key(&self.connection(), subscription_id)?;
        Ok(stored.unwrap_or_else(|| match self.seed {
            Some(seed) => seeded_mak_key(seed, subscription_id),
            None => random_mak_key(),
        }))
    }

    async fn issue(&self, subscription_id: Uuid, proposed: &str) -> Result<String, KeyVaultError> {
        let conn = self.connection();
        // Insert-if-absent then read: of two first reveals (two processes), the
        // one inserted first is the key, and the other gets it back.
        conn.execute(
            "INSERT OR IGNORE INTO software_keys (subscription_id, product_key) VALUES (?1, ?2)",
            rusqlite::params![subscription_id.as_bytes().as_slice(), proposed],
        )?;
        Self::stored_key(&conn, subscription_id)?.ok_or(KeyVaultError::NotKept(subscription_id))
    }
}

/// Keys in the ledger's PostgreSQL schema, shared by every node on it (never in
/// the log: a table of their own, `software_keys`).
pub struct PgKeyVault {
    pool: Pool,
    /// Issue keys derived from this seed instead of random ones (simulations).
    seed: Option<u64>,
}

impl std::fmt::Debug for PgKeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgKeyVault")
            .field("seeded", &self.seed.is_some())
            .finish_non_exhaustive()
    }
}

impl PgKeyVault {
    /// The vault in the schema of `pool`'s connections (a `PostgresStore`'s
    /// `pool()`), its table created if absent.
    pub async fn open(pool: Pool) -> Result<Self, KeyVaultError> {
        crate::pg::create_tables(
            &pool,
            "CREATE TABLE IF NOT EXISTS software_keys (
                 subscription_id uuid PRIMARY KEY,
                 product_key     text NOT NULL,
                 issued_at       timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
        Ok(Self { pool, seed: None })
    }

    /// A vault issuing [`seeded_mak_key`]s (for `subledger simulate`).
    pub async fn open_seeded(pool: Pool, seed: u64) -> Result<Self, KeyVaultError> {
        let mut vault = Self::open(pool).await?;
        vault.seed = Some(seed);
        Ok(vault)
    }

    async fn stored_key(
        client: &deadpool_postgres::Client,
        subscription_id: Uuid,
    ) -> Result<Option<String>, crate::pg::PgError> {
        let row = client
            .query_opt(
                "SELECT product_key FROM software_keys WHERE subscription_id = $1",
                &[&subscription_id],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }
}

#[async_trait]
impl KeyVault for PgKeyVault {
    async fn proposed_key(&self, subscription_id: Uuid) -> Result<String, KeyVaultError> {
        let client = self.pool.get().await.map_err(crate::pg::PgError::from)?;
        let stored = Self::stored_key(&client, subscription_id).await?;
        Ok(stored.unwrap_or_else(|| match self.seed {
            Some(seed) => seeded_mak_key(seed, subscription_id),
            None => random_mak_key(),
        }))
    }

    async fn issue(&self, subscription_id: Uuid, proposed: &str) -> Result<String, KeyVaultError> {
        let client = self.pool.get().await.map_err(crate::pg::PgError::from)?;
        // Insert-if-absent then read (two statements: the read's snapshot must
        // see another node's insert that this one waited for): of two first
        // reveals on two nodes, the one committed first is the key.
        client
            .execute(
                "INSERT INTO software_keys (subscription_id, product_key) VALUES ($1, $2)
                 ON CONFLICT (subscription_id) DO NOTHING",
                &[&subscription_id, &proposed],
            )
            .await
            .map_err(crate::pg::PgError::from)?;
        Self::stored_key(&client, subscription_id)
            .await?
            .ok_or(KeyVaultError::NotKept(subscription_id))
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

    #[tokio::test]
    async fn key_1_a_subscription_keeps_its_key_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.sqlite");
        let sub = Uuid::from_u128(9);
        let first = SqliteKeyVault::open(&path)
            .unwrap()
            .key_for(sub)
            .await
            .unwrap();
        let again = SqliteKeyVault::open(&path)
            .unwrap()
            .key_for(sub)
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_ne!(
            first,
            SqliteKeyVault::open(&path)
                .unwrap()
                .key_for(Uuid::from_u128(10))
                .await
                .unwrap()
        );
        assert!(!fingerprint(&first).contains(&first));
        assert_eq!(fingerprint(&first), fingerprint(&again));
    }

    /// KEY-1's issuing contract, for any vault.
    pub(crate) async fn assert_the_first_issue_wins(vault: &dyn KeyVault, sub: Uuid) {
        let proposed = vault.proposed_key(sub).await.unwrap();
        // Proposed but never issued (a refused reveal): still no key.
        assert_ne!(vault.proposed_key(sub).await.unwrap(), proposed);
        let issued = vault.issue(sub, &proposed).await.unwrap();
        assert_eq!(issued, proposed);
        assert_eq!(vault.proposed_key(sub).await.unwrap(), issued);
        // A proposal made before that issue comes back as the key issued.
        assert_eq!(vault.issue(sub, &random_mak_key()).await.unwrap(), issued);
        assert_eq!(vault.key_for(sub).await.unwrap(), issued);
    }

    #[tokio::test]
    async fn key_1_a_proposal_stores_nothing_and_the_first_issue_wins() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteKeyVault::open(&dir.path().join("keys.sqlite")).unwrap();
        let vaults: [&dyn KeyVault; 2] = [&MemoryKeyVault::default(), &sqlite];
        for vault in vaults {
            assert_the_first_issue_wins(vault, Uuid::from_u128(7)).await;
        }
    }

    #[tokio::test]
    #[cfg_attr(
        not(pg_tests),
        ignore = "SUBLEDGER_PG_TESTS not set: no PostgreSQL (run through scripts/with-postgres.sh)"
    )]
    async fn key_1_the_postgres_vault_gives_two_nodes_one_key() {
        let (a, b) = crate::pg::tests::two_nodes().await;
        let (va, vb) = (
            PgKeyVault::open(a.pool().clone()).await.unwrap(),
            PgKeyVault::open(b.pool().clone()).await.unwrap(),
        );
        assert_the_first_issue_wins(&va, Uuid::from_u128(7)).await;
        assert_eq!(
            vb.key_for(Uuid::from_u128(7)).await.unwrap(),
            va.key_for(Uuid::from_u128(7)).await.unwrap()
        );
        // Two first reveals at once, one on each node: one key.
        for n in 0..20u128 {
            let sub = Uuid::from_u128(100 + n);
            let (pa, pb) = (
                va.proposed_key(sub).await.unwrap(),
                vb.proposed_key(sub).await.unwrap(),
            );
            assert_ne!(pa, pb);
            let (ka, kb) = tokio::join!(va.issue(sub, &pa), vb.issue(sub, &pb));
            let (ka, kb) = (ka.unwrap(), kb.unwrap());
            assert_eq!(ka, kb);
            assert!(ka == pa || ka == pb);
        }
        // Seeded: what `subledger simulate` issues.
        let seeded = PgKeyVault::open_seeded(a.pool().clone(), 42).await.unwrap();
        let sub = Uuid::from_u128(999);
        assert_eq!(seeded.key_for(sub).await.unwrap(), seeded_mak_key(42, sub));
    }
}

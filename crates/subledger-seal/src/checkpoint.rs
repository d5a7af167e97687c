//! Signed checkpoints (docs/VERIFY.md §4): `{tree_size, root_hash, chain_hash,
//! timestamp, key_id, signature}`, Ed25519 over a fixed text, and the key files.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::{Hash, from_hex, to_hex};

/// Why a key or checkpoint could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading the key file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the key file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists (keygen never overwrites a key)")]
    Exists { path: PathBuf },
    #[error("{path} does not hold a key: expected 64 hex characters (32 bytes)")]
    Malformed { path: PathBuf },
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// A signed checkpoint as stored, served and held by auditors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    pub tree_size: u64,
    pub root_hash: String,
    pub chain_hash: String,
    pub timestamp: String,
    pub key_id: String,
    pub signature: String,
}

/// What is wrong with a checkpoint itself (before comparing it with a log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint's {0} is not 64 hex characters")]
    BadHash(&'static str),
    #[error("the checkpoint was signed by key {found}, not by the key given ({expected})")]
    OtherKey { expected: String, found: String },
    #[error("the checkpoint's signature does not verify")]
    BadSignature,
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn message(tree_size: u64, root: &Hash, chain: &Hash, timestamp: &str) -> Vec<u8> {
        format!(
            "subledger checkpoint v1\ntree_size {tree_size}\nroot_hash {}\nchain_hash {}\ntimestamp {timestamp}\n",
            to_hex(root),
            to_hex(chain)
        )
        .into_bytes()
    }

    /// Signs a checkpoint of the first `tree_size` records.
    pub fn sign(
        key: &SigningKey,
        tree_size: u64,
        root: &Hash,
        chain: &Hash,
        timestamp: String,
    ) -> Checkpoint {
        let signature = key.sign(&Checkpoint::message(tree_size, root, chain, &timestamp));
        Checkpoint {
            tree_size,
            root_hash: to_hex(root),
            chain_hash: to_hex(chain),
            timestamp,
            key_id: key_id(&key.verifying_key()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// The root the checkpoint commits to.
    pub fn root(&self) -> Result<Hash, CheckpointError> {
        from_hex(&self.root_hash).ok_or(CheckpointError::BadHash("root_hash"))
    }

    /// The chain hash the checkpoint commits to.
    pub fn chain(&self) -> Result<Hash, CheckpointError> {
        from_hex(&self.chain_hash).ok_or(CheckpointError::BadHash("chain_hash"))
    }

    /// Checks the signature with `key`.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CheckpointError> {
        let expected = key_id(key);
        if self.key_id != expected {
            return Err(CheckpointError::OtherKey {
                expected,
                found: self.key_id.clone(),
            });
        }
        let message = Checkpoint::message(
            self.tree_size,
            &self.root()?,
            &self.chain()?,
            &self.timestamp,
        );
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut bytes)
            .map_err(|_| CheckpointError::BadSignature)?;
        key.verify(&message, &Signature::from_bytes(&bytes))
            .map_err(|_| CheckpointError::BadSignature)
    }
}

/// The first 8 bytes of `H(public key)`, in hex: which key signed.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// A new signing key from the operating system's random source.
pub fn generate_key() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public key's file beside a secret key's: `FILE.pub`.
pub fn public_key_path(secret: &Path) -> PathBuf {
    let mut name = secret.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Writes `key` to `path` (mode 0600) and its public key to `path.pub`; never
/// overwrites either.
pub fn write_key_files(key: &SigningKey, path: &Path) -> Result<PathBuf, KeyError> {
    let public = public_key_path(path);
    for p in [path, public.as_path()] {
        if p.exists() {
            return Err(KeyError::Exists { path: p.to_owned() });
        }
    }
    write_new(path, &format!("{}\n", hex::encode(key.to_bytes())), true)?;
    write_new(
        &public,
        &format!("{}\n", hex::encode(key.verifying_key().as_bytes())),
        false,
    )?;
    Ok(public)
}

fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let wrap = |source| KeyError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(wrap)?;
    file.write_all(text.as_bytes()).map_err(wrap)?;
    file.sync_all().map_err(wrap)
}

fn read_32(path: &Path) -> Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })?;
    from_hex(text.trim()).ok_or_else(|| KeyError::Malformed {
        path: path.to_owned(),
    })
}

/// Reads a secret key file.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    Ok(SigningKey::from_bytes(&read_32(path)?))
}

/// Reads a public key file.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&read_32(path)?).map_err(|_| KeyError::Malformed {
        path: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CHAIN_START, empty_root};

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_breaks_it() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let cp = Checkpoint::sign(
            &key,
            0,
            &empty_root(),
            &CHAIN_START,
            "2026-12-04T00:00:00Z".into(),
        );
        assert_eq!(cp.verify(&key.verifying_key()), Ok(()));
        let mut bigger = cp.clone();
        bigger.tree_size = 1;
        assert_eq!(
            bigger.verify(&key.verifying_key()),
            Err(CheckpointError::BadSignature)
        );
        let mut later = cp.clone();
        later.timestamp = "2026-12-04T00:00:01Z".into();
        assert_eq!(
            later.verify(&key.verifying_key()),
            Err(CheckpointError::BadSignature)
        );
        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(matches!(
            cp.verify(&other.verifying_key()),
            Err(CheckpointError::OtherKey { .. })
        ));
    }

    #[test]
    fn the_signed_text_is_the_documented_one() {
        let text = Checkpoint::message(3, &[0xaa; 32], &[0xbb; 32], "2026-12-04T17:20:01.123456Z");
        let expected = format!(
            "subledger checkpoint v1\ntree_size 3\nroot_hash {}\nchain_hash {}\ntimestamp 2026-12-04T17:20:01.123456Z\n",
            "aa".repeat(32),
            "bb".repeat(32)
        );
        assert_eq!(String::from_utf8(text).ok(), Some(expected));
    }

    #[test]
    fn key_files_round_trip_and_are_never_overwritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ledger.key");
        let key = generate_key().expect("random");
        let public = write_key_files(&key, &path).expect("written");
        assert_eq!(
            read_signing_key(&path).expect("read").to_bytes(),
            key.to_bytes()
        );
        assert_eq!(read_public_key(&public).expect("read"), key.verifying_key());
        assert!(matches!(
            write_key_files(&key, &path),
            Err(KeyError::Exists { .. })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "nope\n").expect("write");
        assert!(matches!(
            read_signing_key(&path),
            Err(KeyError::Malformed { .. })
        ));
    }
}

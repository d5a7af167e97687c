//! The auth file of API.md: bearer tokens mapped to actors (GEN-2). Loaded and
//! validated once at start, so a typo in a role or a token shared by two users
//! stops the server instead of letting a request through under the wrong actor.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subledger_domain::{Actor, Role};
use uuid::Uuid;

/// The partner id of the development auth file (the example of API.md).
pub const DEVELOPMENT_PARTNER_ID: Uuid = Uuid::from_u128(0x1111_1111_1111_1111_1111_1111_1111_1111);

/// The JSON auth file: `{ "tokens": [ … ] }`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    pub tokens: Vec<TokenEntry>,
}

/// One token and the actor it stands for.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub token: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Uuid>,
    pub roles: Vec<Role>,
}

/// Tokens are secrets: debug output names the user, never the token.
impl std::fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEntry")
            .field("token", &"<redacted>")
            .field("user", &self.user)
            .field("partner_id", &self.partner_id)
            .field("customer_id", &self.customer_id)
            .field("roles", &self.roles)
            .finish()
    }
}

impl std::fmt::Debug for AuthFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFile")
            .field("tokens", &self.tokens)
            .finish()
    }
}

/// Why an auth file was refused. Entries are named by position and user, never
/// by token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("auth file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("auth file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("auth file has no tokens")]
    Empty,
    #[error("auth file entry {index} ({user}): {problem}")]
    Entry {
        index: usize,
        user: String,
        problem: String,
    },
    #[error("auth file entries {first} and {second} share one token")]
    DuplicateToken { first: usize, second: usize },
}

impl TokenEntry {
    /// The actor this token acts as.
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user.clone(),
            partner_id: self.partner_id,
            customer_id: self.customer_id,
            roles: self.roles.clone(),
        }
    }
}

impl AuthFile {
    /// Reads and validates an auth file.
    pub fn load(path: &Path) -> Result<AuthFile, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            AuthError::Parse { message, .. } => AuthError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates the JSON of an auth file.
    pub fn from_json(text: &str) -> Result<AuthFile, AuthError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let file: AuthFile =
            serde_path_to_error::deserialize(&mut de).map_err(|e| AuthError::Parse {
                path: String::new(),
                // The message names the field; serde never echoes a string value
                // it accepted, so no token ends up here.
                message: format!("at {}: {}", e.path(), e.inner()),
            })?;
        file.validate()?;
        Ok(file)
    }

    /// Checks what serde cannot: at least one token, tokens unique and
    /// non-empty, exactly one of partner/customer, roles that fit the kind of actor.
    pub fn validate(&self) -> Result<(), AuthError> {
        if self.tokens.is_empty() {
            return Err(AuthError::Empty);
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (index, t) in self.tokens.iter().enumerate() {
            let fail = |problem: &str| AuthError::Entry {
                index,
                user: t.user.clone(),
                problem: problem.to_owned(),
            };
            if t.user.trim().is_empty() {
                return Err(fail("user is empty"));
            }
            if t.token.is_empty() {
                return Err(fail("token is empty"));
            }
            if t.token.chars().any(|c| !c.is_ascii_graphic()) {
                return Err(fail("token must be printable ASCII without spaces"));
            }
            match (t.partner_id, t.customer_id) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => return Err(fail("exactly one of partner_id and customer_id is needed")),
            }
            if t.roles.is_empty() {
                return Err(fail("roles is empty"));
            }
            let partner = t.partner_id.is_some();
            if let Some(r) = t.roles.iter().find(|r| r.is_partner_role() != partner) {
                return Err(fail(&format!(
                    "role {} is not a {} role",
                    r.as_str(),
                    if partner { "partner" } else { "customer" }
                )));
            }
            if let Some(first) = seen.insert(t.token.as_str(), index) {
                return Err(AuthError::DuplicateToken {
                    first,
                    second: index,
                });
            }
        }
        Ok(())
    }

    /// A development auth file: one partner token holding every partner role,
    /// random, for the example partner of API.md.
    pub fn development() -> AuthFile {
        AuthFile {
            tokens: vec![TokenEntry {
                token: random_token(),
                user: "developer@partner.example".to_owned(),
                partner_id: Some(DEVELOPMENT_PARTNER_ID),
                customer_id: None,
                roles: Role::ALL
                    .iter()
                    .copied()
                    .filter(|r| r.is_partner_role())
                    .collect(),
            }],
        }
    }

    /// A development auth file with one token per partner (user name, partner id),
    /// each holding every partner role, and one per customer (user name, customer
    /// id) for its global admin: what `subledger simulate` writes beside the ledger
    /// it makes, so its partners and customers can be acted as over HTTP.
    pub fn development_for(partners: &[(String, Uuid)], customers: &[(String, Uuid)]) -> AuthFile {
        let partner_roles: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| r.is_partner_role())
            .collect();
        let partner_tokens = partners.iter().map(|(user, partner)| TokenEntry {
            token: random_token(),
            user: user.clone(),
            partner_id: Some(*partner),
            customer_id: None,
            roles: partner_roles.clone(),
        });
        let customer_tokens = customers.iter().map(|(user, customer)| TokenEntry {
            token: random_token(),
            user: user.clone(),
            partner_id: None,
            customer_id: Some(*customer),
            roles: vec![Role::CustomerGlobalAdmin],
        });
        AuthFile {
            tokens: partner_tokens.chain(customer_tokens).collect(),
        }
    }

    /// Writes the file readable by its owner only (0600): it holds secrets. The
    /// file is written beside its final name and renamed, so a reader never sees
    /// half of it.
    pub fn write(&self, path: &Path) -> Result<(), AuthError> {
        let io = |source| AuthError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| io(e.into()))?;
        let tmp = path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        {
            // `mode` applies only when the file is created; an old one keeps its own.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        file.write_all(&text).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// 40 random characters from a 62-letter alphabet (about 238 bits).
fn random_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Tokens looked up by their SHA-256 digest, so the comparison never runs over
/// the secret itself character by character.
#[derive(Debug)]
pub(crate) struct TokenIndex {
    by_digest: HashMap<[u8; 32], Actor>,
}

impl TokenIndex {
    pub(crate) fn new(file: &AuthFile) -> Self {
        Self {
            by_digest: file
                .tokens
                .iter()
                .map(|t| (digest(&t.token), t.actor()))
                .collect(),
        }
    }

    pub(crate) fn actor(&self, token: &str) -> Option<&Actor> {
        self.by_digest.get(&digest(token))
    }

    /// The digest of `token` if it is a token of the auth file: a key that
    /// names the token without holding it (the rate limiter's).
    pub(crate) fn known_digest(&self, token: &str) -> Option<[u8; 32]> {
        let d = digest(token);
        self.by_digest.contains_key(&d).then_some(d)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Role names, for messages.
pub(crate) fn role_names(roles: &[Role]) -> Vec<&'static str> {
    let mut seen = HashSet::new();
    roles
        .iter()
        .filter(|r| seen.insert(**r))
        .map(|r| r.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(token: &str) -> serde_json::Value {
        serde_json::json!({"token": token, "user": "a@p.example",
            "partner_id": DEVELOPMENT_PARTNER_ID, "roles": ["admin_agent"]})
    }

    fn parse(v: serde_json::Value) -> Result<AuthFile, AuthError> {
        AuthFile::from_json(&v.to_string())
    }

    #[test]
    fn a_valid_file_loads_and_maps_tokens_to_actors() {
        let file = parse(serde_json::json!({"tokens": [
            entry("token-aaaaaaaaaaaaaaaa"),
            {"token": "token-cccccccccccccccc", "user": "c@c.example",
             "customer_id": "22222222-2222-2222-2222-222222222222",
             "roles": ["customer_global_admin"]}]}))
        .unwrap();
        let index = TokenIndex::new(&file);
        let a = index.actor("token-aaaaaaaaaaaaaaaa").unwrap();
        assert_eq!(a.partner_id, Some(DEVELOPMENT_PARTNER_ID));
        assert_eq!(a.roles, vec![Role::AdminAgent]);
        assert!(
            index
                .actor("token-cccccccccccccccc")
                .unwrap()
                .customer_id
                .is_some()
        );
        assert!(index.actor("token-aaaaaaaaaaaaaaab").is_none());
    }

    #[test]
    fn invalid_files_are_refused_with_the_reason() {
        let dup = parse(serde_json::json!({"tokens": [
            entry("token-aaaaaaaaaaaaaaaa"), entry("token-aaaaaaaaaaaaaaaa")]}));
        assert!(matches!(
            dup,
            Err(AuthError::DuplicateToken {
                first: 0,
                second: 1
            })
        ));
        assert!(matches!(
            parse(serde_json::json!({"tokens": []})),
            Err(AuthError::Empty)
        ));
        let both = parse(
            serde_json::json!({"tokens": [{"token": "token-aaaaaaaaaaaaaaaa",
            "user": "x", "partner_id": DEVELOPMENT_PARTNER_ID,
            "customer_id": DEVELOPMENT_PARTNER_ID, "roles": ["admin_agent"]}]}),
        );
        assert!(
            matches!(&both, Err(AuthError::Entry { problem, .. }) if problem.contains("exactly one")),
            "{both:?}"
        );
        let neither = parse(
            serde_json::json!({"tokens": [{"token": "token-aaaaaaaaaaaaaaaa",
            "user": "x", "roles": ["admin_agent"]}]}),
        );
        assert!(matches!(neither, Err(AuthError::Entry { .. })));
        let unknown_role = parse(
            serde_json::json!({"tokens": [{"token": "token-aaaaaaaaaaaaaaaa",
            "user": "x", "partner_id": DEVELOPMENT_PARTNER_ID, "roles": ["super_admin"]}]}),
        );
        assert!(
            matches!(&unknown_role, Err(AuthError::Parse { message, .. }) if message.contains("roles")),
            "{unknown_role:?}"
        );
        let no_roles = parse(
            serde_json::json!({"tokens": [{"token": "token-aaaaaaaaaaaaaaaa",
            "user": "x", "partner_id": DEVELOPMENT_PARTNER_ID, "roles": []}]}),
        );
        assert!(matches!(no_roles, Err(AuthError::Entry { .. })));
        let wrong_kind = parse(
            serde_json::json!({"tokens": [{"token": "token-aaaaaaaaaaaaaaaa",
            "user": "x", "partner_id": DEVELOPMENT_PARTNER_ID, "roles": ["customer_global_admin"]}]}),
        );
        assert!(matches!(wrong_kind, Err(AuthError::Entry { .. })));
        let empty = parse(serde_json::json!({"tokens": [entry("")]}));
        assert!(matches!(empty, Err(AuthError::Entry { .. })));
        let typo = parse(
            serde_json::json!({"tokens": [{"token": "token-aaaaaaaaaaaaaaaa",
            "user": "x", "partner": DEVELOPMENT_PARTNER_ID, "roles": ["admin_agent"]}]}),
        );
        assert!(matches!(typo, Err(AuthError::Parse { .. })));
    }

    #[test]
    fn errors_and_debug_output_never_show_a_token() {
        let secret = "token-secret-secret-secret";
        let file = parse(serde_json::json!({"tokens": [entry(secret)]})).unwrap();
        assert!(!format!("{file:?}").contains(secret));
        let err = parse(serde_json::json!({"tokens": [entry(secret), entry(secret)]})).unwrap_err();
        assert!(!err.to_string().contains(secret));
    }

    #[test]
    fn the_development_file_is_valid_random_and_written_owner_only() {
        let a = AuthFile::development();
        let b = AuthFile::development();
        a.validate().unwrap();
        assert_ne!(a.tokens[0].token, b.tokens[0].token);
        assert!(a.tokens[0].token.len() >= 32);
        let actor = a.tokens[0].actor();
        for role in Role::ALL.iter().filter(|r| r.is_partner_role()) {
            assert!(actor.has(*role), "{role:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        a.write(&path).unwrap();
        assert_eq!(AuthFile::load(&path).unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

//! The one way the program opens an event store: `serve` and `exec` (read-write),
//! `simulate` (a new log only) and the tools (read-only) name the store with their
//! flags and say what they will do with the log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use subledger_store::{
    EsdbConfig, EsdbStore, EventStore, PostgresConfig, PostgresStore, SqliteConfig, SqliteStore,
    StoreError, Synchronous,
};

/// Which store holds the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend<'a> {
    /// The data directory's `events.db`.
    Embedded,
    /// EventStoreDB, by connection string.
    EventStoreDb(&'a str),
    /// PostgreSQL, by URL, in this schema.
    Postgres { url: &'a str, schema: &'a str },
}

/// Where the log is.
#[derive(Debug, Clone, Copy)]
pub struct StoreSpec<'a> {
    /// The data directory (the SQLite log is its `events.db`; the node's own files
    /// are there whichever store holds the log).
    pub data_dir: &'a Path,
    pub backend: Backend<'a>,
    /// Commit durability of the SQLite log when it is written.
    pub durability: Synchronous,
}

/// The opened log, and the PostgreSQL store itself when it is one (the key vault
/// and the refusal memory of several nodes live in the same database).
pub struct OpenedStore {
    pub store: Arc<dyn EventStore>,
    pub postgres: Option<PostgresStore>,
}

/// A connection string as it may be shown: without its password.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _password)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

/// What the command does with the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Reads and appends; the data directory and the log are created if absent.
    ReadWrite,
    /// Only reads an existing log: the SQLite log without a lock or a writer, so
    /// beside a running server.
    ReadOnly,
    /// Writes a new ledger: the log must hold no event yet.
    NewOnly,
}

/// Why the store could not be opened. The message names what was being done;
/// the error underneath is the `source`.
#[derive(Debug)]
pub enum OpenError {
    NoDataDir(PathBuf),
    NoLog(PathBuf),
    CreateDataDir(PathBuf, std::io::Error),
    Open(PathBuf, StoreError),
    Connect(String, StoreError),
    /// `NewOnly`, and the log holds events.
    NotNew {
        /// Where the log is, and the flag that chooses another place.
        place: String,
        choose: &'static str,
        head: u64,
    },
    Store(StoreError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::NoDataDir(dir) => write!(
                f,
                "no data directory at {} (pass --data-dir DIR)",
                dir.display()
            ),
            OpenError::NoLog(path) => write!(f, "no event store at {}", path.display()),
            OpenError::CreateDataDir(dir, _) => {
                write!(f, "creating the data directory {}", dir.display())
            }
            OpenError::Open(path, _) => {
                write!(f, "cannot open the event store {}", path.display())
            }
            OpenError::Connect(url, _) => write!(f, "cannot connect to {url}"),
            OpenError::NotNew {
                place,
                choose,
                head,
            } => write!(
                f,
                "{place} already holds a log of {head} events: simulate writes a new ledger \
                 (choose an empty {choose})"
            ),
            OpenError::Store(_) => f.write_str("reading the event store's head"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::CreateDataDir(_, e) => Some(e),
            OpenError::Open(_, e) | OpenError::Connect(_, e) | OpenError::Store(e) => Some(e),
            OpenError::NoDataDir(_) | OpenError::NoLog(_) | OpenError::NotNew { .. } => None,
        }
    }
}

/// Opens the log `spec` names, as `mode` allows.
pub async fn open_store(
    spec: StoreSpec<'_>,
    mode: OpenMode,
) -> Result<Arc<dyn EventStore>, OpenError> {
    Ok(open_store_with(spec, mode).await?.store)
}

/// [`open_store`], keeping the PostgreSQL store's own handle when it is one.
pub async fn open_store_with(
    spec: StoreSpec<'_>,
    mode: OpenMode,
) -> Result<OpenedStore, OpenError> {
    let mut postgres = None;
    if mode == OpenMode::ReadOnly {
        if spec.backend == Backend::Embedded && !spec.data_dir.is_dir() {
            return Err(OpenError::NoDataDir(spec.data_dir.to_owned()));
        }
    } else {
        // The key vault and the projections live there whichever store holds the log.
        std::fs::create_dir_all(spec.data_dir)
            .map_err(|e| OpenError::CreateDataDir(spec.data_dir.to_owned(), e))?;
    }
    let store: Arc<dyn EventStore> = match spec.backend {
        Backend::EventStoreDb(url) => Arc::new(
            EsdbStore::connect(EsdbConfig::new(url.to_owned()))
                .await
                .map_err(|e| OpenError::Connect(format!("EventStoreDB at {url}"), e))?,
        ),
        Backend::Postgres { url, schema } => {
            let pg = PostgresStore::connect_with(PostgresConfig::new(url).schema(schema))
                .await
                .map_err(|e| {
                    OpenError::Connect(
                        format!("PostgreSQL at {} (schema {schema})", redact(url)),
                        e,
                    )
                })?;
            postgres = Some(pg.clone());
            Arc::new(pg)
        }
        Backend::Embedded => Arc::new(open_sqlite(spec, mode)?),
    };
    if mode == OpenMode::NewOnly {
        let head = store.last_position().await.map_err(OpenError::Store)?;
        if head > 0 {
            let (place, choose) = match spec.backend {
                Backend::Postgres { schema, .. } => {
                    (format!("the PostgreSQL schema {schema}"), "--pg-schema")
                }
                Backend::EventStoreDb(url) => (format!("EventStoreDB at {url}"), "server"),
                Backend::Embedded => (spec.data_dir.display().to_string(), "--data-dir"),
            };
            return Err(OpenError::NotNew {
                place,
                choose,
                head,
            });
        }
    }
    Ok(OpenedStore { store, postgres })
}

/// The embedded log itself, read-only: for the tools that scan it row by row
/// (`verify`), beside a running server.
pub fn open_sqlite_read_only(data_dir: &Path) -> Result<SqliteStore, OpenError> {
    if !data_dir.is_dir() {
        return Err(OpenError::NoDataDir(data_dir.to_owned()));
    }
    let spec = StoreSpec {
        data_dir,
        backend: Backend::Embedded,
        durability: Synchronous::Full,
    };
    open_sqlite(spec, OpenMode::ReadOnly)
}

fn open_sqlite(spec: StoreSpec<'_>, mode: OpenMode) -> Result<SqliteStore, OpenError> {
    let path = spec.data_dir.join("events.db");
    let opened = match mode {
        OpenMode::ReadOnly => {
            if !path.is_file() {
                return Err(OpenError::NoLog(path));
            }
            SqliteStore::open_read_only(&path)
        }
        OpenMode::ReadWrite | OpenMode::NewOnly => {
            SqliteStore::open_with(SqliteConfig::new(&path).synchronous(spec.durability))
        }
    };
    opened.map_err(|e| OpenError::Open(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgresql://ledger:s3cret@db.example/subledger"),
            "postgresql://ledger:***@db.example/subledger"
        );
        assert_eq!(
            redact("postgresql://ledger@localhost/subledger?host=/tmp/x"),
            "postgresql://ledger@localhost/subledger?host=/tmp/x"
        );
        assert_eq!(redact("host=/tmp/x user=ledger"), "host=/tmp/x user=ledger");
    }

    fn spec(data_dir: &Path) -> StoreSpec<'_> {
        StoreSpec {
            data_dir,
            backend: Backend::Embedded,
            durability: Synchronous::Normal,
        }
    }

    #[tokio::test]
    async fn each_mode_opens_only_what_it_may() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let e = open_store(spec(&data), OpenMode::ReadOnly).await.err();
        assert!(matches!(e, Some(OpenError::NoDataDir(_))), "{e:?}");
        std::fs::create_dir_all(&data).unwrap();
        let e = open_store(spec(&data), OpenMode::ReadOnly).await.err();
        assert!(matches!(e, Some(OpenError::NoLog(_))), "{e:?}");

        let store = open_store(spec(&data), OpenMode::NewOnly).await.unwrap();
        let event = subledger_store::NewEvent::new(uuid::Uuid::from_u128(1), "Noted", 1, "{}");
        store
            .append(
                "customer-1",
                subledger_store::ExpectedVersion::NoStream,
                vec![event],
            )
            .await
            .unwrap();
        drop(store);
        let e = open_store(spec(&data), OpenMode::NewOnly).await.err();
        assert!(
            matches!(e, Some(OpenError::NotNew { head: 1, .. })),
            "{e:?}"
        );
        let read = open_store(spec(&data), OpenMode::ReadOnly).await.unwrap();
        assert_eq!(read.last_position().await.unwrap(), 1);
        let write = open_store(spec(&data), OpenMode::ReadWrite).await.unwrap();
        assert_eq!(write.last_position().await.unwrap(), 1);
    }
}

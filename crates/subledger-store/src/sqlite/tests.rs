//! The SQLite backend's own tests (the shared contract is in the conformance suite).

use super::*;
use uuid::Uuid;

fn ev() -> NewEvent {
    NewEvent::new(Uuid::new_v4(), "T", 1, &b"{}"[..])
}

#[tokio::test]
async fn second_open_of_the_same_file_is_refused_until_closed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let a = SqliteStore::open(&path).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.is_retryable(), "{err}");
    drop(a);
    let b = SqliteStore::open(&path).unwrap();
    assert_eq!(b.last_position().await.unwrap(), 0);
}

#[tokio::test]
async fn read_only_open_reads_beside_a_writer_follows_its_head_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    assert!(SqliteStore::open_read_only(&path).is_err(), "no file yet");
    let w = SqliteStore::open(&path).unwrap();
    w.append("a", ExpectedVersion::NoStream, vec![ev(), ev()])
        .await
        .unwrap();
    let r = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(r.last_position().await.unwrap(), 2);
    assert_eq!(r.read_stream("a", 0).await.unwrap().len(), 2);
    let refused = r
        .append("a", ExpectedVersion::Any, vec![ev()])
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Unsupported(_)), "{refused}");
    assert!(r.save_snapshot("a", 1, 1, Bytes::new()).await.is_err());
    w.append("a", ExpectedVersion::Exact(2), vec![ev()])
        .await
        .unwrap();
    let mut head = r.inner.head.clone();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        head.wait_for(|h| *h == 3),
    )
    .await
    .expect("the head follows the writer")
    .unwrap();
    assert_eq!(w.stream_version("a").await.unwrap(), 3);
}

#[tokio::test]
async fn reopen_keeps_events_and_head_and_passes_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        s.append("a", ExpectedVersion::NoStream, vec![ev(), ev()])
            .await
            .unwrap();
        s.append("b", ExpectedVersion::NoStream, vec![ev()])
            .await
            .unwrap();
    }
    let s = SqliteStore::open_with(SqliteConfig::new(&path).integrity_check(IntegrityCheck::Full))
        .unwrap();
    assert_eq!(s.last_position().await.unwrap(), 3);
    assert_eq!(s.stream_version("a").await.unwrap(), 2);
    let r = s
        .append("a", ExpectedVersion::Exact(2), vec![ev()])
        .await
        .unwrap();
    assert_eq!(r.position, 4);
    let report = s.verify().await.unwrap();
    assert_eq!((report.events, report.streams), (4, 2));
    assert_eq!(report.schema_version, SCHEMA_VERSION);
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(SqliteStore::open(&path).unwrap());
    let c = Connection::open(&path).unwrap();
    c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(c);
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::IncompatibleSchema(_))
    ));
}

#[tokio::test]
async fn a_torn_database_fails_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        for _ in 0..50 {
            s.append("a", ExpectedVersion::Any, vec![ev()])
                .await
                .unwrap();
        }
    }
    // Overwrite a page in the middle of the file with garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * 4096, "database too small to tear");
    for b in &mut bytes[4096..2 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
}

#[tokio::test]
async fn a_scan_reads_what_read_all_reads_and_streams_created_after_the_scanner() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    for i in 0..50u64 {
        let e = NewEvent::new(
            Uuid::new_v4(),
            "T",
            2,
            Bytes::from(format!("{{\"i\":{i}}}")),
        )
        .with_metadata(Bytes::from_static(b"{\"m\":1}"));
        store
            .append(&format!("s-{}", i % 3), ExpectedVersion::Any, vec![e])
            .await
            .unwrap();
    }
    let mut scanner = store.scanner().unwrap();
    store
        .append("created-later", ExpectedVersion::NoStream, vec![ev()])
        .await
        .unwrap();
    let mut scanned = Vec::new();
    scanner
        .scan(10, 51, |r| {
            scanned.push(RecordedEvent {
                stream: r.stream.to_owned(),
                version: r.version,
                position: r.position,
                event_id: Uuid::from_bytes(*r.event_id),
                event_type: r.event_type.to_owned(),
                schema_version: r.schema_version,
                data: Bytes::copy_from_slice(r.data),
                metadata: Bytes::copy_from_slice(r.metadata),
            })
        })
        .unwrap();
    assert_eq!(scanned, store.read_all(10, 100).await.unwrap());
    assert_eq!(
        scanned.last().map(|r| r.stream.as_str()),
        Some("created-later")
    );
}

#[test]
fn a_path_with_uri_characters_opens_as_an_immutable_uri() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("a dir %20 with ?#& in it");
    std::fs::create_dir(&odd).unwrap();
    let path = odd.join("x.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('here');")
        .unwrap();
    drop(conn);
    let uri = format!("file:{}?immutable=1", super::uri_path(&path));
    let read = rusqlite::Connection::open_with_flags(
        uri,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    let v: String = read.query_row("SELECT v FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(v, "here");
}

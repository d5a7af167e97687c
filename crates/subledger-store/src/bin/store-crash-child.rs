//! Child process of the crash test (`tests/crash.rs`): appends to a SQLite store under
//! concurrent load and prints one line per *acknowledged* append, until it is killed.
//!
//! Usage: `store-crash-child <db-path> <writer-id>`
//!
//! Line format (flushed after each ack, so a line on stdout means the store said "done"):
//! `ACK <append-id> <stream> <next_version> <position> <id1,id2,…>`
//!
//! Every event's metadata is `{"append":"<append-id>","count":n,"index":i}`, which lets
//! the parent prove that each append is all-or-nothing after a crash.

use std::io::Write;
use std::sync::Arc;

use subledger_store::{EventStore, ExpectedVersion, NewEvent, SqliteStore};
use uuid::Uuid;

const TASKS: usize = 8;
const STREAMS_PER_TASK: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(writer)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: store-crash-child <db-path> <writer-id>");
        std::process::exit(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(path, writer)) {
        eprintln!("store-crash-child: {e}");
        std::process::exit(1);
    }
}

async fn run(path: &str, writer: &str) -> Result<(), subledger_store::StoreError> {
    let store = SqliteStore::open(path)?;
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (store, out, writer) = (store.clone(), out.clone(), writer.to_owned());
        tasks.push(tokio::spawn(async move {
            let streams: Vec<String> = (0..STREAMS_PER_TASK)
                .map(|k| format!("crash-{t}-{k}"))
                .collect();
            let mut versions = Vec::new();
            for s in &streams {
                versions.push(store.stream_version(s).await?);
            }
            let mut i: u64 = 0;
            loop {
                i += 1;
                let k = (i as usize) % (STREAMS_PER_TASK + 1);
                let n = 1 + (i as usize * 7 + t) % 4;
                let append = Uuid::new_v4();
                let events: Vec<NewEvent> = (0..n)
                    .map(|index| {
                        NewEvent::new(
                            Uuid::new_v4(),
                            "CrashTest",
                            1,
                            format!(r#"{{"writer":"{writer}","task":{t},"i":{i}}}"#).into_bytes(),
                        )
                        .with_metadata(
                            format!(r#"{{"append":"{append}","count":{n},"index":{index}}}"#)
                                .into_bytes(),
                        )
                    })
                    .collect();
                let ids: Vec<String> = events.iter().map(|e| e.event_id.to_string()).collect();
                // Own streams with exact versions; a shared stream with Any.
                let (stream, expected) = if k == STREAMS_PER_TASK {
                    ("crash-shared".to_owned(), ExpectedVersion::Any)
                } else {
                    (streams[k].clone(), ExpectedVersion::Exact(versions[k]))
                };
                match store.append(&stream, expected, events).await {
                    Ok(r) => {
                        if k < STREAMS_PER_TASK {
                            versions[k] = r.next_version;
                        }
                        let line = format!(
                            "ACK {append} {stream} {} {} {}\n",
                            r.next_version,
                            r.position,
                            ids.join(",")
                        );
                        let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                        // stdout gone means the parent is gone: stop.
                        if o.write_all(line.as_bytes())
                            .and_then(|_| o.flush())
                            .is_err()
                        {
                            return Ok::<(), subledger_store::StoreError>(());
                        }
                    }
                    Err(e) => {
                        eprintln!("append to {stream} failed: {e}");
                        if k < STREAMS_PER_TASK {
                            versions[k] = store.stream_version(&stream).await?;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        match t.await {
            Ok(r) => r?,
            Err(e) => eprintln!("task failed: {e}"),
        }
    }
    Ok(())
}

//! KEY-1..5: software keys, downloads and the key-access activity log.

mod key_1;
mod key_2_5;

use crate::support::*;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use subledger_domain::Role;
use subledger_domain::actor::Action;
use subledger_domain::calendar::Billing;
use subledger_domain::command::{Command, CopyDownloadLink, DownloadSoftware, KeyType, RevealKey};
use subledger_domain::event::{Event, EventData, KeyAccess};
use subledger_domain::state::Status;
use uuid::Uuid;

fn reveal(subscription_id: Uuid) -> Command {
    Command::RevealKey(RevealKey {
        subscription_id,
        key_type: KeyType::MAK,
        version: Some("2022".into()),
        language: Some("nl-NL".into()),
        os: Some("x64".into()),
    })
}

fn download(subscription_id: Uuid) -> Command {
    Command::DownloadSoftware(DownloadSoftware {
        subscription_id,
        version: Some("2022".into()),
        language: Some("it-IT".into()),
        os: Some("x64".into()),
    })
}

fn copy_link(subscription_id: Uuid) -> Command {
    Command::CopyDownloadLink(CopyDownloadLink {
        subscription_id,
        version: None,
        language: None,
        os: None,
    })
}

fn kms(subscription_id: Uuid) -> Command {
    Command::RevealKey(RevealKey {
        subscription_id,
        key_type: KeyType::KMS,
        version: None,
        language: None,
        os: None,
    })
}

/// The key-access entry an event records, if it is one (KEY-3).
fn access(e: &Event) -> Option<(&'static str, &KeyAccess)> {
    match &e.data {
        EventData::KeyRevealed(k) => Some(("reveal_key", k)),
        EventData::SoftwareDownloaded(k) => Some(("download", k)),
        EventData::DownloadLinkCopied(k) => Some(("copy_link", k)),
        _ => None,
    }
}

/// Whether `text` holds a MAK-shaped key: five groups of five upper-case letters or
/// digits joined by hyphens (`XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`).
fn holds_mak_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    let key_char = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    (0..b.len().saturating_sub(28)).any(|i| {
        (0..29).all(|j| {
            let c = b[i + j];
            if j % 6 == 5 { c == b'-' } else { key_char(c) }
        })
    })
}

/// What the service's key provider does: issues a key and keeps only its
/// fingerprint for the domain.
fn fingerprint(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Windows Server 2022 Standard, 2 cores packs, P1Y billed annually, bought
/// 2026-01-10 09:00 by partner A.
fn server() -> (Scenario, Uuid) {
    let mut sc = Scenario::at("2026-01-10T09:00:00Z").with_customer("NL");
    let sub = sc.buy("windows-server-2022-standard", 2, P1Y, Billing::Annual);
    (sc, sub)
}

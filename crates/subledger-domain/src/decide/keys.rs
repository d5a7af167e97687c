//! Software keys and downloads (KEY-1..5): every access is an event of the
//! key-access log; the key itself never is.

use uuid::Uuid;

use super::{Decision, Use};
use crate::actor::{Action, Role};
use crate::command::{CopyDownloadLink, DownloadSoftware, KeyType, RevealKey};
use crate::event::{EventData, KeyAccess};
use crate::rejection::{Rejection, RejectionCode};
use crate::rules;
use crate::state::Status;

/// KEY-1/2: reveal the subscription's key (a MAK; the key provider issued it,
/// only its fingerprint is recorded).
pub(super) fn reveal(d: &mut Decision<'_>, command: &RevealKey) -> Result<(), Rejection> {
    let request = Request {
        subscription_id: command.subscription_id,
        version: &command.version,
        language: &command.language,
        os: &command.os,
    };
    let role = d.require(Action::SoftwareKeys)?;
    if command.key_type == KeyType::KMS {
        d.own_subscription(request.subscription_id)?;
        return Err(Rejection::rule(
            RejectionCode::KmsNotAllowed,
            rules::KEY_2,
            "CSP software keys are Multiple Activation Keys (MAK); KMS keys are never issued",
        )
        .with("key_type", "KMS"));
    }
    let access = check_access(d, &request, role)?;
    d.emit(EventData::KeyRevealed(KeyAccess {
        key_fingerprint: d.ctx.key_fingerprint.map(str::to_owned),
        ..access
    }));
    Ok(())
}

/// KEY-1: download the software.
pub(super) fn download(d: &mut Decision<'_>, command: &DownloadSoftware) -> Result<(), Rejection> {
    let request = Request {
        subscription_id: command.subscription_id,
        version: &command.version,
        language: &command.language,
        os: &command.os,
    };
    record_access(d, &request, EventData::SoftwareDownloaded)
}

/// KEY-1: copy a download link.
pub(super) fn copy_link(d: &mut Decision<'_>, command: &CopyDownloadLink) -> Result<(), Rejection> {
    let request = Request {
        subscription_id: command.subscription_id,
        version: &command.version,
        language: &command.language,
        os: &command.os,
    };
    record_access(d, &request, EventData::DownloadLinkCopied)
}

/// A download or a copied link: allowed as a reveal is, recorded as `event`.
fn record_access(
    d: &mut Decision<'_>,
    request: &Request<'_>,
    event: fn(KeyAccess) -> EventData,
) -> Result<(), Rejection> {
    let role = d.require(Action::SoftwareKeys)?;
    let access = check_access(d, request, role)?;
    d.emit(event(access));
    Ok(())
}

struct Request<'a> {
    subscription_id: Uuid,
    version: &'a Option<String>,
    language: &'a Option<String>,
    os: &'a Option<String>,
}

/// KEY-1/5, SUS-1: the subscription has keys, is open and not suspended, and the
/// choices are offered; returns the access to record (without a key fingerprint).
fn check_access(
    d: &Decision<'_>,
    request: &Request<'_>,
    role: Role,
) -> Result<KeyAccess, Rejection> {
    let id = request.subscription_id;
    let s = d.open_subscription(id, Use::Keys)?;
    if !s.has_keys {
        return Err(Rejection::rule(
            RejectionCode::NoSoftwareKeys,
            rules::KEY_1,
            format!("{} has no software keys or downloads", s.product_id),
        )
        .with("product_id", &s.product_id));
    }
    if s.status == Status::Suspended {
        return Err(Rejection::rule(
            RejectionCode::SubscriptionSuspended,
            rules::SUS_1,
            format!("subscription {id} is suspended: access is blocked until it is reactivated"),
        )
        .with("status", s.status));
    }
    if let Some(options) = d
        .catalog
        .product(&s.product_id)
        .and_then(|p| p.software.as_ref())
    {
        for (field, value, offered) in [
            ("version", request.version, &options.versions),
            ("language", request.language, &options.languages),
            ("os", request.os, &options.os),
        ] {
            if let Some(v) = value
                && !offered.is_empty()
                && !offered.contains(v)
            {
                return Err(Rejection::invalid(
                    rules::KEY_1,
                    field,
                    format!(
                        "{field} `{v}` is not offered for {}; offered: {}",
                        s.product_id,
                        offered.join(", ")
                    ),
                )
                .with("offered", offered));
            }
        }
    }
    Ok(KeyAccess {
        customer_id: s.customer_id,
        subscription_id: id,
        partner_id: s.partner_id,
        product_id: s.product_id.clone(),
        product_name: s.product_name.clone(),
        user: d.actor().user.clone(),
        role,
        version: request.version.clone(),
        language: request.language.clone(),
        os: request.os.clone(),
        key_fingerprint: None,
    })
}

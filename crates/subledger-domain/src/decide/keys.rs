//! Software keys and downloads (KEY-1..5): every access is an event of the
//! key-access log; the key itself never is.

use super::{Decision, Use};
use crate::actor::Action;
use crate::command::{Command, KeyType};
use crate::event::{EventData, KeyAccess};
use crate::rejection::Rejection;
use crate::state::Status;

pub(super) fn decide(d: &mut Decision<'_>, command: &Command) -> Result<(), Rejection> {
    let (id, version, language, os) = match command {
        Command::RevealKey {
            subscription_id,
            version,
            language,
            os,
            ..
        }
        | Command::DownloadSoftware {
            subscription_id,
            version,
            language,
            os,
        }
        | Command::CopyDownloadLink {
            subscription_id,
            version,
            language,
            os,
        } => (*subscription_id, version, language, os),
        _ => unreachable!("keys::decide is only called for key commands"),
    };
    let role = d.require(Action::SoftwareKeys)?;
    if let Command::RevealKey {
        key_type: KeyType::KMS,
        ..
    } = command
    {
        d.own_subscription(id)?;
        return Err(Rejection::rule(
            "KmsNotAllowed",
            "KEY-2",
            "CSP software keys are Multiple Activation Keys (MAK); KMS keys are never issued",
        )
        .with("key_type", "KMS"));
    }
    let s = d.open_subscription(id, Use::Keys)?;
    if !s.has_keys {
        return Err(Rejection::rule(
            "NoSoftwareKeys",
            "KEY-1",
            format!("{} has no software keys or downloads", s.product_id),
        )
        .with("product_id", &s.product_id));
    }
    if s.status == Status::Suspended {
        return Err(Rejection::rule(
            "SubscriptionSuspended",
            "SUS-1",
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
            ("version", version, &options.versions),
            ("language", language, &options.languages),
            ("os", os, &options.os),
        ] {
            if let Some(v) = value
                && !offered.is_empty()
                && !offered.contains(v)
            {
                return Err(Rejection::invalid(
                    "KEY-1",
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
    let access = KeyAccess {
        customer_id: s.customer_id,
        subscription_id: id,
        partner_id: s.partner_id,
        product_id: s.product_id.clone(),
        product_name: s.product_name.clone(),
        user: d.actor().user.clone(),
        role,
        version: version.clone(),
        language: language.clone(),
        os: os.clone(),
        key_fingerprint: None,
    };
    let data = match command {
        Command::RevealKey { .. } => EventData::KeyRevealed(KeyAccess {
            key_fingerprint: d.ctx.key_fingerprint.map(str::to_owned),
            ..access
        }),
        Command::DownloadSoftware { .. } => EventData::SoftwareDownloaded(access),
        _ => EventData::DownloadLinkCopied(access),
    };
    d.emit(data);
    Ok(())
}

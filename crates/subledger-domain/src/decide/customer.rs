//! CreateCustomer (PUR-1), RequestRelationship and AcceptRelationship (TRF-1).

use super::Decision;
use crate::actor::Action;
use crate::command::{AcceptRelationship, CreateCustomer, RequestRelationship};
use crate::event::EventData;
use crate::rejection::{Rejection, RejectionCode, RejectionKind};
use crate::rules;
use crate::state::RelationshipStatus;

/// PUR-1: a partner creates a customer and is related to it from the start.
pub(super) fn create(d: &mut Decision<'_>, command: &CreateCustomer) -> Result<(), Rejection> {
    let CreateCustomer {
        customer_id,
        company_name,
        domain,
        country,
        segment,
    } = command;
    d.require(Action::Manage)?;
    if d.state.customer.is_some() {
        return Err(Rejection::rule(
            RejectionCode::CustomerExists,
            rules::PUR_1,
            format!("customer {customer_id} already exists"),
        )
        .with("customer_id", customer_id));
    }
    let company_name = company_name.trim();
    if company_name.is_empty() || company_name.chars().count() > 256 {
        return Err(Rejection::invalid(
            rules::PUR_1,
            "company_name",
            "company_name must hold 1 to 256 characters",
        ));
    }
    let domain = domain.trim().to_ascii_lowercase();
    let domain_ok = domain.len() <= 253
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !domain_ok {
        return Err(Rejection::invalid(
            rules::PUR_1,
            "domain",
            format!("domain `{domain}` is not a domain name like contoso.example"),
        ));
    }
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Rejection::invalid(
            rules::PUR_1,
            "country",
            format!("country `{country}` is not an ISO 3166-1 alpha-2 code like NL"),
        ));
    }
    let partner_id = d.partner_id();
    d.emit(EventData::CustomerCreated {
        customer_id: *customer_id,
        company_name: company_name.to_owned(),
        domain,
        country: country.clone(),
        segment: *segment,
    });
    d.emit(EventData::RelationshipEstablished {
        customer_id: *customer_id,
        partner_id,
    });
    Ok(())
}

/// TRF-1: a partner asks a customer for a relationship.
pub(super) fn request_relationship(
    d: &mut Decision<'_>,
    command: &RequestRelationship,
) -> Result<(), Rejection> {
    let customer_id = &command.customer_id;
    d.require(Action::RequestRelationshipOrTransfer)?;
    let partner_id = d.partner_id();
    match &d.state.customer {
        Some(c) if c.customer_id == *customer_id => {}
        _ => return Err(Rejection::not_found("customer", customer_id)),
    }
    match d.state.relationships.get(&partner_id) {
        Some(RelationshipStatus::Active) => Err(Rejection::rule(
            RejectionCode::RelationshipExists,
            rules::TRF_1,
            format!("partner {partner_id} already has a relationship with customer {customer_id}"),
        )),
        Some(RelationshipStatus::Requested) => Err(Rejection::rule(
            RejectionCode::RelationshipAlreadyRequested,
            rules::TRF_1,
            format!(
                "partner {partner_id} already asked customer {customer_id} for a relationship; \
                 its global admin has not accepted yet"
            ),
        )),
        None => {
            d.emit(EventData::RelationshipRequested {
                customer_id: *customer_id,
                partner_id,
            });
            Ok(())
        }
    }
}

/// TRF-1: the customer's global admin accepts a partner's request.
pub(super) fn accept_relationship(
    d: &mut Decision<'_>,
    command: &AcceptRelationship,
) -> Result<(), Rejection> {
    let partner_id = &command.partner_id;
    d.require(Action::AcceptRelationship)?;
    let customer_id = d.actor().customer_id.unwrap_or_default();
    match &d.state.customer {
        Some(c) if c.customer_id == customer_id => {}
        _ => return Err(Rejection::not_found("customer", customer_id)),
    }
    match d.state.relationships.get(partner_id) {
        Some(RelationshipStatus::Requested) => {
            d.emit(EventData::RelationshipEstablished {
                customer_id,
                partner_id: *partner_id,
            });
            Ok(())
        }
        Some(RelationshipStatus::Active) => Err(Rejection::rule(
            RejectionCode::RelationshipExists,
            rules::TRF_1,
            format!("partner {partner_id} already has a relationship with this customer"),
        )),
        None => Err(Rejection::new(
            RejectionKind::NotFound,
            RejectionCode::NotFound,
            rules::TRF_1,
            format!("partner {partner_id} has not asked this customer for a relationship"),
        )
        .with("partner_id", partner_id)),
    }
}

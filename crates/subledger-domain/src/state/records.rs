//! What the customer's stream records besides subscriptions: the customer
//! itself, its partner relationships, orders and transfers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{OrderLine, Segment};

/// The customer, as created (its stream's first event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: Uuid,
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub segment: Segment,
    pub created_at: DateTime<Utc>,
}

/// A partner relationship: asked for by the partner, accepted by the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipStatus {
    Requested,
    Active,
}

/// An order as placed; its lines say what was bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: Uuid,
    pub partner_id: Uuid,
    pub placed_at: DateTime<Utc>,
    pub reseller_id: Option<Uuid>,
    pub additional_resellers: Vec<Uuid>,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Accepted,
    Rejected,
    Expired,
}

/// A request to move subscriptions to another partner (TRF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub transfer_id: Uuid,
    pub source_partner_id: Uuid,
    pub target_partner_id: Uuid,
    pub customer_email: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: TransferStatus,
    pub subscription_ids: Vec<Uuid>,
}

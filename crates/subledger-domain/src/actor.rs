//! Actors and what their roles allow (GEN-2, GEN-3).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A role held by a user (GEN-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    AdminAgent,
    SalesAgent,
    HelpdeskAgent,
    BillingAdmin,
    GlobalAdmin,
    AccountAdmin,
    ReferralAdmin,
    MarketingContentAdmin,
    CustomerGlobalAdmin,
}

impl Role {
    pub fn is_partner_role(self) -> bool {
        self != Role::CustomerGlobalAdmin
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AdminAgent => "admin_agent",
            Role::SalesAgent => "sales_agent",
            Role::HelpdeskAgent => "helpdesk_agent",
            Role::BillingAdmin => "billing_admin",
            Role::GlobalAdmin => "global_admin",
            Role::AccountAdmin => "account_admin",
            Role::ReferralAdmin => "referral_admin",
            Role::MarketingContentAdmin => "marketing_content_admin",
            Role::CustomerGlobalAdmin => "customer_global_admin",
        }
    }

    pub const ALL: [Role; 9] = [
        Role::AdminAgent,
        Role::SalesAgent,
        Role::HelpdeskAgent,
        Role::BillingAdmin,
        Role::GlobalAdmin,
        Role::AccountAdmin,
        Role::ReferralAdmin,
        Role::MarketingContentAdmin,
        Role::CustomerGlobalAdmin,
    ];
}

/// Who sends a command: a user of a partner or of a customer (GEN-2).
///
/// Recorded in every event's envelope, so it accepts fields it does not know
/// (a newer writer's) rather than refusing to read a stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Uuid>,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn partner(user: impl Into<String>, partner_id: Uuid, roles: &[Role]) -> Self {
        Self {
            user: user.into(),
            partner_id: Some(partner_id),
            customer_id: None,
            roles: roles.to_vec(),
        }
    }

    pub fn customer(user: impl Into<String>, customer_id: Uuid) -> Self {
        Self {
            user: user.into(),
            partner_id: None,
            customer_id: Some(customer_id),
            roles: vec![Role::CustomerGlobalAdmin],
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The first of `allowed` the actor holds: the role under which it acts, as
    /// recorded in the key-access log (KEY-3).
    pub fn acting_role(&self, allowed: &[Role]) -> Option<Role> {
        allowed.iter().copied().find(|r| self.has(*r))
    }
}

/// The actions of GEN-3's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create customer, purchase, seats, upgrade, scheduled changes, auto-renew,
    /// trial conversion, suspend, reactivate.
    Manage,
    Cancel,
    /// Software keys and downloads.
    SoftwareKeys,
    /// Accept or reject a transfer (as the source partner).
    AnswerTransfer,
    /// Request a relationship, or a transfer as the target partner.
    RequestRelationshipOrTransfer,
    Read,
    ReadKeyAccessLog,
    AcceptRelationship,
}

impl Action {
    /// GEN-3: the roles that may perform this action.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Manage => &[AdminAgent, SalesAgent, GlobalAdmin],
            Action::Cancel => &[AdminAgent, GlobalAdmin],
            Action::SoftwareKeys | Action::AnswerTransfer => &[AdminAgent],
            Action::RequestRelationshipOrTransfer => &[AdminAgent, GlobalAdmin],
            Action::Read => &[
                AdminAgent,
                SalesAgent,
                HelpdeskAgent,
                BillingAdmin,
                GlobalAdmin,
                AccountAdmin,
                ReferralAdmin,
                MarketingContentAdmin,
            ],
            Action::ReadKeyAccessLog => &[
                GlobalAdmin,
                AccountAdmin,
                ReferralAdmin,
                MarketingContentAdmin,
            ],
            Action::AcceptRelationship => &[CustomerGlobalAdmin],
        }
    }

    /// Whether `actor` may perform this action: the right kind of actor (partner
    /// or customer) holding one of the allowed roles.
    pub fn allows(self, actor: &Actor) -> bool {
        let kind_ok = match self {
            Action::AcceptRelationship => actor.customer_id.is_some(),
            _ => actor.partner_id.is_some(),
        };
        kind_ok && actor.acting_role(self.allowed_roles()).is_some()
    }
}

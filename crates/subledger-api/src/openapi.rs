//! The OpenAPI 3 document of this server, generated from the handlers'
//! annotations (`GET /openapi.json`). A test checks it lists every route.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "subledger",
        description = "The ledger's HTTP contract (v1): one command endpoint, state reads with `as_of`, billing lines, the key-access log, the event feed. Every error is `{ \"error\": { code, rule, message, details } }`."
    ),
    paths(
        crate::commands::post_command,
        crate::reads::subscriptions::get_subscription,
        crate::reads::subscriptions::list_subscriptions,
        crate::reads::orders::list_orders,
        crate::reads::customers::list_customers,
        crate::reads::subscriptions::refundable_seats,
        crate::reads::history::history,
        crate::billing::billing_lines,
        crate::key_access::key_access,
        crate::key_access::key_access_daily,
        crate::feed::event_feed,
        crate::ledger_seal::latest_checkpoint,
        crate::ledger_seal::new_checkpoint,
        crate::ledger_seal::inclusion_proof,
        crate::ledger_seal::consistency_proof,
        crate::system::catalog,
        crate::system::get_clock,
        crate::system::advance_clock,
        crate::system::healthz,
        crate::system::metrics,
        crate::system::openapi,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "commands", description = "Writing: every command through one endpoint"),
        (name = "reads", description = "Views, lists, billing lines, the key-access log and the event feed"),
        (name = "ledger", description = "Auditors' proofs that the log is the one written: signed checkpoints, inclusion and consistency proofs"),
        (name = "clock", description = "The simulated clock (only with `--clock simulated`)"),
        (name = "operations", description = "Liveness, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// Every route but `/healthz` takes `Authorization: Bearer <token>`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as served.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"openapi: {e}\"}}"))
}

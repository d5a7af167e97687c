//! The OpenAPI 3 document of this server, generated from the handlers'
//! annotations and the Rust types (`GET /openapi.json`), then completed by
//! [`contract`] with what every operation shares:
//!
//! * the body of `POST /v1/commands`: a `oneOf` of one schema per command type,
//!   discriminated by `type`, each the envelope (`command_id`, `expected_version`,
//!   `dry_run`) plus the command struct's own fields, derived from the domain's
//!   `ToSchema` types that `parse_command` deserializes into;
//! * the error statuses every operation can answer (400, 401, 408, 413, 429,
//!   500, 503), in the one error shape;
//! * the ranges of unsigned integers (`uint32`, `uint64`, with their maxima).
//!
//! Tests hold it to the server (tests/ops.rs, tests/openapi.rs), and
//! `scripts/api-fuzz.sh` holds the server to it with schemathesis.

use serde_json::{Map, Value, json};
use subledger_domain::Command;
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
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, subledger_app::CommandResponse)),
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
    serde_json::to_string_pretty(&contract())
        .unwrap_or_else(|e| format!("{{\"error\":\"openapi: {e}\"}}"))
}

/// The document as JSON: utoipa's, completed (see the module's comment).
pub fn contract() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    commands(&mut doc);
    common_responses(&mut doc);
    unsigned_ranges(&mut doc);
    doc
}

/// The largest `limit` a list takes (`extract::MAX_LIMIT`).
const LIMIT_MAX: u64 = crate::extract::MAX_LIMIT as u64;

/// The name of the component holding command `name`'s body.
pub fn command_schema_name(name: &str) -> String {
    format!("{name}Command")
}

/// `POST /v1/commands`: one schema per command type, from the domain's types.
fn commands(doc: &mut Value) {
    let mut referenced = Vec::new();
    Command::openapi_components(&mut referenced);
    let mut components: Map<String, Value> = Map::new();
    for (name, schema) in referenced {
        components.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
    let mut one_of = Vec::new();
    let mut mapping = Map::new();
    for (name, schema) in Command::openapi_schemas() {
        let own = serde_json::to_value(schema).unwrap_or(Value::Null);
        let mut properties = Map::new();
        properties.insert(
            "command_id".into(),
            json!({"type": "string", "format": "uuid",
                   "description": "The idempotency key (GEN-5): a repeated id returns the first response"}),
        );
        properties.insert(
            "expected_version".into(),
            json!({"type": ["integer", "null"], "format": "int64", "minimum": 0,
                   "description": "The stream version the client last saw; on mismatch 409 VersionConflict (null: none)"}),
        );
        properties.insert(
            "dry_run".into(),
            json!({"type": ["boolean", "null"], "default": false,
                   "description": "Validate and return the events that would be written, writing nothing"}),
        );
        properties.insert("type".into(), json!({"type": "string", "enum": [name]}));
        let mut required = vec![json!("command_id"), json!("type")];
        merge_object(&own, &components, &mut properties, &mut required);
        let component = command_schema_name(name);
        let reference = format!("#/components/schemas/{component}");
        components.insert(
            component.clone(),
            json!({
                "title": name,
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            }),
        );
        one_of.push(json!({ "$ref": reference }));
        mapping.insert(name.to_owned(), json!(reference));
    }
    components.insert(
        "Command".into(),
        json!({
            "description": "Every command of API.md: the envelope and `type`, then that command's fields; unknown fields are refused (400)",
            "oneOf": one_of,
            "discriminator": { "propertyName": "type", "mapping": mapping },
        }),
    );
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in components {
            schemas.entry(name).or_insert(schema);
        }
    }
    if let Some(op) = doc.pointer_mut("/paths/~1v1~1commands/post") {
        op["requestBody"] = json!({
            "description": "`command_id` (UUID), optional `expected_version` and `dry_run`, `type` and the command's fields (API.md)",
            "required": true,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Command" } } },
        });
    }
}

/// Adds the properties and required fields of `schema` (an object, or an
/// `allOf` of objects and references to `components`, as `#[serde(flatten)]`
/// gives) to `properties` and `required`.
fn merge_object(
    schema: &Value,
    components: &Map<String, Value>,
    properties: &mut Map<String, Value>,
    required: &mut Vec<Value>,
) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        if let Some(target) = components.get(name) {
            merge_object(target, components, properties, required);
        }
        return;
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            merge_object(part, components, properties, required);
        }
    }
    if let Some(own) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in own {
            properties.insert(k.clone(), v.clone());
        }
    }
    if let Some(own) = schema.get("required").and_then(Value::as_array) {
        for r in own {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
    }
}

/// What every operation can answer besides its own statuses, in the error
/// shape: 400 where it takes parameters or a body, 401 where it needs a token,
/// 408 and 413 where it takes a body, 429 where the rate limit applies
/// (`limits::is_rate_limited`), and 500 and 503 everywhere (a fault; the
/// deadline, the store unavailable, the read models behind).
fn common_responses(doc: &mut Value) {
    let error =
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } });
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let rate_limited = crate::limits::is_rate_limited(path);
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let takes_input = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|p| !p.is_empty())
                || op.contains_key("requestBody");
            let has_body = op.contains_key("requestBody");
            let secured = op.contains_key("security");
            let responses = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            let Some(responses) = responses else { continue };
            let mut add = |status: &str, description: &str| {
                let r = responses
                    .entry(status.to_owned())
                    .or_insert_with(|| json!({}));
                if r.get("description")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    r["description"] = json!(description);
                }
                if r.get("content").is_none() {
                    r["content"] = error.clone();
                }
            };
            if takes_input {
                add(
                    "400",
                    "InvalidRequest: a malformed or out-of-range parameter or body, an unknown parameter or field; `details.field` names it",
                );
            }
            if secured {
                add("401", "Unauthenticated: a missing or unknown bearer token");
            }
            if has_body {
                add(
                    "408",
                    "RequestTimeout: the body did not arrive within the server's body timeout; nothing was done and the connection is closed",
                );
                add(
                    "413",
                    "PayloadTooLarge: the body is over the server's limit",
                );
            }
            if rate_limited {
                add(
                    "429",
                    "RateLimited: over the requests per minute of this token (or, without a valid token, of this client address); nothing was done. `details`: `limit_per_minute`, `retry_after_s`, `retryable`",
                );
            }
            add(
                "500",
                "InternalError: a server fault; the log holds the details under the response's x-request-id",
            );
            add(
                "503",
                "Timeout, Unavailable (the store) or ProjectionBehind (the read models); `details.retryable` is true",
            );
            if let Some(r) = responses.get_mut("429") {
                r["headers"] = json!({ "Retry-After": {
                    "description": "Whole seconds to wait before the next request is allowed (at least 1)",
                    "schema": { "type": "integer", "minimum": 1 },
                }});
            }
            // Statuses a handler lists without a description get the usual one.
            for (status, description) in [
                (
                    "403",
                    "Forbidden: the caller's roles do not allow it (GEN-3)",
                ),
                ("404", "NotFound: no such resource for this caller (GEN-2)"),
                ("409", "VersionConflict or IdAlreadyUsed"),
                ("422", "A business rule refuses it: the rule's code"),
            ] {
                if let Some(r) = responses.get_mut(status)
                    && r.get("description")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                {
                    r["description"] = json!(description);
                }
            }
        }
    }
}

/// utoipa states unsigned integers as `int32`/`int64` with `minimum: 0` and no
/// maximum; the server reads them as `u32`/`u64`, so say so, with the maxima.
fn unsigned_ranges(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let integer = match o.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            let unsigned = o
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| m >= 0.0);
            if integer && unsigned && !o.contains_key("maximum") {
                match o.get("format").and_then(Value::as_str) {
                    Some("int32") => {
                        o.insert("format".into(), json!("uint32"));
                        o.insert("maximum".into(), json!(u32::MAX));
                    }
                    Some("int64") => {
                        o.insert("format".into(), json!("uint64"));
                        o.insert("maximum".into(), json!(u64::MAX));
                    }
                    _ => {}
                }
            }
            for child in o.values_mut() {
                unsigned_ranges(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(unsigned_ranges),
        _ => {}
    }
}

/// Query parameters that take an instant: RFC 3339 (any offset, read as UTC),
/// or a date meaning its first instant; years 0000 to 9999 (GEN-1).
pub fn instant_or_date() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .description(Some(
            "An RFC 3339 instant (2026-11-22T10:00:00Z), or a date (2026-11-22) meaning its first instant",
        ))
        .into()
}

/// `limit`: default 100, 1 to 1000.
pub fn page_limit() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(LIMIT_MAX as f64))
        .default(Some(json!(crate::extract::DEFAULT_LIMIT)))
        .into()
}

fn string_pattern(pattern: &str) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .into()
}

fn string_enum(values: &[&str]) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .into()
}

/// One UTF-8 character, as the lowercase hex of its bytes.
const UTF8_HEX: &str = "(?:[0-7][0-9a-f]|(?:c[2-9a-f]|d[0-9a-f])[89ab][0-9a-f]|e0[ab][0-9a-f][89ab][0-9a-f]|e[1-9a-cef](?:[89ab][0-9a-f]){2}|ed[89][0-9a-f][89ab][0-9a-f]|f0[9ab][0-9a-f](?:[89ab][0-9a-f]){2}|f[1-3](?:[89ab][0-9a-f]){3}|f48[0-9a-f](?:[89ab][0-9a-f]){2})";
/// One hex digit of a UUID (either case), as the hex of its ASCII byte.
const UUID_DIGIT_HEX: &str = "(?:3[0-9]|4[1-6]|6[1-6])";

/// A cursor over a text key (`extract::encode_cursor`): `c1`, then the
/// lowercase hex of the key's UTF-8 bytes.
pub fn text_cursor() -> utoipa::openapi::schema::Schema {
    string_pattern(&format!("^c1{UTF8_HEX}*$"))
}

/// A cursor over a position or version: `c1`, then the hex of its digits.
pub fn number_cursor() -> utoipa::openapi::schema::Schema {
    string_pattern("^c1(?:3[0-9]){1,19}$")
}

/// The customers' cursor: `c1`, then the hex of a hyphenated customer id and
/// of the name key after it.
pub fn customer_cursor() -> utoipa::openapi::schema::Schema {
    let d = UUID_DIGIT_HEX;
    string_pattern(&format!(
        "^c1{d}{{8}}2d{d}{{4}}2d{d}{{4}}2d{d}{{4}}2d{d}{{12}}{UTF8_HEX}*$"
    ))
}

/// `format`: `csv` or `json`.
pub fn list_format() -> utoipa::openapi::schema::Schema {
    string_enum(&["csv", "json"])
}

/// A key-access `action` filter.
pub fn key_action() -> utoipa::openapi::schema::Schema {
    string_enum(&["reveal_key", "download", "copy_link"])
}

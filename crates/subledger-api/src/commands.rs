//! `POST /v1/commands`: the body is the envelope (`command_id`, `expected_version`,
//! `dry_run`) and the command's own fields. Malformed input is a 400 that names the
//! field and never reaches the ledger (ARCHITECTURE: the flow of a command).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use subledger_app::CommandRequest;
use subledger_domain::command::AcceptRelationship;
use subledger_domain::{Action, Command};
use uuid::Uuid;

use crate::AppState;
use crate::auth::role_names;
use crate::error::ApiError;
use crate::extract::Caller;

/// A command as parsed from a request body.
#[derive(Debug)]
pub struct ParsedCommand {
    pub command_id: Uuid,
    pub expected_version: Option<u64>,
    pub dry_run: bool,
    pub command: Command,
}

/// Bodies up to this size get their failing field located by [`blame`]; larger
/// ones get the message alone, so a huge malformed body costs one parse.
const BLAME_MAX_BYTES: usize = 64 * 1024;
/// How many children of one node [`blame`] tries, and how deep it goes.
const BLAME_MAX_CHILDREN: usize = 64;
const BLAME_MAX_DEPTH: usize = 6;

/// Parses a command body. The envelope fields are taken out of the object
/// first; the rest must be exactly one `Command` (unknown fields refused).
pub fn parse_command(body: &[u8]) -> Result<ParsedCommand, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ApiError::InvalidRequest {
        field: None,
        message: format!("the body is not valid JSON: {e}"),
    })?;
    let Value::Object(mut object) = value else {
        return Err(ApiError::InvalidRequest {
            field: None,
            message: "the body must be a JSON object".to_owned(),
        });
    };
    let command_id: Uuid = match object.remove("command_id") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "command_id",
                "command_id (a UUID) is required: it is the command's idempotency key (GEN-5)",
            ));
        }
        Some(v) => envelope_field("command_id", v)?,
    };
    let expected_version: Option<u64> = match object.remove("expected_version") {
        None => None,
        Some(mut v) => {
            integral_numbers(&mut v);
            envelope_field("expected_version", v)?
        }
    };
    let dry_run: Option<bool> = match object.remove("dry_run") {
        None => None,
        Some(v) => envelope_field("dry_run", v)?,
    };
    let mut value = Value::Object(object);
    integral_numbers(&mut value);
    let command = Command::deserialize(&value).map_err(|e| {
        let message = e.to_string();
        let path = (body.len() <= BLAME_MAX_BYTES)
            .then(|| blame(&value, &message))
            .flatten();
        ApiError::InvalidRequest {
            message: match &path {
                Some(p) => format!("{p}: {message}"),
                None => message,
            },
            field: path,
        }
    })?;
    Ok(ParsedCommand {
        command_id,
        expected_version,
        dry_run: dry_run.unwrap_or(false),
        command,
    })
}

/// JSON has one number type: `3.0` is the integer 3 (as JSON Schema's
/// `integer` says), so integral numbers written with a fraction or an exponent
/// are read as integers; serde alone would refuse them for a `u32`.
fn integral_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
            {
                if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *v = Value::from(f as u64);
                } else if (i64::MIN as f64..0.0).contains(&f) {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_numbers),
        Value::Object(o) => o.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn envelope_field<T: serde::de::DeserializeOwned>(name: &str, v: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v)
        .map_err(|e| ApiError::invalid(name, format!("{name}: {}", e.inner())))
}

/// Where in `root` the deserialization error `message` comes from, as a path
/// like `items[0].quantity`.
///
/// `Command` is an internally tagged enum: serde buffers the object before
/// picking the variant, so the path tracking of `serde_path_to_error` stops at
/// the root for every field of every command. The error is located instead by
/// experiment, which is exact because serde stops at the first bad field:
/// a child whose removal changes the error holds the fault; descend into it.
/// A missing field is found by adding it to each object that lacks it: the
/// object where it is not unknown is the one that needs it.
fn blame(root: &Value, message: &str) -> Option<String> {
    let parse = |v: &Value| Command::deserialize(v).err().map(|e| e.to_string());
    if let Some(field) = between(message, "missing field `", "`") {
        let mut candidates = Vec::new();
        objects_lacking(root, field, &mut Vec::new(), &mut candidates);
        for path in candidates.into_iter().take(BLAME_MAX_CHILDREN) {
            let mut probe = root.clone();
            if let Some(Value::Object(o)) = node_mut(&mut probe, &path) {
                o.insert(field.to_owned(), Value::Null);
            }
            let outcome = parse(&probe);
            let unknown_here = outcome
                .as_deref()
                .is_some_and(|m| m.starts_with(&format!("unknown field `{field}`")));
            if outcome.as_deref() != Some(message) && !unknown_here {
                let mut path = path;
                path.push(Step::Key(field.to_owned()));
                return Some(render(&path));
            }
        }
        return Some(field.to_owned());
    }
    let mut path: Vec<Step> = Vec::new();
    'descend: for _ in 0..BLAME_MAX_DEPTH {
        let children: Vec<Step> = match node(root, &path)? {
            // The root's `type` goes last: without it every error changes, but
            // it is at fault only when nothing else is.
            Value::Object(o) if path.is_empty() => o
                .keys()
                .filter(|k| *k != "type")
                .chain(o.keys().filter(|k| *k == "type"))
                .map(|k| Step::Key(k.clone()))
                .collect(),
            Value::Object(o) => o.keys().map(|k| Step::Key(k.clone())).collect(),
            Value::Array(a) => (0..a.len()).map(Step::Index).collect(),
            _ => break,
        };
        for child in children.into_iter().take(BLAME_MAX_CHILDREN) {
            let mut probe = root.clone();
            match (node_mut(&mut probe, &path), &child) {
                (Some(Value::Object(o)), Step::Key(k)) => {
                    o.remove(k);
                }
                (Some(Value::Array(a)), Step::Index(i)) => {
                    a.remove(*i);
                }
                _ => continue,
            }
            if parse(&probe).as_deref() != Some(message) {
                path.push(child);
                continue 'descend;
            }
        }
        break;
    }
    (!path.is_empty()).then(|| render(&path))
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn node<'a>(root: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, step| match (v, step) {
        (Value::Object(o), Step::Key(k)) => o.get(k),
        (Value::Array(a), Step::Index(i)) => a.get(*i),
        _ => None,
    })
}

fn node_mut<'a>(root: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |v, step| match (v, step) {
        (Value::Object(o), Step::Key(k)) => o.get_mut(k),
        (Value::Array(a), Step::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

fn objects_lacking(v: &Value, field: &str, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(o) => {
            if !o.contains_key(field) {
                out.push(at.clone());
            }
            for (k, child) in o {
                at.push(Step::Key(k.clone()));
                objects_lacking(child, field, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(Step::Index(i));
                objects_lacking(child, field, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// `POST /v1/commands`
#[utoipa::path(
    post,
    path = "/v1/commands",
    tag = "commands",
    // The body's schema (`Command`, a `oneOf` by `type`) is derived from the
    // domain's command types in `openapi::commands`.
    request_body(
        content = Object,
        description = "`command_id` (UUID), optional `expected_version` and `dry_run`, `type` and the command's fields (API.md)"
    ),
    responses(
        (status = 200, description = "Accepted (or validated, for a dry run); a repeated command id returns the first body", body = subledger_app::CommandResponse),
        (status = 400, description = "Malformed JSON, unknown field, bad value", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = crate::error::ErrorBody),
        (status = 403, description = "The actor's roles do not allow it", body = crate::error::ErrorBody),
        (status = 404, description = "No such customer/subscription/transfer for this actor", body = crate::error::ErrorBody),
        (status = 409, description = "`expected_version` mismatch (VersionConflict), or an id the command creates is taken (IdAlreadyUsed)", body = crate::error::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::error::ErrorBody),
        (status = 422, description = "A business rule refuses it", body = crate::error::ErrorBody),
        (status = 503, description = "The store is unavailable, or no answer within the deadline (send it again with the same command_id)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn post_command(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body =
        body.map_err(|e| ApiError::from_body_rejection(&e, state.config().body_limit_bytes))?;
    let parsed = parse_command(&body)?;
    let actor = caller.0;
    // GEN-3: a customer's user may only accept a partner relationship.
    if actor.customer_id.is_some()
        && !matches!(
            parsed.command,
            Command::AcceptRelationship(AcceptRelationship { .. })
        )
    {
        let allowed = role_names(Action::Manage.allowed_roles());
        return Err(ApiError::forbidden(
            format!(
                "{} is a customer's user: it may only accept a partner relationship",
                actor.user
            ),
            &allowed,
        ));
    }
    let request = CommandRequest {
        command_id: parsed.command_id,
        command: parsed.command,
        actor,
        expected_version: parsed.expected_version,
        dry_run: parsed.dry_run,
    };
    let ledger = state.ledger().clone();
    let outcome = crate::inflight::spawn(async move { ledger.execute(request).await })
        .await
        .map_err(|e| ApiError::Internal(format!("command task failed: {e}")))?;
    let response = outcome?;
    if let Some(position) = response.position {
        state.acknowledge(position);
    }
    // The ledger guarantees the same response for a repeated command id; these
    // bytes are its plain serialization, nothing added.
    let bytes = serde_json::to_vec(&response)
        .map_err(|e| ApiError::Internal(format!("response not serializable: {e}")))?;
    let mut http = (StatusCode::OK, bytes).into_response();
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // A reveal's response carries a key (KEY-1): no cache may keep any of these.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(http)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subledger_domain::command::ReduceSeats;

    const SUB: &str = "6f1c0000-0000-0000-0000-000000000001";
    const ID: &str = "6f1c0000-0000-0000-0000-0000000000aa";

    fn field_of(body: &str) -> (Option<String>, String) {
        match parse_command(body.as_bytes()) {
            Err(ApiError::InvalidRequest { field, message }) => (field, message),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn the_envelope_is_taken_out_and_the_rest_is_the_command() {
        let p = parse_command(
            format!(
                r#"{{"command_id":"{ID}","type":"ReduceSeats","subscription_id":"{SUB}","seats":3,"expected_version":17,"dry_run":true}}"#
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(p.command_id.to_string(), ID);
        assert_eq!(p.expected_version, Some(17));
        assert!(p.dry_run);
        assert!(matches!(
            p.command,
            Command::ReduceSeats(ReduceSeats { seats: 3, .. })
        ));
    }

    #[test]
    fn envelope_errors_name_their_field() {
        let (f, _) = field_of(
            r#"{"type":"Cancel","subscription_id":"6f1c0000-0000-0000-0000-000000000001"}"#,
        );
        assert_eq!(f.as_deref(), Some("command_id"));
        let (f, m) = field_of(&format!(
            r#"{{"command_id":"nope","type":"Cancel","subscription_id":"{SUB}"}}"#
        ));
        assert_eq!(f.as_deref(), Some("command_id"), "{m}");
        let (f, _) = field_of(&format!(
            r#"{{"command_id":"{ID}","expected_version":-1,"type":"Cancel","subscription_id":"{SUB}"}}"#
        ));
        assert_eq!(f.as_deref(), Some("expected_version"));
        let (f, _) = field_of(&format!(
            r#"{{"command_id":"{ID}","dry_run":"yes","type":"Cancel","subscription_id":"{SUB}"}}"#
        ));
        assert_eq!(f.as_deref(), Some("dry_run"));
        let (f, m) = field_of("{not json");
        assert_eq!(f, None);
        assert!(m.contains("not valid JSON"), "{m}");
        let (f, _) = field_of("[1,2]");
        assert_eq!(f, None);
    }

    #[test]
    fn command_errors_name_the_field_even_nested() {
        let purchase = |item: &str| {
            format!(
                r#"{{"command_id":"{ID}","type":"Purchase","customer_id":"{SUB}","items":[{{"product_id":"m365-e3","quantity":1,"term":"P1Y","billing":"monthly"}},{item}]}}"#
            )
        };
        let cases = [
            (
                purchase(
                    r#"{"product_id":"m365-e3","quantity":-2,"term":"P1Y","billing":"monthly"}"#,
                ),
                "items[1].quantity",
            ),
            (
                purchase(r#"{"product_id":"m365-e3","term":"P1Y","billing":"monthly"}"#),
                "items[1].quantity",
            ),
            (
                purchase(
                    r#"{"product_id":"m365-e3","quantity":1,"term":"P1Y","billing":"weekly"}"#,
                ),
                "items[1].billing",
            ),
            (
                purchase(
                    r#"{"product_id":"m365-e3","quantity":1,"term":"P1Y","billing":"monthly","qty":2}"#,
                ),
                "items[1].qty",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"AddSeats","subscription_id":"{SUB}","seats":-1}}"#
                ),
                "seats",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"AddSeats","subscription_id":"not-a-uuid","seats":1}}"#
                ),
                "subscription_id",
            ),
            (
                format!(r#"{{"command_id":"{ID}","type":"AddSeats","subscription_id":"{SUB}"}}"#),
                "seats",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"AddSeats","subscription_id":"{SUB}","seats":1,"seat":2}}"#
                ),
                "seat",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"AddSeat","subscription_id":"{SUB}","seats":1}}"#
                ),
                "type",
            ),
            (
                format!(r#"{{"command_id":"{ID}","subscription_id":"{SUB}","seats":1}}"#),
                "type",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"RevealKey","subscription_id":"{SUB}","version":5}}"#
                ),
                "version",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"RevealKey","subscription_id":"{SUB}","key_type":"XYZ"}}"#
                ),
                "key_type",
            ),
            (
                format!(
                    r#"{{"command_id":"{ID}","type":"AcceptTransfer","transfer_id":"{SUB}","subscription_ids":["{SUB}","x"]}}"#
                ),
                "subscription_ids[1]",
            ),
        ];
        for (body, want) in cases {
            let (field, message) = field_of(&body);
            assert_eq!(field.as_deref(), Some(want), "{body} -> {message}");
            assert!(message.starts_with(want), "{message}");
        }
    }
}

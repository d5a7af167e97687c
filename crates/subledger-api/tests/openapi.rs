//! The published contract states what the server does: formats and ranges of
//! parameters, the error statuses of every operation, and the commands' bodies
//! derived from the types `parse_command` reads.

use serde_json::{Value, json};
use subledger_api::{command_schema_name, openapi_contract, parse_command};

fn param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{path} {name}"))
}

#[test]
fn parameters_state_their_formats_and_ranges() {
    let doc = openapi_contract();
    assert_eq!(
        param(&doc, "/v1/subscriptions/{id}", "id")["schema"]["format"],
        "uuid"
    );
    let as_of = &param(&doc, "/v1/subscriptions/{id}", "as_of")["schema"];
    let formats: Vec<&Value> = as_of["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["format"])
        .collect();
    assert_eq!(formats, [&json!("date-time"), &json!("date")]);
    for name in ["from", "to"] {
        assert!(param(&doc, "/v1/billing/lines", name)["schema"]["oneOf"].is_array());
    }
    let limit = &param(&doc, "/v1/customers", "limit")["schema"];
    assert_eq!(
        (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
        (Some(1), Some(1000))
    );
    assert_eq!(
        param(&doc, "/v1/audit/key-access", "customer_id")["schema"]["format"],
        "uuid"
    );
    assert_eq!(
        param(&doc, "/v1/audit/key-access", "user")["schema"]["minLength"],
        1
    );
    assert!(param(&doc, "/v1/billing/lines", "cursor")["schema"]["pattern"].is_string());
}

#[test]
fn every_operation_documents_its_error_statuses() {
    let doc = openapi_contract();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let r = &op["responses"];
            for status in ["500", "503"] {
                assert!(r[status].is_object(), "{method} {path} {status}");
            }
            if path != "/healthz" {
                assert!(r["401"].is_object(), "{method} {path} 401");
            }
            if op["parameters"].as_array().is_some_and(|p| !p.is_empty())
                || op["requestBody"].is_object()
            {
                assert!(r["400"].is_object(), "{method} {path} 400");
            }
            if op["requestBody"].is_object() {
                for status in ["408", "413"] {
                    assert!(r[status].is_object(), "{method} {path} {status}");
                }
            }
            // The rate limit: everything but liveness, metrics and this document.
            let limited = !matches!(path.as_str(), "/healthz" | "/metrics" | "/openapi.json");
            assert_eq!(r["429"].is_object(), limited, "{method} {path} 429");
            if limited {
                assert_eq!(
                    r["429"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path}"
                );
                assert!(
                    r["429"]["headers"]["Retry-After"]["schema"].is_object(),
                    "{method} {path}"
                );
            }
        }
    }
    let commands = &doc["paths"]["/v1/commands"]["post"]["responses"];
    for status in [
        "400", "401", "403", "404", "408", "409", "413", "422", "429", "503",
    ] {
        assert!(commands[status].is_object(), "commands {status}");
    }
}

/// A minimal value by a schema: required fields only.
fn example(schema: &Value, doc: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return example(&doc["components"]["schemas"][name], doc);
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let pick = one.iter().find(|s| s["type"] != "null").unwrap();
        return example(pick, doc);
    }
    if let Some(e) = schema["enum"].as_array() {
        return e[0].clone();
    }
    let ty = match &schema["type"] {
        Value::Array(ts) => ts.iter().find(|t| *t != "null").cloned().unwrap(),
        t => t.clone(),
    };
    match ty.as_str().unwrap() {
        "object" => {
            let mut out = serde_json::Map::new();
            for r in schema["required"].as_array().into_iter().flatten() {
                let name = r.as_str().unwrap();
                out.insert(name.into(), example(&schema["properties"][name], doc));
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "integer" => json!(1),
        "boolean" => json!(true),
        _ => match schema["format"].as_str() {
            Some("uuid") => json!("6f1c0000-0000-0000-0000-000000000001"),
            Some("date") => json!("2026-01-01"),
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            _ => json!("x"),
        },
    }
}

#[test]
fn every_command_type_of_the_schema_parses_and_the_lists_agree() {
    let doc = openapi_contract();
    let command = &doc["components"]["schemas"]["Command"];
    assert_eq!(command["discriminator"]["propertyName"], "type");
    let listed: Vec<String> = command["discriminator"]["mapping"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut parser: Vec<String> = subledger_domain::Command::TYPE_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    parser.sort();
    assert_eq!(sorted, parser);
    assert_eq!(command["oneOf"].as_array().unwrap().len(), parser.len());
    for name in listed {
        let schema = &doc["components"]["schemas"][command_schema_name(&name)];
        assert_eq!(schema["additionalProperties"], false, "{name}");
        let body = example(schema, &doc);
        let parsed = parse_command(body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {body} -> {e:?}"));
        assert_eq!(parsed.command.type_name(), name);
    }
    let body = doc["paths"]["/v1/commands"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].clone();
    assert_eq!(body, "#/components/schemas/Command");
}

#[test]
fn integral_numbers_are_integers() {
    let p = parse_command(br#"{"command_id":"6f1c0000-0000-0000-0000-0000000000aa","type":"AddSeats","subscription_id":"6f1c0000-0000-0000-0000-000000000001","seats":3.0,"expected_version":2.0}"#).unwrap();
    assert_eq!(p.expected_version, Some(2));
    assert!(parse_command(br#"{"command_id":"6f1c0000-0000-0000-0000-0000000000aa","type":"AddSeats","subscription_id":"6f1c0000-0000-0000-0000-000000000001","seats":3.5}"#).is_err());
}

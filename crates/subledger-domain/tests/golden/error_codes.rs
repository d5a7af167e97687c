//! GEN-6: the refusal codes and rule ids of the code are those of the contract.
//! `RejectionCode` is the one list of error codes; every code API.md names must be
//! in it, and every rule id of RULES.md must have its constant.

use std::path::{Path, PathBuf};

use subledger_domain::RejectionCode;
use subledger_domain::rules;

/// `shared/<name>` beside the checkout (`../../../shared` from this crate in the
/// usual layout; the nearest ancestor that holds it in a worktree elsewhere).
fn shared_doc(name: &str) -> (PathBuf, String) {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = crate_dir
        .ancestors()
        .map(|dir| dir.join("shared").join(name))
        .find(|path| path.is_file());
    let Some(path) = found else {
        panic!(
            "shared/{name} not found beside any ancestor of {}: the contract documents must be \
             checked out next to the repository (../../../shared/{name} from this crate)",
            crate_dir.display()
        );
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (path, text)
}

/// The text of the `## <title>` section, without its fenced code blocks.
fn section(doc: &str, title: &str) -> String {
    let start = doc
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section `## {title}`"));
    let body = &doc[start + title.len() + 5..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut in_fence = false;
    body.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                return false;
            }
            !in_fence
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every word in backticks that looks like an error code (`SeatReductionWindowClosed`,
/// `500 InternalError`).
fn backticked_codes(text: &str) -> Vec<String> {
    let mut codes: Vec<String> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(str::split_whitespace)
        .filter(|w| {
            w.len() > 1
                && w.starts_with(|c: char| c.is_ascii_uppercase())
                && w.chars().all(|c| c.is_ascii_alphabetic())
                && w.chars().any(|c| c.is_ascii_lowercase())
        })
        .map(str::to_owned)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn gen_6_every_error_code_of_api_md_is_a_rejection_code() {
    let (path, api) = shared_doc("API.md");
    let codes = backticked_codes(&section(&api, "Errors"));
    assert!(
        codes.len() >= 10,
        "found only {codes:?} in the Errors section of {}",
        path.display()
    );
    let known: Vec<&str> = RejectionCode::ALL.iter().map(|c| c.as_str()).collect();
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !known.contains(&c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes of {} that RejectionCode lacks: {missing:?}",
        path.display()
    );
}

#[test]
fn gen_6_rejection_codes_serialize_as_their_wire_names() {
    for code in RejectionCode::ALL {
        let json = serde_json::to_string(code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        let back: RejectionCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, *code);
    }
}

#[test]
fn gen_6_every_rule_of_rules_md_has_its_constant() {
    let (path, text) = shared_doc("RULES.md");
    let ids: Vec<&str> = text
        .split("**")
        .skip(1)
        .step_by(2)
        .filter(|w| {
            w.split_once('-').is_some_and(|(family, n)| {
                !family.is_empty()
                    && family.chars().all(|c| c.is_ascii_uppercase())
                    && !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_digit())
            })
        })
        .collect();
    assert!(
        ids.len() >= 50,
        "found only {} rule ids in {}",
        ids.len(),
        path.display()
    );
    let missing: Vec<&&str> = ids
        .iter()
        .filter(|id| rules::RuleId::parse(id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "rule ids of {} without a constant in rules: {missing:?}",
        path.display()
    );
}

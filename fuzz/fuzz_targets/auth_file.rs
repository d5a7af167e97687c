//! Bytes → the auth file parser (`AuthFile::from_json`, what `AuthFile::load`
//! runs on the file's text). Either a validated file or an `AuthError`, never a
//! panic; a file that loads is written back (as `AuthFile::write` does) to a
//! text that loads to the same file; and neither its debug output nor an error
//! shows a token (tokens are secrets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use subledger_api::AuthFile;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let tokens = secret_tokens(text);
    match AuthFile::from_json(text) {
        Err(e) => {
            let message = e.to_string();
            for t in &tokens {
                assert!(
                    !message.contains(t.as_str()),
                    "the error {message:?} shows a token"
                );
            }
        }
        Ok(file) => {
            file.validate().expect("a loaded file is valid");
            let written = serde_json::to_string_pretty(&file).expect("an auth file serializes");
            let back = AuthFile::from_json(&written).expect("a written auth file loads");
            assert!(back == file, "a written auth file loads as another");
            let debug = format!("{file:?}");
            for t in &tokens {
                assert!(
                    !debug.contains(t.as_str()),
                    "the debug output shows a token"
                );
            }
        }
    }
});

/// The tokens of `text` that only ever appear as tokens: at least 8 characters
/// and no part of any other string of the file (a user named like its token
/// would be shown as the user, which is no leak).
fn secret_tokens(text: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut tokens = Vec::new();
    let mut others = Vec::new();
    collect(&value, None, &mut tokens, &mut others);
    tokens.retain(|t: &String| {
        t.len() >= 8 && !others.iter().any(|o: &String| o.contains(t.as_str()))
    });
    tokens
}

fn collect(
    v: &serde_json::Value,
    key: Option<&str>,
    tokens: &mut Vec<String>,
    others: &mut Vec<String>,
) {
    match v {
        serde_json::Value::String(s) if key == Some("token") => tokens.push(s.clone()),
        serde_json::Value::String(s) => others.push(s.clone()),
        serde_json::Value::Object(m) => {
            for (k, child) in m {
                others.push(k.clone());
                collect(child, Some(k), tokens, others);
            }
        }
        serde_json::Value::Array(a) => {
            for child in a {
                // Array elements keep the key of their array: `roles: ["…"]`.
                collect(child, key, tokens, others);
            }
        }
        other => others.push(other.to_string()),
    }
}

//! What the CSV answers share: whether the client asked for CSV (`format=csv`
//! or `Accept: text/csv`), RFC 4180 lines, and the response with its
//! attachment file name.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use subledger_domain::view::csv_field;

use crate::error::ApiError;

/// `format=csv` or `format=json` decides; without it, an `Accept` naming
/// `text/csv` asks for CSV.
pub(crate) fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::invalid(
            "format",
            format!("format must be csv or json, not {other}"),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|m| m.trim().starts_with("text/csv"))),
    }
}

/// Appends one CSV line (RFC 4180: quoted where needed, CRLF-terminated).
pub(crate) fn push_line<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(f.as_ref()));
    }
    out.push_str("\r\n");
}

/// `text/csv; charset=utf-8`, as an attachment named `filename`.
pub(crate) fn csv_response(body: String, filename: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_3_csv_lines_quote_what_rfc_4180_needs() {
        let mut out = String::new();
        push_line(&mut out, &["a", "b,c", "say \"hi\"", "two\nlines", ""]);
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }

    #[test]
    fn view_3_format_decides_then_accept() {
        let mut h = HeaderMap::new();
        assert!(!wants_csv(None, &h).unwrap());
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/csv;q=0.5"),
        );
        assert!(wants_csv(None, &h).unwrap());
        assert!(!wants_csv(Some("json"), &h).unwrap());
        assert!(wants_csv(Some("csv"), &HeaderMap::new()).unwrap());
        let e = wants_csv(Some("xml"), &h).unwrap_err();
        assert!(matches!(e, ApiError::InvalidRequest { field: Some(f), .. } if f == "format"));
    }
}

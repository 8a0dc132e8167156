//! The OpenAPI 3.1 document of the reporter API (`GET /api/v1/openapi.json`), generated from
//! the handlers' annotations and completed here with what only the running server knows
//! or what every route shares:
//!
//! * the deployment's agency ids and the kinds, as enums of the request schemas;
//! * the "not blank" pattern of every report and follow-up text, generated from the same
//!   character set the server's check uses ([`BLANK`]);
//! * the answers every route can give: 429 (rate limits, with `Retry-After`) and 500 on
//!   every route, 408 (time limits) on every POST, and `Retry-After` on 503.
//!
//! The document is checked against the real server by `.ci/api-contract` (schemathesis).
//! Reviewer routes are not in it: they take signed requests (docs/FORMATS.md §3).

use amana_core::case::Kind;
use amana_core::services::{Centre, Questionnaire, Services};
use axum::{extract::State, response::IntoResponse, Json};
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::schemas::{ErrorKind, ErrorSchema, ReceiptKeySchema, ReceiptSchema};
use crate::state::AppState;

/// The reporter API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Amana reporter API",
        description = "Anonymous reports and the citizen voice. No cookies, no sessions: the follow-up code is the only credential. Every route is rate limited (429 with Retry-After). The reviewer API (signed requests) is specified in docs/FORMATS.md and is not part of this document."
    ),
    paths(
        crate::intake::submit_json,
        crate::status::status_json,
        crate::followup::follow_up_json,
        crate::upload::resumable::begin::start,
        crate::upload::resumable::status,
        crate::upload::resumable::append::append,
        crate::followup::rating_json,
        crate::public::receipt_key,
        crate::public::agencies,
        crate::transparency::list,
        crate::transparency::period,
        openapi_json,
        crate::public::healthz,
    ),
    components(schemas(
        ErrorSchema,
        ErrorKind,
        ReceiptKeySchema,
        ReceiptSchema,
        crate::upload::resumable::StartUpload,
        crate::upload::resumable::UploadState
    ))
)]
pub struct ApiDoc;

/// This document: the reporter API as this deployment serves it (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)), tag = "reporter")]
pub async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    let agencies: Vec<String> = state.keyring.agencies.iter().map(|a| a.id.clone()).collect();
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    let mut doc = document(&agencies, &kinds);
    let max_file = state.uploads.max_file_mb.saturating_mul(crate::config::MIB);
    set_property(&mut doc, &["StartUpload"], "size", "maximum", &json!(max_file));
    let max_files = json!(state.uploads.max_files_per_case);
    set_property(&mut doc, &["SubmitReport", "FollowUpRequest"], "uploads", "maxItems", &max_files);
    if let Some(schema) = doc.pointer_mut("/components/schemas/SubmitReport") {
        schema["anyOf"] = evaluation_variants(&state.services, &agencies, &kinds);
    }
    Json(doc)
}

/// The characters Rust's `str::trim` removes (Unicode White_Space): a text made only of
/// these is blank, and refused.
pub const BLANK: &[(char, char)] = &[
    ('\u{9}', '\u{d}'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

/// A regular expression matching any text with a character outside [`BLANK`], written
/// with `\uXXXX` escapes only, so every regex dialect reads it alike.
pub fn not_blank_pattern() -> String {
    let u = |c: char| format!("\\u{:04x}", c as u32);
    let class: String =
        BLANK.iter().map(|&(a, b)| if a == b { u(a) } else { format!("{}-{}", u(a), u(b)) }).collect();
    format!("[^{class}]")
}

fn error_response(description: &str, retry_after: bool) -> Value {
    let mut r = json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    });
    if retry_after {
        r["headers"] = json!({
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "required": true,
                "schema": { "type": "integer", "minimum": 1 },
            }
        });
    }
    r
}

/// Sets `value` at `schema.properties.name.key`, for each listed schema that has it.
fn set_property(doc: &mut Value, schemas: &[&str], name: &str, key: &str, value: &Value) {
    for schema in schemas {
        if let Some(p) = doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{name}")) {
            p[key] = value.clone();
        }
    }
}

/// The document as this deployment serves it.
pub fn document(agencies: &[String], kinds: &[&str]) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    let reports = ["SubmitReport", "ReportForm", "StartUpload"];
    set_property(&mut doc, &reports, "agency", "enum", &json!(agencies));
    set_property(&mut doc, &reports, "kind", "enum", &json!(kinds));
    // What `upload::resumable` checks of a resumable upload and its capability.
    set_property(&mut doc, &["StartUpload"], "sha256", "pattern", &json!("^[0-9a-f]{64}$"));
    // 32 bytes in base64url: 43 characters, the last holding 4 bits and 2 zero ones.
    let capability = json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$" });
    set_property(&mut doc, &["SubmitReport", "FollowUpRequest"], "uploads", "items", &capability);
    start_shapes(&mut doc);
    let texts = ["SubmitReport", "ReportForm", "FollowUpRequest", "FollowUpForm"];
    set_property(&mut doc, &texts, "body", "pattern", &json!(not_blank_pattern()));
    let files = json!({
        "type": "array",
        "items": { "type": "string", "format": "binary" },
        "description": "Evidence files, each an `attachment` part after every text field.",
    });
    let flag = json!({ "type": "string", "enum": ["true", "false"] });
    set_property(&mut doc, &["ReportForm"], "oversight_only", "enum", &flag["enum"]);
    set_property(&mut doc, &["ReportForm"], "receipt", "enum", &flag["enum"]);
    for (form, required) in
        [("ReportForm", json!(["kind", "agency", "body"])), ("FollowUpForm", json!(["code", "body"]))]
    {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{form}")) {
            // Unknown fields are refused, as in JSON (`upload::FormSpec`).
            schema["additionalProperties"] = json!(false);
            schema["properties"]["attachment"] = files.clone();
            schema["required"] = required;
        }
    }
    doc["components"]["responses"] = json!({
        "RateLimited": error_response("Too many requests from you, or from everyone on this route. Nothing was saved; wait as Retry-After says.", true),
        "Timeout": error_response("The request took too long to arrive (or an upload came too slowly). Nothing was saved.", false),
        "Internal": error_response("Something went wrong on our side. Nothing was saved.", false),
    });
    let reference = |name: &str| json!({ "$ref": format!("#/components/responses/{name}") });
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operations in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, op) in operations.iter_mut() {
                let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                    continue;
                };
                responses.insert("429".into(), reference("RateLimited"));
                responses.insert("500".into(), reference("Internal"));
                if method == "post" {
                    responses.insert("408".into(), reference("Timeout"));
                }
                if let Some(busy) = responses.get_mut("503") {
                    let description = busy["description"].as_str().unwrap_or("Busy").to_string();
                    *busy = error_response(&description, true);
                }
            }
        }
    }
    doc
}

/// `StartUpload`'s two shapes (`upload::resumable`): a report's `kind` and `agency` (and
/// `oversight_only`), or a follow-up's `code` alone; each field present is never null.
fn start_shapes(doc: &mut Value) {
    let Some(schema) = doc.pointer_mut("/components/schemas/StartUpload") else { return };
    for (field, kind) in
        [("kind", "string"), ("agency", "string"), ("oversight_only", "boolean"), ("code", "string")]
    {
        if let Some(p) = schema.pointer_mut(&format!("/properties/{field}")) {
            p["type"] = json!(kind);
        }
    }
    let has = |f: &str| json!({ "required": [f] });
    schema["oneOf"] = json!([
        { "required": ["kind", "agency"], "not": has("code") },
        { "required": ["code"], "not": { "anyOf": [has("kind"), has("agency"), has("oversight_only")] } },
    ]);
}

/// What `centre` and `ratings` may hold, as JSON Schema variants of a report (`anyOf`): none
/// for most kinds; for a compliment, a centre of its agency; for a service evaluation, a
/// centre of its agency and an answer to every criterion of the questionnaire that applies
/// there. A client (and the contract test) then knows exactly which bodies are accepted.
fn evaluation_variants(services: &Services, agencies: &[String], kinds: &[&str]) -> Value {
    let with_centres = [Kind::Compliment.as_str(), Kind::ServiceEvaluation.as_str()];
    let plain: Vec<&str> = kinds.iter().copied().filter(|k| !with_centres.contains(k)).collect();
    let none = json!({ "type": "null" });
    let mut variants = vec![
        json!({ "properties": { "kind": { "enum": plain }, "centre": none, "ratings": none, "visit_token": none } }),
    ];
    for agency in agencies {
        let centres: Vec<&Centre> = services.centres_of(agency).collect();
        let mut ids: Vec<Value> = vec![Value::Null];
        ids.extend(centres.iter().map(|c| json!(c.id)));
        variants.push(json!({ "properties": {
            "kind": { "const": "compliment" }, "agency": { "const": agency },
            "centre": { "enum": ids }, "ratings": none, "visit_token": none } }));
        let answers = |centre: Option<&Centre>| {
            services
                .questionnaire_for(agency, centre)
                .map_or_else(|| none.clone(), |q| answers_schema(q, true))
        };
        // With a visit token the answers are required (a commissioned visit rates).
        let answers_required = |centre: Option<&Centre>| {
            services
                .questionnaire_for(agency, centre)
                .map_or_else(|| none.clone(), |q| answers_schema(q, false))
        };
        variants.push(json!({ "properties": {
            "kind": { "const": "service_evaluation" }, "agency": { "const": agency },
            "centre": none, "ratings": answers(None), "visit_token": none } }));
        variants.push(json!({ "required": ["ratings", "visit_token"], "properties": {
            "kind": { "const": "service_evaluation" }, "agency": { "const": agency },
            "centre": none, "ratings": answers_required(None) } }));
        for c in centres {
            variants.push(json!({ "required": ["centre"], "properties": {
                "kind": { "const": "service_evaluation" }, "agency": { "const": agency },
                "centre": { "const": c.id }, "ratings": answers(Some(c)), "visit_token": none } }));
            variants.push(json!({ "required": ["centre", "ratings", "visit_token"], "properties": {
                "kind": { "const": "service_evaluation" }, "agency": { "const": agency },
                "centre": { "const": c.id }, "ratings": answers_required(Some(c)) } }));
        }
    }
    Value::Array(variants)
}

/// Every criterion of `q`, each 1–5 or null (not applicable), and nothing else; or, if
/// `optional`, no answers at all.
fn answers_schema(q: &Questionnaire, optional: bool) -> Value {
    let one = json!({ "type": ["integer", "null"], "minimum": 1, "maximum": 5 });
    let properties: serde_json::Map<String, Value> =
        q.criteria.iter().map(|c| (c.id.clone(), one.clone())).collect();
    let required: Vec<&str> = q.criteria.iter().map(|c| c.id.as_str()).collect();
    let kind = if optional { json!(["object", "null"]) } else { json!("object") };
    json!({ "type": kind, "properties": properties, "required": required, "additionalProperties": false })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank_by_pattern(c: char) -> bool {
        BLANK.iter().any(|&(a, b)| (a..=b).contains(&c))
    }

    #[test]
    fn the_blank_set_is_exactly_what_trim_removes() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), blank_by_pattern(c), "U+{:04X}", c as u32);
        }
        assert_eq!(
            not_blank_pattern(),
            "[^\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000]"
        );
    }

    #[test]
    fn centres_and_ratings_are_described_per_kind_and_agency() {
        let services = Services::defaults();
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        let v = evaluation_variants(&services, &["health".into()], &kinds);
        let v = v.as_array().expect("variants");
        assert_eq!(v.len(), 4, "plain kinds, a compliment, an evaluation with and without a token: {v:?}");
        assert_eq!(
            v[0]["properties"]["kind"]["enum"],
            json!(["violation", "complaint", "suggestion", "inquiry"])
        );
        assert_eq!(v[0]["properties"]["centre"], json!({ "type": "null" }));
        let ratings = &v[2]["properties"]["ratings"];
        assert_eq!(ratings["required"].as_array().map(Vec::len), Some(9));
        assert_eq!(ratings["additionalProperties"], json!(false));
    }

    #[test]
    fn an_upload_starts_for_a_report_or_a_follow_up_never_both() {
        let doc = document(&["health".into()], &["violation"]);
        let schema = &doc["components"]["schemas"]["StartUpload"];
        assert_eq!(schema["oneOf"].as_array().map(Vec::len), Some(2), "{schema}");
        assert_eq!(schema["required"], json!(["name", "size", "sha256"]), "{schema}");
        for field in crate::upload::resumable::SHAPE_FIELDS {
            let kind = &schema["properties"][field]["type"];
            assert!(kind.is_string(), "{field} must not be nullable: {schema}");
        }
        assert_eq!(schema["properties"]["agency"]["enum"], json!(["health"]));
        let uploads = &doc["components"]["schemas"]["FollowUpRequest"]["properties"]["uploads"];
        assert!(uploads["items"]["pattern"].is_string(), "{uploads}");
    }

    #[test]
    fn every_operation_documents_rate_limits_and_errors() {
        let doc = document(&["health".into()], &["violation"]);
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("operations") {
                let r = &op["responses"];
                assert!(r.get("429").is_some() && r.get("500").is_some(), "{method} {path}");
                assert_eq!(method == "post", r.get("408").is_some(), "{method} {path}");
            }
        }
        assert_eq!(
            doc["components"]["schemas"]["SubmitReport"]["properties"]["agency"]["enum"],
            json!(["health"])
        );
    }
}

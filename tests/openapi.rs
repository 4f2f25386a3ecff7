//! The served OpenAPI document (`GET /rest/openapi.json`) against the running server, both ways,
//! on both backends: the document is valid and self-contained; every operation it describes is
//! routed and answers only statuses it documents, for a plain call, a missing key, a bad key and
//! a malformed body; every method it does not list on one of its paths is 405; and its
//! operations are exactly the router's (`ROUTES`, kept by hand from `src/http/router.rs`).

mod common;

use std::collections::BTreeSet;

use common::{Backend, TestApp, spawn_app};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// Every route `src/http/router.rs` serves outside the web app (`/app`, `/static`) and the
/// landing page, as `METHOD path` with the document's parameter names. Add a route there, add it
/// here and to `src/http/openapi.json`: the document is compared with this list.
const ROUTES: &[&str] = &[
    "GET /rest/health",
    "GET /rest/openapi.json",
    "GET /rest/v3/short-urls",
    "POST /rest/v3/short-urls",
    "GET /rest/v3/short-urls/{shortCode}",
    "PATCH /rest/v3/short-urls/{shortCode}",
    "DELETE /rest/v3/short-urls/{shortCode}",
    "GET /rest/v3/tags",
    "PUT /rest/v3/tags",
    "DELETE /rest/v3/tags",
    "GET /rest/v3/tags/stats",
    "GET /rest/v3/health",
    "GET /rest/v3/domains",
    "GET /rest/v3/short-urls/shorten",
    "GET /rest/v3/short-urls/{shortCode}/redirect-rules",
    "POST /rest/v3/short-urls/{shortCode}/redirect-rules",
    "GET /rest/v3/short-urls/{shortCode}/visits",
    "DELETE /rest/v3/short-urls/{shortCode}/visits",
    "GET /rest/v3/tags/{tag}/visits",
    "GET /rest/v3/domains/{domain}/visits",
    "PATCH /rest/v3/domains/redirects",
    "GET /rest/v3/visits",
    "GET /rest/v3/visits/orphan",
    "DELETE /rest/v3/visits/orphan",
    "GET /rest/v3/visits/non-orphan",
    "GET /rest/v3/mercure-info",
    "GET /metrics",
    "GET /robots.txt",
    "GET /admin/pipeline",
    "GET /admin/dlq",
    "GET /admin/dlq/{id}",
    "POST /admin/dlq/replay",
    "POST /admin/dlq/purge",
    "GET /{shortCode}",
    "POST /{shortCode}",
    "GET /{shortCode}/track",
];

/// The methods probed on every documented path.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// The keys of an OpenAPI path item that are operations.
const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The tag every probe link carries, which `{tag}` stands for.
const TAG: &str = "openapi-probe";

/// One operation of the document: its method, its templated path and its object.
struct Operation {
    method: Method,
    path: String,
    object: Value,
}

impl Operation {
    /// `METHOD path`, as in [`ROUTES`].
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The concrete values a probe substitutes for path parameters.
struct Fixture {
    short_code: String,
}

/// Fetches the document from the running server.
async fn fetch_document(app: &TestApp) -> Value {
    let response = app.get("/rest/openapi.json").await;
    assert_eq!(response.status(), 200);
    let content_type = header(&response, "content-type");
    assert_eq!(content_type, "application/json", "content type");
    response.json().await.expect("the document is JSON")
}

/// Every operation in `document`.
fn operations(document: &Value) -> Vec<Operation> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut found = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for (key, object) in item {
            if !HTTP_METHODS.contains(&key.as_str()) {
                continue;
            }
            found.push(Operation {
                method: key.to_ascii_uppercase().parse().expect("an HTTP method"),
                path: path.clone(),
                object: object.clone(),
            });
        }
    }
    found
}

/// `value`, or what its `$ref` points to inside `document`.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(target) => {
            let pointer = target.strip_prefix('#').expect("a local $ref");
            document
                .pointer(pointer)
                .unwrap_or_else(|| panic!("$ref {target} does not resolve"))
        }
        None => value,
    }
}

/// Every `$ref` in `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|inner| refs(inner, found));
        }
        Value::Array(items) => items.iter().for_each(|inner| refs(inner, found)),
        _ => {}
    }
}

/// The statuses `operation` documents explicitly (not counting `default`).
fn documented_statuses(operation: &Operation) -> BTreeSet<u16> {
    operation.object["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .filter_map(|code| code.parse().ok())
        .collect()
}

/// The media types (without parameters) `operation` documents for `status`; empty when that
/// response has no body.
fn documented_media_types(document: &Value, operation: &Operation, status: u16) -> Vec<String> {
    let response = resolve(document, &operation.object["responses"][status.to_string()]);
    response["content"]
        .as_object()
        .map(|content| content.keys().map(|media| essence(media)).collect())
        .unwrap_or_default()
}

/// Where the key of `operation` goes (`header` or `query`) and under which name; `None` when the
/// operation needs none.
fn key_location(document: &Value, operation: &Operation) -> Option<(String, String)> {
    let security = operation
        .object
        .get("security")
        .or_else(|| document.get("security"))?;
    let requirement = security.as_array()?.first()?.as_object()?;
    let scheme_name = requirement.keys().next()?;
    let scheme = &document["components"]["securitySchemes"][scheme_name];
    assert_eq!(scheme["type"], "apiKey", "scheme {scheme_name}");
    Some((
        scheme["in"].as_str()?.to_owned(),
        scheme["name"].as_str()?.to_owned(),
    ))
}

/// Whether `operation` takes a JSON body.
fn takes_json_body(document: &Value, operation: &Operation) -> bool {
    operation.object.get("requestBody").is_some_and(|body| {
        resolve(document, body)["content"]
            .as_object()
            .is_some_and(|content| {
                content
                    .keys()
                    .any(|media| essence(media) == "application/json")
            })
    })
}

/// `path` with its parameters replaced by values that exist.
fn concrete(path: &str, fixture: &Fixture) -> String {
    let mut concrete = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closed parameter") + start;
        concrete.push_str(&rest[..start]);
        let value = match &rest[start + 1..end] {
            "shortCode" => fixture.short_code.as_str(),
            "tag" => TAG,
            "domain" => "DEFAULT",
            "id" => "1",
            other => panic!("no probe value for the path parameter {other} of {path}"),
        };
        concrete.push_str(value);
        rest = &rest[end + 1..];
    }
    concrete.push_str(rest);
    concrete
}

/// A plausible value for a required query parameter.
fn sample_query_value(name: &str) -> &'static str {
    match name {
        "longUrl" => "https://example.com/openapi",
        _ => TAG,
    }
}

/// A request for `operation` at `path` carrying `key` where the document says the key goes
/// (nothing when `key` is `None` or the operation needs none), with every required query
/// parameter filled in.
fn request(
    app: &TestApp,
    document: &Value,
    operation: &Operation,
    method: Method,
    path: &str,
    key: Option<&str>,
) -> RequestBuilder {
    let mut query: Vec<(String, String)> = Vec::new();
    for parameter in operation.object["parameters"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let parameter = resolve(document, parameter);
        if parameter["in"] == "query" && parameter["required"] == true {
            let name = parameter["name"].as_str().expect("parameter name");
            query.push((name.to_owned(), sample_query_value(name).to_owned()));
        }
    }
    let mut headers = Vec::new();
    if let (Some(key), Some((location, name))) = (key, key_location(document, operation)) {
        match location.as_str() {
            "header" => headers.push((name, key.to_owned())),
            "query" => query.push((name, key.to_owned())),
            other => panic!("API key in {other}"),
        }
    }
    let mut url = url::Url::parse(&format!("{}{path}", app.address)).expect("URL");
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(&query);
    }
    headers
        .into_iter()
        .fold(app.client.request(method, url), |builder, (name, value)| {
            builder.header(name, value)
        })
}

/// A header's value, empty when absent.
fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A media type without its parameters, lower case.
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// What a probe saw: status, media type and the body (JSON when it is JSON).
struct Answer {
    status: u16,
    media_type: String,
    body: Value,
}

impl Answer {
    async fn of(response: Response) -> Self {
        let status = response.status().as_u16();
        let media_type = essence(&header(&response, "content-type"));
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Self {
            status,
            media_type,
            body,
        }
    }

    /// The Shlink problem type, when the answer is problem+json.
    fn problem_type(&self) -> Option<&str> {
        if self.media_type != "application/problem+json" {
            return None;
        }
        self.body["type"]
            .as_str()
            .and_then(|kind| kind.strip_prefix("https://shlink.io/api/error/"))
    }

    /// Whether this is the REST API's answer for a path it does not route.
    fn is_route_not_found(&self) -> bool {
        self.problem_type() == Some("not-found")
            && self.body["detail"] == "Requested route does not exist."
    }
}

/// Asserts `answer` is one `operation` documents: its status listed explicitly, with a body of a
/// documented media type.
fn assert_documented(document: &Value, operation: &Operation, what: &str, answer: &Answer) {
    let context = format!(
        "{what}: {} answered {} {} {}",
        operation.name(),
        answer.status,
        answer.media_type,
        answer.body
    );
    assert!(!answer.is_route_not_found(), "not routed; {context}");
    assert_ne!(answer.status, 405, "method not allowed; {context}");
    assert!(
        documented_statuses(operation).contains(&answer.status),
        "undocumented status; {context}"
    );
    let media_types = documented_media_types(document, operation, answer.status);
    if !media_types.is_empty() {
        assert!(
            media_types.contains(&answer.media_type),
            "undocumented media type (documented: {media_types:?}); {context}"
        );
    }
}

/// A fresh link carrying [`TAG`], so destructive probes do not affect each other.
async fn fixture(app: &TestApp) -> Fixture {
    let link = app
        .create_link(json!({ "longUrl": "https://example.com/openapi", "tags": [TAG] }))
        .await;
    Fixture {
        short_code: link["shortCode"].as_str().expect("shortCode").to_owned(),
    }
}

/// The same documented path under each API version prefix (only `/rest/v3` paths have others).
fn versions_of(path: &str) -> Vec<String> {
    match path.strip_prefix("/rest/v3/") {
        Some(rest) => ["v1", "v2", "v3"]
            .iter()
            .map(|version| format!("/rest/{version}/{rest}"))
            .collect(),
        None => vec![path.to_owned()],
    }
}

async fn the_document_is_served_valid_and_self_contained(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = fetch_document(&app).await;
    let version = document["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.1"), "openapi {version}");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(document["servers"], json!([{ "url": app.address }]));
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for target in &found {
        resolve(&document, &json!({ "$ref": target }));
    }
    let operations = operations(&document);
    let ids: BTreeSet<&str> = operations
        .iter()
        .map(|operation| {
            operation.object["operationId"]
                .as_str()
                .expect("operationId")
        })
        .collect();
    assert_eq!(ids.len(), operations.len(), "operationIds are unique");
    for operation in &operations {
        if key_location(&document, operation).is_some() {
            assert!(
                documented_statuses(operation).contains(&401),
                "{} needs a key but documents no 401",
                operation.name()
            );
        }
    }
}

async fn the_document_lists_exactly_the_routes_of_the_router(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = fetch_document(&app).await;
    let documented: BTreeSet<String> = operations(&document).iter().map(Operation::name).collect();
    let routed: BTreeSet<String> = ROUTES.iter().map(|route| (*route).to_owned()).collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from the document: {undocumented:?}; documented but not in ROUTES: {unrouted:?}"
    );
}

async fn every_documented_operation_is_served_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = fetch_document(&app).await;
    for operation in operations(&document) {
        for path in versions_of(&operation.path) {
            let fixture = fixture(&app).await;
            let path = concrete(&path, &fixture);
            let method = operation.method.clone();
            let mut builder = request(
                &app,
                &document,
                &operation,
                method,
                &path,
                Some(&app.api_key),
            );
            if takes_json_body(&document, &operation) {
                builder = builder.json(&json!({}));
            }
            let answer = Answer::of(builder.send().await.expect("request")).await;
            assert_documented(&document, &operation, &path, &answer);
        }
    }
}

async fn every_undocumented_method_of_a_documented_path_is_405(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = fetch_document(&app).await;
    let operations = operations(&document);
    let paths: BTreeSet<&str> = operations.iter().map(|op| op.path.as_str()).collect();
    let fixture = fixture(&app).await;
    for template in paths {
        let listed: Vec<&Method> = operations
            .iter()
            .filter(|op| op.path == template)
            .map(|op| &op.method)
            .collect();
        for method in METHODS.iter().filter(|method| !listed.contains(method)) {
            for path in versions_of(template) {
                let path = concrete(&path, &fixture);
                let response = app
                    .client
                    .request(method.clone(), format!("{}{path}", app.address))
                    .header("X-Api-Key", &app.api_key)
                    .send()
                    .await
                    .expect("request");
                let answer = Answer::of(response).await;
                let context = format!("{method} {path} answered {} {}", answer.status, answer.body);
                assert_eq!(answer.status, 405, "{context}");
                if template.starts_with("/rest/") || template.starts_with("/admin/") {
                    let kind = answer.problem_type();
                    assert_eq!(kind, Some("method-not-allowed"), "{context}");
                    assert_eq!(answer.body["title"], "Method not allowed", "{context}");
                }
            }
        }
    }
}

async fn every_keyed_operation_refuses_a_missing_or_bad_key_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = fetch_document(&app).await;
    let fixture = fixture(&app).await;
    let bad_key = format!("{}-bad", app.api_key);
    let mut keyed = 0;
    for operation in operations(&document) {
        if key_location(&document, &operation).is_none() {
            continue;
        }
        keyed += 1;
        for path in versions_of(&operation.path) {
            let path = concrete(&path, &fixture);
            for (key, kind) in [
                (None, "missing-authentication"),
                (Some(bad_key.as_str()), "invalid-api-key"),
            ] {
                let method = operation.method.clone();
                let mut builder = request(&app, &document, &operation, method, &path, key);
                if takes_json_body(&document, &operation) {
                    builder = builder.json(&json!({}));
                }
                let answer = Answer::of(builder.send().await.expect("request")).await;
                let what = format!("{path} with key {key:?}");
                assert_documented(&document, &operation, &what, &answer);
                assert_eq!(answer.status, 401, "{what}: {}", answer.body);
                assert_eq!(answer.problem_type(), Some(kind), "{what}: {}", answer.body);
            }
        }
    }
    assert!(keyed > 20, "only {keyed} operations need a key");
}

async fn every_json_body_refuses_malformed_json_as_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = fetch_document(&app).await;
    let fixture = fixture(&app).await;
    let mut with_body = 0;
    for operation in operations(&document) {
        if !takes_json_body(&document, &operation) {
            continue;
        }
        with_body += 1;
        for path in versions_of(&operation.path) {
            let path = concrete(&path, &fixture);
            let method = operation.method.clone();
            let answer = Answer::of(
                request(
                    &app,
                    &document,
                    &operation,
                    method,
                    &path,
                    Some(&app.api_key),
                )
                .header("content-type", "application/json")
                .body("{\"")
                .send()
                .await
                .expect("request"),
            )
            .await;
            let what = format!("{path} with a malformed body");
            assert_documented(&document, &operation, &what, &answer);
            assert_eq!(answer.status, 400, "{what}: {}", answer.body);
            assert_eq!(answer.problem_type(), Some("invalid-data"), "{what}");
        }
    }
    assert!(
        with_body >= 7,
        "only {with_body} operations take a JSON body"
    );
}

backend_tests!(
    the_document_is_served_valid_and_self_contained,
    the_document_lists_exactly_the_routes_of_the_router,
    every_documented_operation_is_served_as_documented,
    every_undocumented_method_of_a_documented_path_is_405,
    every_keyed_operation_refuses_a_missing_or_bad_key_as_documented,
    every_json_body_refuses_malformed_json_as_documented,
);

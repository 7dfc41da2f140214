//! The OpenAPI document: valid OpenAPI 3.1 (checked by the independent PyPI validator
//! `openapi-spec-validator`), and true to the server — every documented route answers, every
//! documented parameter is accepted, and an undocumented one is rejected.

mod common;

use serde_json::Value;
use shikong::api::openapi::ROUTES;
use std::process::Command;

#[test]
fn document_is_valid_and_matches_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(&dir.path().join("data"), 40_000);
    let base = &server.base;
    let (status, text) = common::get(&format!("{base}/api/v1/openapi.json"));
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["paths"].as_object().unwrap().len(), ROUTES.len());

    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &text).unwrap();
    let python = std::env::var("SHIKONG_PYTHON").unwrap_or_else(|_| "python3".into());
    let check = "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')";
    let output = Command::new(python)
        .args(["-c", check])
        .arg(&file)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "openapi-spec-validator rejected the document (installed by `bash .ci/run`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    for route in ROUTES {
        // Batch 1 is the synthetic dataset.
        let path = route
            .path
            .replace("{code}", "330106")
            .replace("{batch}", "1");
        // Required parameters of the one route that has them.
        let base_query = match route.path {
            "/facilities/nearest" => "lon=120.1&lat=30.3",
            "/coverage" => "parent=330100",
            _ => "",
        };
        let url = |extra: &str| {
            let query = [base_query, extra]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("&");
            format!("{base}/api/v1{path}?{query}")
        };
        let (status, body) = common::get(&url(""));
        assert_eq!(status, 200, "{path}: {body}");
        for param in route
            .query
            .iter()
            .filter(|p| !base_query.contains(&format!("{}=", p.name)))
        {
            let (status, body) = common::get(&url(&format!("{}=", param.name)));
            assert_eq!(
                status, 200,
                "documented parameter {} of {path} refused: {body}",
                param.name
            );
        }
        let (status, body) = common::get(&url("undocumented=1"));
        assert_eq!(status, 400, "{path} accepted an undocumented parameter");
        assert!(body.contains("undocumented"), "{body}");
    }
}

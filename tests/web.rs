//! The web front end in a real headless Chromium (Debian `chromium`, driven by npm
//! `playwright-core`) against the real server: the page loads with no console errors and no
//! request to any other host, the map renders the province choropleth, the kind switch works.
//! Saves `target/screenshots/map.png`. Needs `bash .ci/web-build` and chromium (`.ci/run`).

mod common;

use std::process::Command;

#[test]
fn map_page_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(&dir.path().join("data"), 60_000);
    let script = common::repo_root().join("tests/web/smoke.mjs");
    let output = Command::new("node")
        .arg(script)
        .arg(&server.base)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(output.status.success(), "browser smoke test failed");
    assert!(
        stdout.lines().any(|l| l.trim().ends_with("0 failed")),
        "no summary line"
    );
}

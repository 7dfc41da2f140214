//! The web front end in a real headless Chromium (Debian `chromium`, driven by npm
//! `playwright-core`) against the real server: each page loads with no console errors and no
//! request to any other host, renders real tiles and charts, and its controls work.
//! Saves screenshots under `target/screenshots/`. Needs `bash .ci/web-build` and chromium
//! (`.ci/run` installs both).

mod common;

use std::process::Command;

/// One browser at a time: two software-rendered Chromiums on two cores starve each other's
/// render loops, which measures the machine rather than the page.
static BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs one browser script against a fresh server and requires its `N passed, 0 failed`.
fn browser_test(script: &str, args: &[&str]) {
    // Taken before the server starts, so no database build competes with a browser either.
    let _one_at_a_time = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(&dir.path().join("data"), 60_000);
    let script = common::repo_root().join("tests/web").join(script);
    let output = Command::new("node")
        .arg(&script)
        .arg(&server.base)
        .args(args)
        .env("SHIKONG_TOKEN", &server.token)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(output.status.success(), "{} failed", script.display());
    assert!(
        stdout.lines().any(|l| l.trim().ends_with(" 0 failed")),
        "no summary line"
    );
}

#[test]
fn map_page_renders_in_headless_chromium() {
    browser_test("smoke.mjs", &[]);
}

#[test]
fn county_page_renders_in_headless_chromium() {
    browser_test("county.mjs", &[]);
}

#[test]
fn dashboard_renders_in_headless_chromium() {
    browser_test("dashboard.mjs", &[]);
}

#[test]
fn governance_page_uploads_and_matches_the_api() {
    browser_test("governance.mjs", &[]);
}

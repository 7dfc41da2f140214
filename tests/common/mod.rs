//! Shared helpers for integration tests: the real `shikong` binary on an ephemeral port,
//! over a real DuckDB file in a temporary directory.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The compiled binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_shikong")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `shikong ARGS` to completion, panicking with its output on failure.
pub fn run_ok(args: &[&str]) -> String {
    let output = Command::new(binary())
        .args(args)
        .output()
        .expect("run shikong");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "shikong {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// The first administrator's token (ministry scope), which the request helpers below send
    /// to this server unless told otherwise.
    pub token: String,
}

/// Tokens of the running servers by base URL, so that `get(url)` authenticates as the
/// administrator of the server the URL points at.
static TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

fn admin_token_for(url: &str) -> Option<String> {
    TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(base, _)| url.starts_with(&format!("{base}/")) || url == base)
        .map(|(_, token)| token.clone())
}

impl Server {
    /// Starts `shikong serve` on a free port over `data_dir` (building the database if it is
    /// missing) and waits until it listens.
    pub fn start(data_dir: &Path, records: u64) -> Server {
        Server::start_with(data_dir, &["--records", &records.to_string()])
    }

    /// Starts `shikong serve` with extra arguments.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        Server::spawn(data_dir, extra, None)
    }

    /// Starts `shikong serve` logging at `filter` (`RUST_LOG`), its stdout and stderr copied
    /// to `stdout.log` and `stderr.log` in `log_dir`.
    pub fn start_logged(data_dir: &Path, extra: &[&str], log_dir: &Path, filter: &str) -> Server {
        Server::spawn(data_dir, extra, Some((log_dir, filter)))
    }

    fn spawn(data_dir: &Path, extra: &[&str], logs: Option<(&Path, &str)>) -> Server {
        let mut command = Command::new(binary());
        command
            .args(["serve", "--port", "0"])
            .args(extra)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--web-dir")
            .arg(repo_root().join("web").join("dist"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut stdout_log = None;
        if let Some((dir, filter)) = logs {
            command.env("RUST_LOG", filter);
            command.stderr(std::fs::File::create(dir.join("stderr.log")).expect("stderr.log"));
            stdout_log = Some(std::fs::File::create(dir.join("stdout.log")).expect("stdout.log"));
        }
        let mut child = command.spawn().expect("spawn shikong serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(file) = stdout_log.as_mut() {
                    let _ = std::io::Write::write_all(file, format!("{line}\n").as_bytes());
                }
                if let Some(url) = line.strip_prefix("shikong listening on ") {
                    let _ = tx.send(url.trim_end_matches('/').to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(base) => {
                let token = std::fs::read_to_string(data_dir.join("admin.token"))
                    .expect("the first start writes DATA_DIR/admin.token")
                    .trim()
                    .to_string();
                TOKENS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((base.clone(), token.clone()));
                Server { child, base, token }
            }
            Err(_) => {
                let _ = child.kill();
                let mut err = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut err);
                }
                panic!("server did not start:\n{err}");
            }
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        TOKENS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(base, _)| *base != self.base);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that returns 4xx/5xx responses instead of errors.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Redirects are answers to check (e.g. 303 to the sign-in page), not to follow.
        .max_redirects(0)
        .build()
        .new_agent()
}

/// Who a request is sent as.
#[derive(Debug, Clone, Copy)]
pub enum As<'a> {
    /// The administrator of the server the URL points at.
    Admin,
    /// A bearer token.
    Token(&'a str),
    /// No credentials.
    Anonymous,
}

fn bearer(url: &str, who: As<'_>) -> Option<String> {
    match who {
        As::Admin => admin_token_for(url).map(|t| format!("Bearer {t}")),
        As::Token(t) => Some(format!("Bearer {t}")),
        As::Anonymous => None,
    }
}

/// A request as `who`: status, headers, body bytes.
pub fn request_as(
    method: &str,
    url: &str,
    who: As<'_>,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let agent = agent();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    if let Some(auth) = bearer(url, who) {
        builder = builder.header("Authorization", auth);
    }
    if let Some(ct) = content_type {
        builder = builder.header("Content-Type", ct);
    }
    let request = builder.body(body.to_vec()).expect("a request");
    let mut response = agent
        .run(request)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_default();
    (status, headers, bytes)
}

/// A GET as `who`: status and body text.
pub fn get_as(url: &str, who: As<'_>) -> (u16, String) {
    let (status, _, body) = request_as("GET", url, who, None, &[]);
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A GET (as the server's administrator): status and body text.
pub fn get(url: &str) -> (u16, String) {
    get_as(url, As::Admin)
}

/// A GET that must return 200 with JSON.
pub fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = get(url);
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body}"))
}

/// A GET with request headers: status, the named response header, body.
pub fn get_with(
    url: &str,
    headers: &[(&str, &str)],
    want_header: &str,
) -> (u16, Option<String>, String) {
    get_with_as(url, As::Admin, headers, want_header)
}

/// [`get_with`] as `who`.
pub fn get_with_as(
    url: &str,
    who: As<'_>,
    headers: &[(&str, &str)],
    want_header: &str,
) -> (u16, Option<String>, String) {
    let agent = agent();
    let mut request = agent.get(url);
    if let Some(auth) = bearer(url, who) {
        request = request.header("Authorization", auth);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let mut response = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let header = response
        .headers()
        .get(want_header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (status, header, body)
}

/// A GET returning the raw body bytes.
pub fn get_bytes(url: &str) -> (u16, Vec<u8>) {
    let (status, _, body) = request_as("GET", url, As::Admin, None, &[]);
    (status, body)
}

/// A POST with a body: status and body text.
pub fn post(url: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    post_as(url, As::Admin, content_type, body)
}

/// A POST as `who`: status and body text.
pub fn post_as(url: &str, who: As<'_>, content_type: &str, body: &[u8]) -> (u16, String) {
    let (status, _, bytes) = request_as("POST", url, who, Some(content_type), body);
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A POST of one file as an HTML form would send it (`multipart/form-data`, field `file`).
pub fn post_form_file(url: &str, file_name: &str, bytes: &[u8]) -> (u16, String) {
    let boundary = "----shikong-test-boundary-7d93a1";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    post(
        url,
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    )
}

/// The Python with the tests' reference packages (`SHIKONG_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("SHIKONG_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Decodes an MVT tile with the independent PyPI decoder (`mapbox-vector-tile`) to JSON:
/// layer → features with id, properties and GeoJSON geometry in tile coordinates (y down, as
/// encoded). `dir` holds the temporary tile file.
pub fn decode_mvt(dir: &Path, bytes: &[u8]) -> serde_json::Value {
    const DECODE: &str = r#"
import json, sys
import mapbox_vector_tile
with open(sys.argv[1], "rb") as f:
    tile = mapbox_vector_tile.decode(f.read(), default_options={"y_coord_down": True})
print(json.dumps(tile))
"#;
    let path = dir.join("tile.mvt");
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new(python())
        .args(["-c", DECODE])
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "decoder failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("decoder JSON")
}

/// The z/x/y web-map tile holding lon/lat.
pub fn tile_of(z: u32, lon: f64, lat: f64) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let phi = lat.to_radians();
    (
        ((lon + 180.0) / 360.0 * n).floor() as u32,
        ((1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor()
            as u32,
    )
}

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
}

impl Server {
    /// Starts `shikong serve` on a free port over `data_dir` (building the database if it is
    /// missing) and waits until it listens.
    pub fn start(data_dir: &Path, records: u64) -> Server {
        Server::start_with(data_dir, &["--records", &records.to_string()])
    }

    /// Starts `shikong serve` with extra arguments.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .args(["serve", "--port", "0"])
            .args(extra)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--web-dir")
            .arg(repo_root().join("web").join("dist"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn shikong serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("shikong listening on ") {
                    let _ = tx.send(url.trim_end_matches('/').to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(base) => Server { child, base },
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that returns 4xx/5xx responses instead of errors.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// A GET: status and body text.
pub fn get(url: &str) -> (u16, String) {
    let agent = agent();
    let mut response = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (status, body)
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
    let agent = agent();
    let mut request = agent.get(url);
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
    let agent = agent();
    let mut response = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_default();
    (status, body)
}

/// A POST with a body: status and body text.
pub fn post(url: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let agent = agent();
    let mut response = agent
        .post(url)
        .header("Content-Type", content_type)
        .send(body)
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, text)
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

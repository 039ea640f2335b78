//! Headless Chromium, as the tests that check a page a person reads use it: the DOM
//! after the page loaded (`--dump-dom`) or a screenshot, with a deadline.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long one Chromium run may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `chromium --headless` on `url` with one `extra` flag (`--dump-dom`,
/// `--screenshot=FILE`), its profile under `profile_dir`, and returns its stdout.
/// Panics (fails the test) when Chromium does not finish within the deadline.
pub fn headless_chromium(chromium: &Path, profile_dir: &Path, extra: &str, url: &str) -> String {
    let mut child = Command::new(chromium)
        // Root in a container has no user namespace for the sandbox.
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1400,900",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile_dir.join("profile").display()
        ))
        .arg(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut out = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let text = rx.recv_timeout(DEADLINE);
    let _ = child.kill();
    let _ = child.wait();
    text.expect("chromium finished within 60 s")
}

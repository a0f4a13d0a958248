//! What the benchmarks share: the SMTP capture server of the tests.

use std::io::BufRead;
use std::process::{Command, Stdio};

/// A real SMTP server (aiosmtpd, from `.venv`) on loopback.
pub struct SmtpCapture {
    pub port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl SmtpCapture {
    pub fn start() -> SmtpCapture {
        let dir = tempfile::tempdir().expect("dir");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = std::env::var("ECHEANCIER_TEST_PYTHON")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| root.join(".venv/bin/python"));
        let mut child = Command::new(python)
            .arg(root.join("tests/support/smtp_capture.py"))
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("SMTP server (run scripts/test once to create .venv)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port");
        let port = line.trim().trim_start_matches("PORT ").parse().expect("port");
        SmtpCapture {
            port,
            child,
            _dir: dir,
        }
    }
}

impl Drop for SmtpCapture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The SMTP capture server of the tests and the benchmarks, one helper for
//! both (included with `#[path]`): a real SMTP server (aiosmtpd, from the
//! repository's `.venv`, `tests/support/smtp_capture.py`) on loopback that
//! writes each message it accepts to a file, can answer 4xx on demand, and
//! stops when dropped.
#![allow(dead_code)] // Each including crate uses part of it.

/// A real SMTP server (aiosmtpd) on loopback, stopped when dropped.
pub struct SmtpServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// With TLS: the test authority that signed the server's certificate (PEM).
    pub ca: Option<Vec<u8>>,
    child: std::process::Child,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

/// The Python of the test services: the repository's virtualenv, made by
/// `scripts/test`, or `ECHEANCIER_TEST_PYTHON`.
pub fn test_python() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("ECHEANCIER_TEST_PYTHON") {
        return p.into();
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        venv.exists(),
        "the test services are not installed: run scripts/test (it creates .venv with aiosmtpd)"
    );
    venv
}

/// How the server wants its clients: `tls` is `"starttls"` or
/// `"implicit"`, `auth` is `"USER:PASSWORD"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Security<'a> {
    pub tls: Option<&'a str>,
    pub auth: Option<&'a str>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(Security::default())
    }

    pub fn start_with(security: Security<'_>) -> SmtpServer {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("dir");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_capture.py");
        let mut command = std::process::Command::new(test_python());
        command.arg(script).arg("--dir").arg(dir.path());
        if let Some(tls) = security.tls {
            command.args(["--tls", tls]);
        }
        if let Some(auth) = security.auth {
            command.args(["--auth", auth]);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("SMTP server starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("port line");
        let mut ca = None;
        if let Some(path) = line.trim().strip_prefix("CA ") {
            ca = Some(std::fs::read(path).expect("the server's certificate"));
            line.clear();
            stdout.read_line(&mut line).expect("port line");
        }
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .expect("PORT n");
        SmtpServer {
            port,
            dir,
            ca,
            child,
            stdout,
        }
    }

    /// Every message answered with `code` (a 4xx) until `None`.
    pub fn outage(&mut self, code: Option<u16>) {
        use std::io::{BufRead, Write};
        let stdin = self.child.stdin.as_mut().expect("stdin");
        let cmd = match code {
            Some(c) => format!("outage {c}\n"),
            None => "outage off\n".to_string(),
        };
        stdin.write_all(cmd.as_bytes()).expect("control");
        stdin.flush().expect("flush");
        let mut ack = String::new();
        self.stdout.read_line(&mut ack).expect("ack");
        assert_eq!(ack.trim(), "OK");
    }

    /// Raw messages received so far, in order, with their envelope recipients.
    pub fn received(&self) -> Vec<(String, Vec<u8>)> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let raw = std::fs::read(&p).expect("eml");
                let end = raw.windows(2).position(|w| w == b"\r\n").expect("envelope line");
                let to = String::from_utf8_lossy(&raw[..end])
                    .trim_start_matches("X-Envelope-To: ")
                    .to_string();
                (to, raw[end + 2..].to_vec())
            })
            .collect()
    }

    /// A mailer to this server, from `sender`.
    pub fn mailer(&self, sender: &str) -> echeancier::email::Mailer {
        echeancier::email::Mailer::new(&self.settings(), sender).expect("mailer")
    }

    pub fn settings(&self) -> echeancier::config::EmailMode {
        echeancier::config::EmailMode::Smtp(echeancier::config::SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            security: echeancier::config::SmtpSecurity::None,
            user: None,
            password: None,
            ca: None,
        })
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

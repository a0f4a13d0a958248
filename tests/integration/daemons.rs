//! Running real `echeancier run` processes against one database, killing
//! them with SIGKILL and restarting them: the machinery of the
//! several-instances and crash tests.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::bin;

/// The demo configuration made into a daemon's: email to the SMTP server at
/// `smtp_port` from `sender`, no console, a 1-second tick, 5-second leases,
/// no digests (they would add messages of their own), plus `extra` TOML.
pub fn daemon_config(data_dir: &Path, smtp_port: u16, sender: &str, extra: &str) -> String {
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/demo.toml"))
        .expect("demo config");
    let mut out = String::new();
    let mut skip = false;
    for line in demo.lines() {
        if line.starts_with('[') {
            // The web office would have every daemon of a test on one port.
            skip = matches!(line, "[[recapitulatifs]]" | "[console]" | "[email]" | "[web]");
        }
        if !skip && !line.starts_with("data_dir") {
            out.push_str(line);
            out.push('\n');
        }
    }
    format!(
        "data_dir = \"{}\"\n\n[console]\nactif = false\n\n[email]\nmode = \"smtp\"\nhote = \"127.0.0.1\"\nport = {smtp_port}\nsecurite = \"aucune\"\nexpediteur = \"{sender}\"\n\n[planificateur]\nintervalle_secondes = 1\nbail_secondes = 5\n\n{extra}\n{out}",
        data_dir.display()
    )
}

/// One daemon process and the log lines it wrote so far.
pub struct Daemon {
    pub name: String,
    config: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
    pub log: Arc<Mutex<Vec<String>>>,
    pub starts: usize,
}

impl Daemon {
    pub fn new(name: &str, config: PathBuf, env: Vec<(String, String)>) -> Daemon {
        Daemon {
            name: name.to_string(),
            config,
            env,
            child: None,
            log: Arc::default(),
            starts: 0,
        }
    }

    pub fn start(&mut self) {
        let mut c = bin();
        c.env(
            "ECHEANCIER_LOG",
            "warn,echeancier=info,echeancier::chat_out=trace",
        );
        for (k, v) in &self.env {
            c.env(k, v);
        }
        let mut child = c
            .args(["--config", self.config.to_str().expect("utf8"), "run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("daemon starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = self.log.clone();
        let name = self.name.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if std::env::var_os("ECHEANCIER_TEST_SHOW_DAEMONS").is_some() {
                    eprintln!("[{name}] {line}");
                }
                crate::privacy::check_log_line(&line);
                log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        self.child = Some(child);
        self.starts += 1;
    }

    /// SIGKILL: no chance to finish anything or release anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait: the graceful stop.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    /// How many log lines contain `needle`.
    pub fn logged(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Prints a result line of a reliability test and keeps it in
/// `reliability.txt`, which `scripts/test` shows at the end of the run
/// (the test harness hides what passing tests print).
pub fn report(line: &str) {
    use std::io::Write;
    println!("{line}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reliability.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}

/// Polls `cond` until it holds or `limit` passes: waits for an outcome of
/// other processes, never for a duration as such.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! Idle memory of the real daemon with every channel configured: Matrix (a
//! real Synapse on loopback, end-to-end encryption on), Telegram (the local
//! fake of the Bot API) and email (SMTP to the capture server), on the demo
//! directory. After a quiet half-minute it reports the resident memory (the
//! anonymous part, heap and stacks, and the file-backed part, the binary's
//! code pages), its peak and the thread count: with glibc's default allocator arenas, with
//! two (`MALLOC_ARENA_MAX=2`, what the service unit sets), and without
//! Matrix, to see its share.
//!
//! `cargo bench --bench idle` (needs `.venv` from `scripts/test`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../tests/integration/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;
#[path = "../tests/support/smtp.rs"]
mod smtp;

/// (resident, peak, anonymous, file-backed in kB; threads).
fn status(pid: u32) -> (u64, u64, u64, u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (
        field("VmRSS:"),
        field("VmHWM:"),
        field("RssAnon:"),
        field("RssFile:"),
        field("Threads:"),
    )
}

fn config(data: &Path, homeserver: &str, telegram: &str, smtp_port: u16) -> String {
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/demo.toml"))
        .expect("demo config");
    let mut kept = String::new();
    let mut skip = false;
    for line in demo.lines() {
        if line.starts_with('[') {
            skip = matches!(
                line,
                "[console]" | "[email]" | "[web]" | "[matrix]" | "[telegram]"
            );
        }
        if !skip && !line.starts_with("data_dir") {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    format!(
        "data_dir = \"{}\"\n\n[console]\nactif = false\n\n\
         [email]\nmode = \"smtp\"\nhote = \"127.0.0.1\"\nport = {smtp_port}\nsecurite = \"aucune\"\nexpediteur = \"echeancier@example.org\"\n\n\
         [matrix]\nserveur = \"{homeserver}\"\ncompte = \"bot\"\nmot_de_passe_env = \"BENCH_MATRIX_PASSWORD\"\nphrase_secrete_env = \"BENCH_MATRIX_STORE\"\n\n\
         [telegram]\njeton_env = \"BENCH_TG_TOKEN\"\napi = \"{telegram}\"\n\n{kept}",
        data.display()
    )
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("dir");
    let syn = dir.path().join("synapse");
    let port = 18_900 + (std::process::id() % 100) as u16;
    let out = Command::new(root.join("tests/support/synapse.sh"))
        .args(["start", syn.to_str().expect("utf8"), &port.to_string()])
        .output()
        .expect("synapse");
    let homeserver = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        homeserver.starts_with("http"),
        "synapse did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let telegram = rt.block_on(fake_telegram::FakeTelegram::start());
    let mail = smtp::SmtpServer::start();
    let quiet = Duration::from_secs(
        std::env::var("BENCH_IDLE_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    );
    // (what is measured, with Matrix, MALLOC_ARENA_MAX)
    let variants = [
        ("every channel, glibc's default arenas", true, None),
        (
            "every channel, MALLOC_ARENA_MAX=2 (the service unit)",
            true,
            Some("2"),
        ),
        ("Telegram and email only, MALLOC_ARENA_MAX=2", false, Some("2")),
    ];
    for (label, matrix, arenas) in variants {
        let data = dir.path().join(format!("run{}", label.len()));
        std::fs::create_dir_all(&data).expect("data dir");
        let cfg = data.join("c.toml");
        let mut text = config(&data, &homeserver, &telegram.url, mail.port);
        if !matrix {
            let start = text.find("[matrix]").expect("matrix section");
            let end = text.find("[telegram]").expect("telegram section");
            text.replace_range(start..end, "");
        }
        std::fs::write(&cfg, text).expect("config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_echeancier"));
        cmd.env(
            "ECHEANCIER_DATABASE_URL",
            format!("sqlite://{}", data.join("e.db").display()),
        )
        .env("ECHEANCIER_LOG", "error")
        .env("BENCH_MATRIX_PASSWORD", "motdepasse")
        .env("BENCH_MATRIX_STORE", "phrase du magasin du banc")
        .env("BENCH_TG_TOKEN", fake_telegram::TOKEN)
        .env_remove("MALLOC_ARENA_MAX")
        .args(["--config", cfg.to_str().expect("utf8"), "run"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        if let Some(a) = arenas {
            cmd.env("MALLOC_ARENA_MAX", a);
        }
        let mut child = cmd.spawn().expect("daemon");
        std::thread::sleep(quiet);
        let (rss, hwm, anon, file, threads) = status(child.id());
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
        let mb = |kb: u64| kb as f64 / 1024.0;
        println!(
            "idle daemon, {label}, {} s: resident {:.1} MB (heap and stacks {:.1} MB, code and files {:.1} MB), peak {:.1} MB, {threads} threads",
            quiet.as_secs(),
            mb(rss),
            mb(anon),
            mb(file),
            mb(hwm)
        );
    }
    let _ = Command::new(root.join("tests/support/synapse.sh"))
        .args(["stop", syn.to_str().expect("utf8")])
        .status();
}

//! Personal data never reaches a chat: every message a chat channel carries
//! in this suite (replies, reminders, alerts, button answers, in this process
//! and in the daemons it runs) passes `echeancier::view::chat_out`, which
//! this module captures and checks against the identifying fields of the
//! test data. A violation fails the test that caused it and is written to
//! `chat-privacy-violations.txt`, which `scripts/test` checks after the run,
//! beside the count of messages checked.

use std::io::Write;
use std::sync::{Mutex, Once};

use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

/// Names, classes and contacts of the pupils and guardians of the test and
/// demo data.
pub const FORBIDDEN: &[&str] = &[
    "Jeanne Secret",
    "Parent Secret",
    "Élève Fictif",
    "Parent Fictif",
    "Parent fr",
    "Parent ar",
    "Parent en",
    "Parent pt",
    "Parent tr",
    "parent.en@example.org",
    "parent.pt@example.org",
    "parent.tr@example.org",
    "4e Z",
    "4e B",
    "3e A",
    "06 00 00 00 00",
    "parent@example.org",
    "parent1@example.org",
    "parent2@example.org",
    "parent.fr@example.org",
    "parent.ar@example.org",
    "restreint@example.org",
    "tempfail@example.org",
    "reject@example.org",
    "bounce@example.org",
    "ancienne-adresse",
    "07 11 22 33 44",
];

static CHECKED: Mutex<usize> = Mutex::new(0);

/// The first identifying field of the test data found in `text`.
pub fn personal_data_in(text: &str) -> Option<&'static str> {
    FORBIDDEN.iter().copied().find(|f| text.contains(f))
}

fn file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Checks one outgoing chat message; panics on personal data.
pub fn check(channel: &str, text: &str) {
    *CHECKED.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file("chat-privacy-checked.txt"))
    {
        let _ = writeln!(f, "{channel}");
    }
    if let Some(found) = personal_data_in(text) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file("chat-privacy-violations.txt"))
        {
            let _ = writeln!(f, "{channel}: « {found} » in {text:?}");
        }
        panic!("personal data « {found} » in a {channel} message: {text}");
    }
}

#[derive(Default)]
struct Fields {
    channel: String,
    text: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "channel" => self.channel = value.to_string(),
            "text" => self.text = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

struct Capture;

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        check(&f.channel, &f.text);
    }
}

/// Installs the capture for this process (once).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = Targets::new().with_target("echeancier::chat_out", tracing::Level::TRACE);
        let subscriber = tracing_subscriber::registry().with(Capture.with_filter(filter));
        // Another global subscriber would mean a test set one up: say so.
        tracing::subscriber::set_global_default(subscriber).expect("the chat capture is the only subscriber");
    });
}

/// A daemon's log line carrying an outgoing chat message (its
/// `ECHEANCIER_LOG` enables the target): checked like ours.
pub fn check_log_line(line: &str) {
    if let Some(rest) = line.split("echeancier::chat_out").nth(1) {
        check("daemon", rest);
    }
}

pub fn checked() -> usize {
    *CHECKED.lock().unwrap_or_else(|e| e.into_inner())
}

#[tokio::test]
async fn chat_messages_are_captured_and_checked() {
    // A command whose reply names the case: captured, and clean.
    let t = crate::util::app_at(crate::util::paris_noon(2026, 12, 1)).await;
    let r = crate::util::open_par(&t).await;
    let before = checked();
    let reply = t
        .app
        .handle("console", "chef", &format!("!dossier {r}"))
        .await
        .expect("reply");
    assert!(reply.contains(&r));
    assert!(checked() > before, "the reply went through the capture");
    // The check bites on the test data's names and classes.
    assert_eq!(personal_data_in("Convoquer Jeanne Secret"), Some("Jeanne Secret"));
    assert_eq!(personal_data_in("classe de 4e Z"), Some("4e Z"));
    assert_eq!(personal_data_in(&reply), None);
}

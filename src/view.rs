//! Chat-safe renderings of cases and deadlines, in French. These functions
//! receive only what a chat room may see (opaque reference, kind of
//! deadline, date, role): they have no access to pupils or guardians.

use chrono::{NaiveDate, NaiveDateTime};
use echeancier_core::french::{capitalize, long_date};
use echeancier_core::procedure::{Audience, Procedure, Roles};
// One HTML escape for staff messages and parent notices alike.
pub use echeancier_core::template::escape_html;

use crate::store::{Appointment, CaseRow, StepRow, StepStatus};

/// The state of a step as shown today (a stored "open" step whose date has
/// passed shows as late even before the next recomputation).
pub fn shown_state(step: &StepRow, today: NaiveDate) -> &'static str {
    match step.state {
        StepStatus::Open | StepStatus::Overdue if step.due.is_some_and(|d| d < today) => "en retard",
        StepStatus::Open | StepStatus::Overdue => "à faire",
        StepStatus::Waiting => "en attente",
        StepStatus::Done => "fait",
        StepStatus::Approved => "approuvé",
        StepStatus::ApprovedTacit => "approuvé tacitement",
        StepStatus::Blocked => "objection",
        StepStatus::Error => "date impossible à calculer",
        StepStatus::Info => "pour information",
    }
}

/// A case with its steps, dates and explanations.
pub fn case(case: &CaseRow, proc: &Procedure, roles: &Roles, steps: &[StepRow], today: NaiveDate) -> String {
    let mut out = format!(
        "{} — {}{}",
        case.reference,
        proc.name,
        if case.open { "" } else { " (clos)" }
    );
    if proc.audience == Audience::Partnership
        && let Some(title) = &case.title
    {
        out.push_str(&format!("\nDocument : {title}"));
    }
    if case.needs_decision {
        out.push_str("\n⚠ Les deux lectures du texte donnent des dates différentes : à trancher par vous.");
    }
    for s in steps {
        let name = proc.step_title(&s.step);
        let state = shown_state(s, today);
        let when = match (s.state, s.due, &s.state_detail) {
            (StepStatus::Done | StepStatus::Approved | StepStatus::ApprovedTacit, _, Some(d)) => {
                format!(" le {}", long_date_str(d))
            }
            (_, Some(due), _) => format!(", échéance {}", long_date(due)),
            (StepStatus::Waiting | StepStatus::Error | StepStatus::Blocked, None, Some(why)) => {
                format!(" : {why}")
            }
            _ => String::new(),
        };
        out.push_str(&format!(
            "\n• [{}] {name} — {} — {state}{when}",
            s.step,
            roles.name(&s.role)
        ));
        for (label, d) in &s.also {
            out.push_str(&format!("\n    {} : {}", capitalize(label), long_date(*d)));
        }
        for line in &s.explanation {
            out.push_str(&format!("\n    ↳ {line}"));
        }
    }
    out
}

fn long_date_str(s: &str) -> String {
    s.parse::<NaiveDate>()
        .map(long_date)
        .unwrap_or_else(|_| s.to_string())
}

/// One appointment with a family, for chat: its step, date and time, never
/// its place (a school's address says where the pupil is).
pub fn appointment_line(reference: &str, step: &str, proc: Option<&Procedure>, a: &Appointment) -> String {
    let name = proc
        .and_then(|p| p.step(step))
        .map(|d| d.name.as_str())
        .unwrap_or(step);
    format!(
        "• 📅 {reference} — {name} — {} à {}",
        long_date(a.starts_at.date()),
        echeancier_core::french::time(a.starts_at.time())
    )
}

/// One line of a deadline list.
pub fn deadline_line(case: &CaseRow, step: &StepRow, proc: Option<&Procedure>, roles: &Roles) -> String {
    let name = proc.map_or_else(|| step.step.clone(), |p| p.step_title(&step.step));
    let due = step.due.map(long_date).unwrap_or_default();
    let info = if step.state == StepStatus::Info {
        ", pour information"
    } else {
        ""
    };
    format!(
        "• {} — {name} — {} — {due}{info}",
        case.reference,
        roles.name(&step.role)
    )
}

/// A message for staff: plain text and HTML (for chat clients that render it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl StaffMessage {
    pub fn from_lines(subject: String, lines: &[String]) -> StaffMessage {
        let html = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let l = escape_html(l);
                if i == 0 {
                    format!("<p><strong>{l}</strong></p>")
                } else {
                    format!("<p>{l}</p>")
                }
            })
            .collect::<String>();
        StaffMessage {
            subject,
            text: lines.join("\n"),
            html,
        }
    }
}

/// How the line of chat commands of a reminder starts; an email with
/// one-click links drops that line (commands cannot be typed into an email).
pub const ACT: &str = "Pour agir : ";

/// What a staff reminder says about one step.
#[derive(Debug, Clone)]
pub struct ReminderView<'a> {
    pub id: i64,
    pub kind: &'a str,
    pub case_ref: &'a str,
    pub step: &'a str,
    pub step_name: &'a str,
    pub role_name: &'a str,
    pub action: &'a str,
    pub due: NaiveDate,
    /// Working days from today to the due date (negative when late).
    pub working_days_left: i64,
    /// Set when the reminder leaves after its planned time (local).
    pub planned: Option<NaiveDateTime>,
}

/// The lines of a staff reminder. Opaque reference, kind of deadline, date
/// and role: nothing else about the case.
pub fn reminder_lines(r: &ReminderView<'_>) -> Vec<String> {
    let head = match r.kind {
        "escalade" => format!("🔺 Escalade n° {} — {}", r.id, r.case_ref),
        _ => format!("⏰ Rappel n° {} — {}", r.id, r.case_ref),
    };
    let head = match r.planned {
        Some(at) => format!(
            "{head} (en retard : prévu le {} à {})",
            long_date(at.date()),
            echeancier_core::french::time(at.time())
        ),
        None => head,
    };
    let when = match r.working_days_left {
        0 => "aujourd'hui, dernier jour".to_string(),
        1 => "dans 1 jour ouvré".to_string(),
        n if n > 1 => format!("dans {n} jours ouvrés"),
        -1 => "dépassée de 1 jour ouvré".to_string(),
        n => format!("dépassée de {} jours ouvrés", -n),
    };
    let mut lines = vec![
        head,
        format!("{} — {}", r.step_name, r.role_name),
        format!("Échéance : {} ({when})", long_date(r.due)),
    ];
    if !r.action.is_empty() {
        lines.push(format!("À faire : {}", r.action));
    }
    lines.push(format!(
        "{ACT}!etape {0} {1} fait · !report {0} {1} DATE motif · !ack {2}",
        r.case_ref, r.step, r.id
    ));
    lines
}

/// Every message a chat channel carries passes here: a trace event under
/// the target `echeancier::chat_out`, off by default, that the test suite
/// captures to prove no message carries personal data.
pub fn chat_out(channel: &str, text: &str) {
    tracing::trace!(target: "echeancier::chat_out", channel, text);
}

//! The text of each kind of outbox message, rendered at send time from
//! current data (a reminder for a step done meanwhile renders to nothing):
//! staff reminders, alerts, family calls, missed-reminder notices, digests
//! and parent notices with their calendar invitation. Beside `view` (chat
//! views) and `notice` (parent-notice templates), which it uses.

use chrono::{DateTime, Utc};
use echeancier_core::calendar::CalendarId;
use echeancier_core::command::Horizon;
use echeancier_core::french::long_date;
use echeancier_core::procedure::Procedure;
use echeancier_core::reminder::Kind;

use crate::app::{App, AppError};
use crate::channel::{Channel, Rendered};
use crate::notice::{self, NoticeArgs};
use crate::store::Store;
use crate::store::outbox::{Job, MessageKind};
use crate::view::{self, ReminderView, StaffMessage};

/// The message of a job, or `None` if it no longer has a purpose.
pub(crate) async fn render(app: &App, job: &Job, now: DateTime<Utc>) -> Result<Option<Rendered>, AppError> {
    let r = &job.reminder;
    let mut conn = app.store.pool().acquire().await?;
    let case = match r.case_id {
        Some(id) => Store::case_by_id(&mut conn, id).await?,
        None => None,
    };
    let proc: Option<&Procedure> = case.as_ref().and_then(|c| app.library.get(&c.procedure));
    match r.kind {
        MessageKind::ParentNotice if r.payload["annulation"].as_bool() == Some(true) => {
            let (Some(case), Some(step)) = (&case, &r.step) else {
                return Ok(None);
            };
            // Set again since: the new notice says so, this one is moot.
            let Some(a) = Store::cancelled_appointment(&mut conn, case.id, step).await? else {
                return Ok(None);
            };
            let guardian_id = r.payload["responsable"].as_i64().unwrap_or_default();
            let Some(g) = Store::guardian(&mut conn, guardian_id).await? else {
                return Ok(None);
            };
            if g.restricted {
                return Ok(None);
            }
            let args = notice_args(app, &mut conn, case, step, &a, None).await?;
            let rendered = app
                .options
                .templates
                .render_cancellation(&g.language, &args)
                .map_err(|e| AppError::Runtime(e.to_string()))?;
            with_event(app, &mut conn, case, step, &a, rendered, true, now)
                .await
                .map(Some)
        }
        MessageKind::ParentNotice => {
            // A moved appointment has its own notice; this one is obsolete.
            let Some((case, step, appointment)) = dated_appointment(&mut conn, case.as_ref(), r).await?
            else {
                return Ok(None);
            };
            let guardian_id = r.payload["responsable"].as_i64().unwrap_or_default();
            let Some(g) = Store::guardian(&mut conn, guardian_id).await? else {
                return Ok(None);
            };
            if g.restricted {
                return Ok(None);
            }
            let notice_id = r.payload["avis"].as_str().unwrap_or_default();
            let rendered = notice_text(app, &mut conn, case, step, &g, &appointment, notice_id, true).await?;
            with_event(app, &mut conn, case, step, &appointment, rendered, false, now)
                .await
                .map(Some)
        }
        MessageKind::FamilyAnswer => {
            let (Some(case), Some(step)) = (&case, &r.step) else {
                return Ok(None);
            };
            let Some(a) = Store::appointment(&mut conn, case.id, step).await? else {
                return Ok(None);
            };
            let n = r.payload["responsable"].as_i64().unwrap_or_default();
            let when = format!(
                "{} à {}",
                long_date(a.starts_at.date()),
                echeancier_core::french::time(a.starts_at.time())
            );
            let line = if r.payload["reponse"].as_str() == Some("rappel") {
                format!(
                    "📞 {} : le responsable n° {n} ne peut pas venir au rendez-vous du {when} et demande à être rappelé. Une tâche d'appel suit.",
                    case.reference
                )
            } else {
                format!(
                    "✅ {} : le responsable n° {n} viendra au rendez-vous du {when}.",
                    case.reference
                )
            };
            Ok(Some(staff(StaffMessage::from_lines(
                format!("{} : réponse de la famille", case.reference),
                &[line],
            ))))
        }
        MessageKind::Digest => {
            let person = r.payload["personne"].as_i64().unwrap_or_default();
            let Some((actor, _)) = app.store.actor_by_person(person).await? else {
                return Ok(None);
            };
            let horizon = if r.payload["mois"].as_bool() == Some(true) {
                Horizon::Month
            } else {
                Horizon::Week
            };
            let today = app.clock.today(CalendarId::Metropole);
            let body = app.deadlines(&actor, horizon, today).await?;
            Ok(Some(staff(StaffMessage::from_lines(
                format!("Échéances au {}", long_date(today)),
                &[format!("📋 Récapitulatif du {}", long_date(today)), body],
            ))))
        }
        MessageKind::Alert => {
            let reference = case.as_ref().map(|c| c.reference.as_str()).unwrap_or("?");
            let channel = r.payload["canal"]
                .as_str()
                .and_then(|c| c.parse::<Channel>().ok())
                .map_or("un canal inconnu", Channel::french);
            let (what, fix) = match (r.payload["sorte"].as_str(), r.payload["responsable"].as_i64()) {
                (Some("avis-parents"), Some(n)) => (
                    format!("l'avis aux parents du responsable n° {n}"),
                    format!(
                        "Vérifiez ses coordonnées au dossier (sur le serveur : echeancier case show {reference} --contacts)."
                    ),
                ),
                (Some("avis-parents"), None) => (
                    "un avis aux parents".to_string(),
                    format!(
                        "Vérifiez les coordonnées des responsables au dossier (sur le serveur : echeancier case show {reference} --contacts)."
                    ),
                ),
                _ => (
                    "un rappel".to_string(),
                    "Vérifiez l'adresse ou le compte du destinataire dans l'annuaire (configuration)."
                        .to_string(),
                ),
            };
            Ok(Some(staff(StaffMessage::from_lines(
                format!("Alerte {reference} : envoi impossible"),
                &[
                    format!("🚨 Alerte n° {} — {reference}", r.id),
                    format!("Impossible d'envoyer {what} par {channel}. {fix}"),
                    // A library's error, maybe in English, stays in the log.
                    format!(
                        "Cause : {}.",
                        r.payload["erreur"]
                            .as_str()
                            .map_or_else(|| "inconnue".to_string(), crate::channel::for_staff)
                    ),
                ],
            ))))
        }
        MessageKind::FamilyCall => {
            let (Some(case), Some(step)) = (&case, &r.step) else {
                return Ok(None);
            };
            let Some(a) = Store::appointment(&mut conn, case.id, step).await? else {
                return Ok(None);
            };
            let when = format!(
                "{} à {}",
                long_date(a.starts_at.date()),
                echeancier_core::french::time(a.starts_at.time())
            );
            let task = match r.payload["motif"].as_str() {
                Some("rappel") => format!(
                    "Appeler la famille : un responsable légal ne peut pas venir au rendez-vous du {when} et demande à être rappelé pour trouver une autre date."
                ),
                Some("absent") => format!(
                    "Appeler la famille : elle n'est pas venue au rendez-vous du {when}. Fixez-en un nouveau avec elle."
                ),
                _ => format!(
                    "Appeler la famille : un responsable légal a besoin d'un échange oral pour le rendez-vous du {when}."
                ),
            };
            // Contacts are read on the web, by staff allowed to see them.
            let contacts = match &app.options.web_url {
                Some(base) => format!("Coordonnées au dossier : {base}/dossiers/{}", case.reference),
                None => format!(
                    "Coordonnées au dossier : echeancier case show {} --contacts",
                    case.reference
                ),
            };
            Ok(Some(staff(StaffMessage::from_lines(
                format!("{} : appeler la famille", case.reference),
                &[
                    format!("📞 Tâche n° {} — {}", r.id, case.reference),
                    task,
                    contacts,
                    format!("Quand c'est fait : !ack {}", r.id),
                ],
            ))))
        }
        MessageKind::AccountHealth => {
            let account = r.payload["compte"].as_str().unwrap_or("?");
            let channel = match r.payload["canal"].as_str() {
                Some("telegram") => "Telegram",
                _ => "Matrix",
            };
            if r.payload["expire"].as_bool() == Some(true) {
                return Ok(Some(staff(StaffMessage::from_lines(
                    format!("Compte {channel} du robot expiré"),
                    &[
                        format!("⛔ Le serveur refuse le compte {channel} du robot ({account}) : il a expiré."),
                        format!("Les messages destinés à {channel} attendent dans la file et partiront dès son renouvellement ; les autres canaux continuent."),
                        "Faites renouveler le compte par l'administrateur du serveur (sur Tchap : le lien de renouvellement reçu par courriel), puis indiquez sa nouvelle date d'expiration dans la configuration (compte_expire_le).".into(),
                    ],
                ))));
            }
            let Some(on) = r.payload["expire_le"]
                .as_str()
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            else {
                return Ok(None);
            };
            let today = now.with_timezone(&CalendarId::Metropole.time_zone()).date_naive();
            let days = (on - today).num_days().max(0);
            let when = match days {
                0 => "aujourd'hui".to_string(),
                1 => "demain".to_string(),
                n => format!("dans {n} jours"),
            };
            Ok(Some(staff(StaffMessage::from_lines(
                format!("Le compte {channel} du robot expire le {}", long_date(on)),
                &[
                    format!("⚠ Le compte {channel} du robot ({account}) expire le {}, {when}.", long_date(on)),
                    format!("Faites-le renouveler avant cette date : sans quoi plus aucun message ne partira sur {channel}."),
                    "Une fois renouvelé, indiquez sa nouvelle date d'expiration dans la configuration (compte_expire_le).".into(),
                ],
            ))))
        }
        MessageKind::AppointmentSet => {
            // A moved appointment has its own message.
            let Some((case, step, a)) = dated_appointment(&mut conn, case.as_ref(), r).await? else {
                return Ok(None);
            };
            let name = proc.and_then(|p| p.step(step)).map_or(step, |d| d.name.as_str());
            let mut line = format!(
                "📅 {} : rendez-vous « {name} » fixé le {} à {}.",
                case.reference,
                long_date(a.starts_at.date()),
                echeancier_core::french::time(a.starts_at.time())
            );
            if r.payload["present"].as_bool() == Some(true) {
                line.push_str(" Votre présence est attendue.");
            }
            Ok(Some(staff(StaffMessage::from_lines(
                format!("{} : rendez-vous fixé", case.reference),
                &[line],
            ))))
        }
        MessageKind::Letter => {
            // A moved appointment has its own letter.
            let Some((case, _, a)) = dated_appointment(&mut conn, case.as_ref(), r).await? else {
                return Ok(None);
            };
            let n = r.payload["numero"].as_i64().unwrap_or_default();
            let guardian = r.payload["responsable"].as_i64().unwrap_or_default();
            let print = match &app.options.web_url {
                Some(base) => format!(
                    "Lettre prête à imprimer : {base}/dossiers/{}/courrier/{guardian}",
                    case.reference
                ),
                None => "Lettre à imprimer depuis le bureau web (activez [web] dans la configuration)."
                    .to_string(),
            };
            Ok(Some(staff(StaffMessage::from_lines(
                format!("{} : avis à poster", case.reference),
                &[
                    format!("✉️ Tâche n° {} — {}", r.id, case.reference),
                    format!(
                        "Poster l'avis du rendez-vous du {} à {} au responsable n° {n} : il n'a ni courriel ni téléphone.",
                        long_date(a.starts_at.date()),
                        echeancier_core::french::time(a.starts_at.time())
                    ),
                    print,
                    format!("Quand c'est fait : !ack {}", r.id),
                ],
            ))))
        }
        MessageKind::Missed => {
            let reference = case.as_ref().map(|c| c.reference.as_str()).unwrap_or("?");
            Ok(Some(staff(StaffMessage::from_lines(
                format!("{reference} : rappel manqué"),
                &[
                    format!("ℹ️ {reference} : un rappel n'a pas pu partir à temps (service interrompu)."),
                    format!("Consultez le dossier : !dossier {reference}"),
                ],
            ))))
        }
        MessageKind::WebLink => {
            // Stale links say nothing: the person asks again.
            let expires = r.payload["expire"]
                .as_str()
                .and_then(|t| crate::store::parse_ts(t).ok());
            if expires.is_none_or(|t| t <= now) {
                return Ok(None);
            }
            let url = r.payload["lien"].as_str().unwrap_or_default();
            let warning = "Il sert une seule fois et pendant 15 minutes. Si vous n'avez rien demandé, ignorez ce message : personne ne peut s'en servir sans lui.";
            let mut m = staff(StaffMessage::from_lines(
                "Votre lien de connexion à échéancier".into(),
                &[
                    "Bonjour,".into(),
                    format!("Pour ouvrir le bureau échéancier, suivez ce lien : {url}"),
                    warning.into(),
                ],
            ));
            // A link to click in the HTML part.
            let href = view::escape_html(url);
            m.html = format!(
                "<p>Bonjour,</p><p><a href=\"{href}\">Ouvrir le bureau échéancier</a></p><p>{}</p>",
                view::escape_html(warning)
            );
            Ok(Some(m))
        }
        MessageKind::Reminder(kind) => {
            let (Some(case), Some(step), Some(due), Some(proc)) = (&case, &r.step, r.due_on, proc) else {
                return Ok(None);
            };
            let Some(def) = proc.step(step) else {
                return Ok(None);
            };
            let rows = Store::steps(&mut conn, case.id).await?;
            let Some(row) = rows.iter().find(|s| &s.step == step) else {
                return Ok(None);
            };
            // Done, rescheduled, or silenced by an acknowledgement: nothing to
            // say. An information date has no late reminder.
            let pending = row.state.is_reminded() && (row.state.is_pending() || kind.by_the_day());
            if !case.open || !pending || row.due != Some(due) {
                return Ok(None);
            }
            if matches!(kind, Kind::Overdue(_))
                && Store::step_acknowledged(&mut conn, case.id, step, due).await?
            {
                return Ok(None);
            }
            let calendar = App::calendar(&mut conn, case).await?;
            let today = app.clock.today(calendar.id);
            let title = proc.step_title(step);
            let lines = view::reminder_lines(&ReminderView {
                id: r.id,
                kind: &kind.code(),
                case_ref: &case.reference,
                step,
                step_name: &title,
                role_name: app.library.roles.name(&row.role),
                action: &def.action,
                due,
                working_days_left: calendar.working_days_between(today, due),
                planned: r
                    .late
                    .then(|| r.send_at.with_timezone(&calendar.id.time_zone()).naive_local()),
            });
            let mut m = staff(StaffMessage::from_lines(
                format!("{} : {} — {}", case.reference, title, long_date(due)),
                &lines,
            ));
            m.buttons = Some(r.id);
            Ok(Some(m))
        }
    }
}

fn staff(m: StaffMessage) -> Rendered {
    Rendered {
        subject: m.subject,
        text: m.text,
        html: m.html,
        lang: "fr".into(),
        ics: None,
        buttons: None,
    }
}

/// A family's notice about the appointment of `step`, in their language:
/// the school and the signing office named, the reference given, and the
/// answer links when `links` (not on paper).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn notice_text(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    case: &crate::store::CaseRow,
    step: &str,
    g: &crate::store::Guardian,
    appointment: &crate::store::Appointment,
    notice_id: &str,
    links: bool,
) -> Result<echeancier_core::template::Rendered, AppError> {
    let answers = if links {
        app.answer_links(case.id, step, g.id, appointment.sequence)
            .await?
    } else {
        None
    };
    let args = notice_args(app, conn, case, step, appointment, answers).await?;
    app.options
        .templates
        .render(notice_id, &g.language, &args)
        .map_err(|e| AppError::Runtime(e.to_string()))
}

/// What a family's notice says besides its text: the school, the signing
/// office, the reference, what it replaces, and the answer links.
async fn notice_args(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    case: &crate::store::CaseRow,
    step: &str,
    appointment: &crate::store::Appointment,
    answers: Option<echeancier_core::template::AnswerLinks>,
) -> Result<NoticeArgs, AppError> {
    let school = match &case.establishment {
        Some(uai) => Store::establishment(conn, uai).await?.map(|e| e.name),
        None => None,
    };
    let def = app.library.get(&case.procedure).and_then(|p| p.step(step));
    // Signed by the responsible office, whose phone the notice gives.
    let office = match def.and_then(|d| d.place) {
        Some(echeancier_core::procedure::Place::Dsden) => {
            Store::departement(conn, &case.departement).await?.map(|d| d.name)
        }
        _ => school.clone(),
    };
    // A DSDEN signs by its name; in a school, the role says who.
    let role = def.map_or("", |d| app.library.roles.name(&d.role));
    let signer = match (office, def.and_then(|d| d.place)) {
        (Some(o), Some(echeancier_core::procedure::Place::Dsden)) => o,
        (Some(o), _) => format!("{}, {o}", echeancier_core::french::capitalize(role)),
        (None, _) => echeancier_core::french::capitalize(role),
    };
    Ok(NoticeArgs {
        at: appointment.starts_at,
        place: appointment.place.clone(),
        phone: appointment.phone.clone(),
        school: school.unwrap_or_else(|| "l'établissement de votre enfant".into()),
        reference: case.reference.clone(),
        signer,
        previous: appointment.previous,
        answers,
    })
}

/// A family's notice with its calendar event: one event per appointment,
/// whatever its date (same UID); a new date or a cancellation updates it
/// with a higher SEQUENCE.
#[allow(clippy::too_many_arguments)]
async fn with_event(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    case: &crate::store::CaseRow,
    step: &str,
    appointment: &crate::store::Appointment,
    rendered: echeancier_core::template::Rendered,
    cancelled: bool,
    now: DateTime<Utc>,
) -> Result<Rendered, AppError> {
    let calendar = App::calendar(conn, case).await?;
    let start = notice::local_to_utc(appointment.starts_at, calendar.id.time_zone()).unwrap_or(now);
    let uid = notice::event_uid(&format!("{}/{step}", case.reference), &app.options.email_from);
    let ics = notice::invitation(
        &notice::Invitation {
            uid: &uid,
            summary: &rendered.subject,
            place: &appointment.place,
            start,
            minutes: appointment.minutes,
            sequence: appointment.sequence,
            organiser: &app.options.email_from,
            cancelled,
        },
        now,
    );
    Ok(Rendered {
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        lang: rendered.lang,
        ics: Some(ics),
        buttons: None,
    })
}

/// The appointment a message is about, if it is still on the date the
/// message was decided for: a moved appointment has messages of its own.
async fn dated_appointment<'a>(
    conn: &mut sqlx::AnyConnection,
    case: Option<&'a crate::store::CaseRow>,
    r: &'a crate::store::outbox::ReminderRow,
) -> Result<Option<(&'a crate::store::CaseRow, &'a str, crate::store::Appointment)>, AppError> {
    let (Some(case), Some(step)) = (case, r.step.as_deref()) else {
        return Ok(None);
    };
    let Some(a) = Store::appointment(conn, case.id, step).await? else {
        return Ok(None);
    };
    if Some(a.starts_at.date()) != r.due_on {
        return Ok(None);
    }
    Ok(Some((case, step, a)))
}

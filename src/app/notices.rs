//! Who is told what: reminder destinations and appointment notices.

use echeancier_core::authz::{self, Action, CaseScope};
use serde_json::json;
use sqlx::AnyConnection;

use crate::channel::Channel;
use crate::config::OralMode;
use crate::store::outbox::{Destination, MessageKind, NewReminder};
use crate::store::{CaseRow, Store};

use super::{App, AppError, Result, Who, check_step, record, room_place};

impl App {
    /// An open case and one of its steps, read in `conn`'s transaction.
    async fn open_step(
        &self,
        conn: &mut AnyConnection,
        reference: &str,
        step: &str,
    ) -> Result<(CaseRow, echeancier_core::procedure::StepDef)> {
        let case = Store::case_by_ref(conn, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        if !case.open {
            return Err(AppError::Closed(case.reference));
        }
        let proc = self.procedure(&case.procedure)?;
        let def = check_step(proc, step)?.clone();
        Ok((case, def))
    }
}

/// What setting an appointment decided for the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided {
    /// Notices by email.
    pub emails: usize,
    /// Calls to make (an oral channel, or no email).
    pub calls: usize,
    /// Letters to post (neither email nor phone).
    pub letters: usize,
}

impl Decided {
    /// What was decided, in French: "2 courriels partent, 1 famille à
    /// appeler".
    pub fn french(&self) -> String {
        use echeancier_core::french::{count, count_or};
        let mut parts = vec![count_or(
            self.emails,
            "aucun courriel ne part",
            "courriel part",
            "courriels partent",
        )];
        if self.calls > 0 {
            parts.push(count(self.calls, "famille à appeler", "familles à appeler"));
        }
        if self.letters > 0 {
            parts.push(count(self.letters, "courrier à poster", "courriers à poster"));
        }
        parts.join(", ")
    }
}

/// An appointment's time as the web form gives it.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub at: chrono::NaiveDateTime,
    pub minutes: u32,
    /// Past the step's legal date or outside the families' hours, on
    /// purpose.
    pub confirmed: bool,
}

impl App {
    /// Where a reminder for `role` on `case` goes: the console (when it
    /// runs) and the email of each staff member holding the role there.
    pub async fn destinations(
        &self,
        conn: &mut AnyConnection,
        case: &CaseRow,
        role: &str,
    ) -> Result<Vec<Destination>> {
        let mut out = Vec::new();
        let proc = self.procedure(&case.procedure)?;
        // The console shows only what its identity may see.
        if let Some(identity) = &self.options.console
            && let Some((actor, _)) = self.store.actor("console", identity).await?
        {
            let partners = Store::case_partners(conn, case.id).await?;
            let scope = CaseScope {
                establishment: case.establishment.as_deref(),
                departement: &case.departement,
                partners: &partners,
            };
            if authz::authorize(Some(&actor), &self.library.roles, proc, &scope, &Action::View).is_ok() {
                out.push(Destination::new(Channel::Console, identity.clone()));
            }
        }
        for email in Store::staff_emails(conn, role, case.establishment.as_deref(), &case.departement).await?
        {
            out.push(Destination::new(Channel::Email, email));
        }
        for room in &self.options.matrix_rooms {
            // Each room's audience: partner rooms never get an individual case.
            let shown =
                room_place(room).shows(proc.audience, case.establishment.as_deref(), &case.departement);
            if shown && room.roles.iter().any(|r| r == role) {
                out.push(Destination::new(Channel::Matrix, room.room_id.clone()));
            }
        }
        if !self.options.matrix_direct.is_empty() {
            let ids = Store::staff_identities(
                conn,
                "matrix",
                role,
                case.establishment.as_deref(),
                &case.departement,
            )
            .await?;
            // A Matrix user id as recipient: the sender finds or opens the
            // direct room with that person.
            out.extend(
                ids.into_iter()
                    .filter(|id| self.options.matrix_direct.contains(id))
                    .map(|id| Destination::new(Channel::Matrix, id)),
            );
        }
        if self.options.telegram {
            let ids = Store::staff_identities(
                conn,
                "telegram",
                role,
                case.establishment.as_deref(),
                &case.departement,
            )
            .await?;
            out.extend(ids.into_iter().map(|id| Destination::new(Channel::Telegram, id)));
        }
        Ok(out)
    }

    /// Sets the appointment of a step and, in the same transaction, decides
    /// the parent notices (both guardians unless restricted) and the staff
    /// calls for families who need an oral channel.
    pub async fn set_appointment(
        &self,
        reference: &str,
        step: &str,
        at: chrono::NaiveDateTime,
        minutes: u32,
        confirmed: bool,
        who: &Who,
    ) -> Result<Decided> {
        let mut tx = self.store.begin().await?;
        let (case, def) = self.open_step(&mut tx, reference, step).await?;
        let Some(notice) = def.parent_notice.clone() else {
            return Err(AppError::Invalid(format!(
                "L'étape « {} » n'a pas de rendez-vous avec les parents.",
                def.name
            )));
        };
        if !self.options.templates.has(&notice) {
            return Err(AppError::Invalid(format!(
                "Modèle d'avis « {notice} » introuvable dans messages/."
            )));
        }
        let calendar = Self::calendar(&mut tx, &case).await?;
        let now = self.clock.now();
        let start = crate::notice::local_to_utc(at, calendar.id.time_zone())
            .ok_or_else(|| AppError::Invalid("Heure inexistante ce jour-là (changement d'heure).".into()))?;
        if start <= now {
            return Err(AppError::Invalid(
                "Le rendez-vous doit être dans le futur.".into(),
            ));
        }
        if !calendar.is_working_day(at.date()) {
            return Err(AppError::Invalid(format!(
                "Le {} n'est pas un jour ouvré : choisissez un autre jour.",
                echeancier_core::french::long_date(at.date())
            )));
        }
        let confirm = "Pour le fixer quand même, ajoutez « confirme » : !rdv REF ETAPE DATE HEURE confirme (ou cochez la case sur le bureau web).";
        // Parents work: an appointment keeps to the families' hours.
        let (open, close) = self.options.hours_for_families();
        let ends = at + chrono::Duration::minutes(i64::from(minutes));
        let outside = at.time() < open || ends.time() > close || ends.date() != at.date();
        if outside && !confirmed {
            return Err(AppError::Invalid(format!(
                "Un rendez-vous de {} à {} sort des heures raisonnables pour les familles (de {} à {}). {confirm}",
                echeancier_core::french::time(at.time()),
                echeancier_core::french::time(ends.time()),
                echeancier_core::french::time(open),
                echeancier_core::french::time(close)
            )));
        }
        let (plans, _) = self.plan_of(&mut tx, &case).await?;
        let legal = plans
            .iter()
            .find(|p| p.step == step)
            .and_then(echeancier_core::case::StepPlan::legal_date);
        let late = legal.is_some_and(|l| at.date() > l);
        if late && !confirmed {
            return Err(AppError::Invalid(format!(
                "Le {} dépasse la date légale de cette étape, le {}. {confirm}",
                echeancier_core::french::long_date(at.date()),
                echeancier_core::french::long_date(legal.unwrap_or(at.date()))
            )));
        }
        let (place, phone) = match def
            .place
            .unwrap_or(echeancier_core::procedure::Place::Etablissement)
        {
            echeancier_core::procedure::Place::Dsden => {
                let d = Store::departement(&mut tx, &case.departement).await?;
                (
                    d.as_ref().and_then(|d| d.address.clone()),
                    d.and_then(|d| d.phone),
                )
            }
            echeancier_core::procedure::Place::Etablissement => {
                let e = match &case.establishment {
                    Some(u) => Store::establishment(&mut tx, u).await?,
                    None => None,
                };
                (
                    e.as_ref().and_then(|e| e.address.clone()),
                    e.and_then(|e| e.phone),
                )
            }
        };
        let (Some(place), Some(phone)) = (place, phone) else {
            return Err(AppError::Invalid(
                "Adresse ou téléphone du lieu de rendez-vous non renseigné dans la configuration : l'avis aux parents ne peut pas partir.".into(),
            ));
        };
        let appointment = crate::store::Appointment {
            starts_at: at,
            minutes: i64::from(minutes),
            place,
            phone,
            sequence: 0,
            previous: None,
            outcome: None,
        };
        Store::set_appointment(&mut tx, case.id, step, &appointment).await?;
        let not_before = self.options.hours.next_open(&calendar, now).unwrap_or(now);
        let stamp = at.format("%Y-%m-%dT%H%M");
        let mut notices = 0;
        let mut calls = 0;
        let mut letters = 0;
        for g in Store::guardians(&mut tx, case.id).await? {
            if g.restricted {
                continue;
            }
            let oral = g.needs_oral || g.email.is_none();
            let email = g
                .email
                .clone()
                .filter(|_| !(g.needs_oral && self.options.oral == OralMode::InsteadOfEmail));
            if let Some(email) = email {
                let key = format!("{}/{step}/rdv-{stamp}/avis-{}", case.reference, g.id);
                let r = NewReminder {
                    key: key.clone(),
                    case_id: Some(case.id),
                    step: Some(step.to_string()),
                    due_on: Some(at.date()),
                    kind: MessageKind::ParentNotice,
                    role: None,
                    send_at: not_before,
                    late: false,
                    payload: json!({"avis": notice, "responsable": g.id}),
                };
                let to = [Destination::new(Channel::Email, email)];
                if Store::decide(&mut tx, &r, &to, not_before, None, now)
                    .await?
                    .is_some()
                {
                    notices += 1;
                }
            }
            // Neither email nor phone: the notice goes by post, printed
            // from the web office by the responsible role.
            if g.email.is_none() && g.phone.is_none() {
                let key = format!("{}/{step}/rdv-{stamp}/courrier-{}", case.reference, g.id);
                let r = NewReminder {
                    key,
                    case_id: Some(case.id),
                    step: Some(step.to_string()),
                    due_on: Some(at.date()),
                    kind: MessageKind::Letter,
                    role: Some(def.role.clone()),
                    send_at: now,
                    late: false,
                    payload: json!({"responsable": g.id, "numero": g.number, "avis": notice}),
                };
                let to = self.destinations(&mut tx, &case, &def.role).await?;
                if Store::decide(&mut tx, &r, &to, now, None, now).await?.is_some() {
                    letters += 1;
                }
                continue;
            }
            if oral {
                let key = format!("{}/{step}/rdv-{stamp}/appel-{}", case.reference, g.id);
                let r = NewReminder {
                    key: key.clone(),
                    case_id: Some(case.id),
                    step: Some(step.to_string()),
                    due_on: Some(at.date()),
                    kind: MessageKind::FamilyCall,
                    role: Some(def.role.clone()),
                    send_at: now,
                    late: false,
                    payload: json!({"responsable": g.id}),
                };
                let to = self.destinations(&mut tx, &case, &def.role).await?;
                if Store::decide(&mut tx, &r, &to, now, None, now).await?.is_some() {
                    calls += 1;
                }
            }
        }
        record(&mut tx, who, now, Some(case.reference.clone()), "rendez_vous", json!({"etape": step, "debut": at.to_string(), "minutes": minutes, "avis": notices, "appels": calls, "courriers": letters, "confirme": confirmed && (outside || late), "au_dela_date_legale": late, "hors_heures_familles": outside})).await?;
        // Setting this appointment is convoking: the steps it completes
        // are done today (`rendez_vous_termine`).
        let today = self.clock.today(calendar.id);
        let done = Store::steps(&mut tx, case.id).await?;
        for other in &def.appointment_completes {
            let pending = done.iter().any(|s| &s.step == other && s.state.is_pending());
            if pending {
                Store::set_done(&mut tx, case.id, other, today).await?;
                record(
                    &mut tx,
                    who,
                    now,
                    Some(case.reference.clone()),
                    "etape_faite",
                    json!({"etape": other, "date": today.to_string(), "par": "rendez_vous"}),
                )
                .await?;
            }
        }
        if !def.appointment_completes.is_empty() {
            self.replan(&mut tx, &case).await?;
        }
        // Who attends is told the date (`presents`); the step's own role
        // is the one setting it.
        for role in def.present_roles.iter().filter(|r| **r != def.role) {
            let r = NewReminder {
                key: format!("{}/{step}/rdv-{stamp}/fixe-{role}", case.reference),
                case_id: Some(case.id),
                step: Some(step.to_string()),
                due_on: Some(at.date()),
                kind: MessageKind::AppointmentSet,
                role: Some(role.clone()),
                send_at: not_before,
                late: false,
                payload: json!({"present": def.present_roles.contains(role)}),
            };
            // News, not a task: it waits for working hours.
            let to = self.destinations(&mut tx, &case, role).await?;
            Store::decide(&mut tx, &r, &to, not_before, None, now).await?;
        }
        tx.commit().await?;
        Ok(Decided {
            emails: notices,
            calls,
            letters,
        })
    }
}

impl App {
    /// Records what came of a held appointment. "absent" leaves the step
    /// open and asks the responsible role to call the family and set a new
    /// date. Returns the reply's text.
    pub async fn record_outcome(
        &self,
        reference: &str,
        step: &str,
        outcome: echeancier_core::command::MeetingOutcome,
        who: &Who,
    ) -> Result<String> {
        use echeancier_core::command::MeetingOutcome;
        let mut tx = self.store.begin().await?;
        let (case, def) = self.open_step(&mut tx, reference, step).await?;
        let Some(a) = Store::appointment(&mut tx, case.id, step).await? else {
            return Err(AppError::Invalid(format!(
                "Aucun rendez-vous n'est fixé pour l'étape « {} » : fixez-le d'abord (!rdv).",
                def.name
            )));
        };
        let calendar = Self::calendar(&mut tx, &case).await?;
        let now = self.clock.now();
        let start = crate::notice::local_to_utc(a.starts_at, calendar.id.time_zone()).unwrap_or(now);
        if start > now {
            return Err(AppError::Invalid(format!(
                "Le rendez-vous du {} n'a pas encore eu lieu : notez son bilan après.",
                echeancier_core::french::long_date(a.starts_at.date())
            )));
        }
        let today = self.clock.today(calendar.id);
        Store::set_outcome(&mut tx, case.id, step, outcome.code(), today).await?;
        record(
            &mut tx,
            who,
            now,
            Some(case.reference.clone()),
            "bilan_rdv",
            json!({"etape": step, "bilan": outcome.code(), "rendez_vous": a.starts_at.to_string()}),
        )
        .await?;
        let mut reply = format!(
            "📝 {} : bilan du rendez-vous du {} noté : {}.",
            case.reference,
            echeancier_core::french::long_date(a.starts_at.date()),
            outcome.french()
        );
        if outcome == MeetingOutcome::Absent && def.settled_by(outcome) {
            // The procedure asks for no new appointment (si_absent = "noter").
            reply.push_str(&format!(
                "\nAbsence notée. Cette étape peut être close sans nouveau rendez-vous : !etape {} {step} fait.",
                case.reference
            ));
        } else if outcome == MeetingOutcome::Absent {
            // A new appointment to set: the family is called first.
            let key = format!(
                "{}/{step}/rdv-{}/absent",
                case.reference,
                a.starts_at.format("%Y-%m-%dT%H%M")
            );
            let r = NewReminder {
                key,
                case_id: Some(case.id),
                step: Some(step.to_string()),
                due_on: Some(today),
                kind: MessageKind::FamilyCall,
                role: Some(def.role.clone()),
                send_at: now,
                late: false,
                payload: json!({"motif": "absent"}),
            };
            let to = self.destinations(&mut tx, &case, &def.role).await?;
            Store::decide(&mut tx, &r, &to, now, None, now).await?;
            reply.push_str(&format!(
                "\n📞 Appelez la famille pour fixer un nouveau rendez-vous, puis : !rdv {} {step} DATE HEURE. L'étape reste à faire.",
                case.reference
            ));
        }
        tx.commit().await?;
        Ok(reply)
    }
}

/// A notice to post: the guardian it goes to and its text in their
/// language (personal data: for staff allowed to see the case).
pub struct Letter {
    pub name: String,
    pub address: Option<String>,
    pub reference: String,
    pub notice: echeancier_core::template::Rendered,
}

impl App {
    /// The printable notice of a guardian's appointment, without answer
    /// links (paper cannot be clicked): the phone number and the
    /// reference are how the family answers.
    pub async fn letter(
        &self,
        actor: &echeancier_core::authz::Actor,
        reference: &str,
        guardian_id: i64,
    ) -> Result<Letter> {
        let view = self.case_view(actor, reference).await?;
        if view.guardians.is_empty() {
            // Not staff, or not a case with a family: nothing to print.
            return Err(AppError::NotFound(view.case.reference));
        }
        let Some(g) = view
            .guardians
            .iter()
            .find(|g| g.id == guardian_id && !g.restricted)
        else {
            return Err(AppError::NotFound(view.case.reference));
        };
        let proc = self.procedure(&view.case.procedure)?;
        let mut conn = self.store.pool().acquire().await?;
        for def in proc.steps.iter().filter(|s| s.parent_notice.is_some()) {
            let Some(a) = Store::appointment(&mut conn, view.case.id, &def.id).await? else {
                continue;
            };
            let notice = def.parent_notice.clone().unwrap_or_default();
            let rendered =
                crate::message::notice_text(self, &mut conn, &view.case, &def.id, g, &a, &notice, false)
                    .await?;
            return Ok(Letter {
                name: g.name.clone(),
                address: g.address.clone(),
                reference: view.case.reference.clone(),
                notice: rendered,
            });
        }
        Err(AppError::Invalid(
            "Aucun rendez-vous n'est fixé : il n'y a pas encore d'avis à poster.".into(),
        ))
    }
}

impl App {
    /// Cancels a step's appointment: each family reached by email gets the
    /// cancellation in their language, with the calendar event withdrawn
    /// (same UID, higher SEQUENCE, METHOD:CANCEL). Returns the reply.
    pub async fn cancel_appointment(&self, reference: &str, step: &str, who: &Who) -> Result<String> {
        let mut tx = self.store.begin().await?;
        let (case, def) = self.open_step(&mut tx, reference, step).await?;
        let Some(a) = Store::appointment(&mut tx, case.id, step).await? else {
            return Err(AppError::Invalid(format!(
                "Aucun rendez-vous n'est fixé pour l'étape « {} ».",
                def.name
            )));
        };
        let now = self.clock.now();
        let calendar = Self::calendar(&mut tx, &case).await?;
        if crate::notice::local_to_utc(a.starts_at, calendar.id.time_zone()).is_some_and(|s| s <= now) {
            return Err(AppError::Invalid(
                "Ce rendez-vous a déjà eu lieu : notez plutôt son bilan (!bilan-rdv).".into(),
            ));
        }
        Store::cancel_appointment(&mut tx, case.id, step, now).await?;
        let not_before = self.options.hours.next_open(&calendar, now).unwrap_or(now);
        let stamp = a.starts_at.format("%Y-%m-%dT%H%M");
        let (mut emails, mut by_phone) = (0, 0);
        for g in Store::guardians(&mut tx, case.id).await? {
            if g.restricted {
                continue;
            }
            let Some(email) = g.email.clone() else {
                by_phone += 1;
                continue;
            };
            let r = NewReminder {
                key: format!("{}/{step}/rdv-{stamp}/annulation-{}", case.reference, g.id),
                case_id: Some(case.id),
                step: Some(step.to_string()),
                due_on: Some(a.starts_at.date()),
                kind: MessageKind::ParentNotice,
                role: None,
                send_at: not_before,
                late: false,
                payload: json!({"responsable": g.id, "annulation": true}),
            };
            let to = [Destination::new(Channel::Email, email)];
            if Store::decide(&mut tx, &r, &to, not_before, None, now)
                .await?
                .is_some()
            {
                emails += 1;
            }
        }
        record(
            &mut tx,
            who,
            now,
            Some(case.reference.clone()),
            "rendez_vous_annule",
            json!({"etape": step, "debut": a.starts_at.to_string(), "avis": emails}),
        )
        .await?;
        tx.commit().await?;
        let mut reply = format!(
            "❌ {} : rendez-vous du {} à {} annulé ; {}.",
            case.reference,
            echeancier_core::french::long_date(a.starts_at.date()),
            echeancier_core::french::time(a.starts_at.time()),
            echeancier_core::french::count_or(
                emails,
                "aucun courriel ne part",
                "courriel part",
                "courriels partent"
            )
        );
        if by_phone > 0 {
            reply.push_str(&format!(
                " {} sans courriel : prévenez par téléphone ou par courrier.",
                echeancier_core::french::count(by_phone, "responsable", "responsables")
            ));
        }
        Ok(reply)
    }
}

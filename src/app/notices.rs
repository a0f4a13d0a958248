//! Who is told what: reminder destinations and appointment notices.

use echeancier_core::authz::{self, Action, CaseScope};
use serde_json::json;
use sqlx::AnyConnection;

use crate::channel::Channel;
use crate::config::OralMode;
use crate::store::outbox::{Destination, MessageKind, NewReminder};
use crate::store::{CaseRow, Store};

use super::{App, AppError, Result, Who, check_step, record, room_place};

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
    ) -> Result<(usize, usize)> {
        let mut tx = self.store.begin().await?;
        let case = Store::case_by_ref(&mut tx, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        if !case.open {
            return Err(AppError::Closed(case.reference));
        }
        let proc = self.procedure(&case.procedure)?.clone();
        let def = check_step(&proc, step)?;
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
        };
        Store::set_appointment(&mut tx, case.id, step, &appointment).await?;
        let not_before = self.options.hours.next_open(&calendar, now).unwrap_or(now);
        let stamp = at.format("%Y-%m-%dT%H%M");
        let mut notices = 0;
        let mut calls = 0;
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
        record(&mut tx, who, now, Some(case.reference.clone()), "rendez_vous", json!({"etape": step, "debut": at.to_string(), "minutes": minutes, "avis": notices, "appels": calls, "confirme": confirmed && (outside || late), "au_dela_date_legale": late, "hors_heures_familles": outside})).await?;
        tx.commit().await?;
        Ok((notices, calls))
    }
}

//! A family reached by phone (`!appel`, or the case page). The trust-with-
//! parents sheet asks for an oral channel and counts the families reached
//! orally: a call is counted whether a task asked for it or not. A call
//! that answers open call tasks closes them, and counts once however many
//! it closed.

use chrono::NaiveDate;
use echeancier_core::authz::{self, Action, Actor, CaseScope};
use echeancier_core::french::long_date;
use serde_json::json;

use super::{App, AppError, Result, Who, record};
use crate::store::{CaseRow, Store};

impl App {
    /// Records that the family (or guardian number `guardian`) was reached
    /// by phone on `on` (today by default), for whoever may act on a step
    /// of the case. Returns the reply, which names no one.
    pub async fn record_call(
        &self,
        actor: &Actor,
        case: &CaseRow,
        guardian: Option<u32>,
        on: Option<NaiveDate>,
        who: &Who,
    ) -> Result<String> {
        let proc = self.procedure(&case.procedure)?.clone();
        let mut tx = self.store.begin().await?;
        let partners = Store::case_partners(&mut tx, case.id).await?;
        let scope = CaseScope {
            establishment: case.establishment.as_deref(),
            departement: &case.departement,
            partners: &partners,
        };
        let may_act = proc.steps.iter().any(|s| {
            authz::authorize(
                Some(actor),
                &self.library.roles,
                &proc,
                &scope,
                &Action::Step(&s.id),
            )
            .is_ok()
        });
        if !may_act {
            // Out of scope reads like missing, as for every command.
            return Err(AppError::NotFound(case.reference.clone()));
        }
        if !case.open {
            return Err(AppError::Invalid(format!(
                "Le dossier {} est clos.",
                case.reference
            )));
        }
        let calendar = Self::calendar(&mut tx, case).await?;
        let today = self.clock.today(calendar.id);
        let on = on.unwrap_or(today);
        if on > today {
            return Err(AppError::Invalid(
                "Un appel se note une fois passé : la date est après aujourd'hui.".into(),
            ));
        }
        let guardians = Store::guardians(&mut tx, case.id).await?;
        let guardian_id = match guardian {
            None => None,
            Some(n) => Some(
                guardians
                    .iter()
                    .find(|g| g.number == i64::from(n))
                    .map(|g| g.id)
                    .ok_or_else(|| {
                        AppError::Invalid(format!(
                            "Le dossier {} n'a pas de responsable n° {n}.",
                            case.reference
                        ))
                    })?,
            ),
        };
        // The tasks this call answers: the guardian's, and those of the
        // whole family (after an absence); every one without a guardian.
        let now = self.clock.now();
        let mut closed = Vec::new();
        for (id, about) in Store::open_call_tasks(&mut tx, case.id).await? {
            let answers = guardian_id.is_none() || about.is_none() || about == guardian_id;
            if answers && Store::acknowledge(&mut tx, id, &who.actor, now).await? {
                closed.push(id);
            }
        }
        record(
            &mut tx,
            who,
            now,
            Some(case.reference.clone()),
            "appel_famille",
            json!({"responsable": guardian, "le": on.to_string(), "taches": closed}),
        )
        .await?;
        tx.commit().await?;
        let whom = guardian.map_or_else(
            || "à la famille".to_string(),
            |n| format!("au responsable n° {n}"),
        );
        let tasks = match closed.len() {
            0 => "Aucune tâche d'appel n'était ouverte ; l'appel compte parmi les familles jointes par téléphone."
                .to_string(),
            1 => "1 tâche d'appel est close.".to_string(),
            n => format!("{n} tâches d'appel sont closes."),
        };
        Ok(format!(
            "📞 {} : appel {whom} noté, le {}. {tasks}",
            case.reference,
            long_date(on)
        ))
    }

    /// The same from the case page.
    pub async fn web_call(
        &self,
        actor: &Actor,
        reference: &str,
        guardian: Option<u32>,
        on: Option<NaiveDate>,
        who: &Who,
    ) -> Result<String> {
        let case = self.web_case(reference).await?;
        self.record_call(actor, &case, guardian, on, who).await
    }
}

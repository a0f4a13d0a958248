//! The chat verbs of partnership items: submitting a communication to the
//! convention's partners, their receipts and answers, a new version after
//! an objection (art. 8), and a termination (art. 9).

use chrono::NaiveDate;
use echeancier_core::authz::Action;
use echeancier_core::case::PartnerAnswer;
use echeancier_core::ids::CaseRef;
use echeancier_core::procedure::{Anchor, Audience};
use serde_json::json;

use crate::store::Store;

use super::commands::Caller;
use super::{App, AppError, Change, OpenCase, Result, record};

impl App {
    pub(super) async fn cmd_communication(
        &self,
        c: &Caller<'_>,
        convention: CaseRef,
        title: String,
    ) -> Result<String> {
        let conv = self.visible_case(c.place, &convention).await?;
        self.scope_check(Some(&c.actor), &conv, Action::Open).await?;
        let proc = self
            .library
            .procedures
            .values()
            .find(|p| p.audience == Audience::Partnership && p.steps.iter().any(|s| s.per_partner()))
            .ok_or_else(|| {
                AppError::Invalid("Aucune procédure de communication aux partenaires n'est définie.".into())
            })?;
        let snap = self
            .open_case(
                OpenCase {
                    procedure: proc.id.clone(),
                    parent: Some(conv.reference.clone()),
                    title: Some(title),
                    ..Default::default()
                },
                &c.who,
            )
            .await?;
        Ok(format!(
            "📨 Communication {} créée et soumise aux partenaires de {convention}. Enregistrez chaque réception avec !recu {} PARTENAIRE DATE.",
            snap.case.reference, snap.case.reference
        ))
    }

    pub(super) async fn cmd_received(
        &self,
        c: &Caller<'_>,
        item: CaseRef,
        partner: String,
        on: NaiveDate,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &item).await?;
        self.scope_check(Some(&c.actor), &row, Action::ForPartner(&partner))
            .await?;
        let snap = self
            .apply(item.as_str(), vec![Change::Receipt { partner, on }], &c.who)
            .await?;
        Ok(format!(
            "{item} : réception enregistrée.\n{}",
            self.next_steps(&snap, c.today)
        ))
    }

    pub(super) async fn cmd_approve(
        &self,
        c: &Caller<'_>,
        item: CaseRef,
        partner: Option<String>,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &item).await?;
        let partner = self.answering_partner(&c.actor, &row, partner).await?;
        self.scope_check(Some(&c.actor), &row, Action::ForPartner(&partner))
            .await?;
        let answer = PartnerAnswer::Approved(c.today);
        let snap = self
            .apply(item.as_str(), vec![Change::Answer { partner, answer }], &c.who)
            .await?;
        Ok(format!(
            "👍 {item} : approbation enregistrée.\n{}",
            self.next_steps(&snap, c.today)
        ))
    }

    pub(super) async fn cmd_object(
        &self,
        c: &Caller<'_>,
        item: CaseRef,
        partner: Option<String>,
        reason: String,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &item).await?;
        let partner = self.answering_partner(&c.actor, &row, partner).await?;
        self.scope_check(Some(&c.actor), &row, Action::ForPartner(&partner))
            .await?;
        let answer = PartnerAnswer::Objection { on: c.today, reason };
        let snap = self
            .apply(item.as_str(), vec![Change::Answer { partner, answer }], &c.who)
            .await?;
        Ok(format!(
            "✋ {item} : objection enregistrée ; le document ne peut pas être diffusé.\n{}",
            self.next_steps(&snap, c.today)
        ))
    }

    /// Art. 8 after an objection: the corrected document is a new item,
    /// submitted to the same partners with its own fifteen days; the old
    /// one is closed, and each names the other in its audit trail.
    pub(super) async fn cmd_new_version(&self, c: &Caller<'_>, item: CaseRef) -> Result<String> {
        let row = self.visible_case(c.place, &item).await?;
        self.scope_check(Some(&c.actor), &row, Action::Open).await?;
        let proc = self.procedure(&row.procedure)?;
        if !proc.steps.iter().any(|s| s.per_partner()) {
            return Err(AppError::Invalid(format!(
                "{item} n'est pas un document soumis aux partenaires : !version ne s'applique qu'à une communication."
            )));
        }
        if !row.open {
            return Err(AppError::Closed(row.reference));
        }
        let mut conn = self.store.pool().acquire().await?;
        let inputs = Store::inputs(&mut conn, &row).await?;
        if !inputs
            .answers
            .values()
            .any(|a| matches!(a, PartnerAnswer::Objection { .. }))
        {
            return Err(AppError::Invalid(format!(
                "{item} n'a reçu aucune objection : une nouvelle version se soumet après une objection."
            )));
        }
        let parent = match row.parent_id {
            Some(id) => Store::case_by_id(&mut conn, id).await?.map(|p| p.reference),
            None => None,
        };
        drop(conn);
        let (base, version) = split_version(row.title.as_deref().unwrap_or("Document"));
        let snap = self
            .open_case(
                OpenCase {
                    procedure: row.procedure.clone(),
                    departement: Some(row.departement.clone()),
                    parent,
                    title: Some(format!("{base} (version {})", version + 1)),
                    partners: inputs.partners.clone(),
                    ..Default::default()
                },
                &c.who,
            )
            .await?;
        let new = snap.case.reference.clone();
        self.apply(item.as_str(), vec![Change::Close], &c.who).await?;
        let mut tx = self.store.begin().await?;
        let now = self.clock.now();
        record(
            &mut tx,
            &c.who,
            now,
            Some(item.to_string()),
            "remplacee",
            json!({ "par": new }),
        )
        .await?;
        record(
            &mut tx,
            &c.who,
            now,
            Some(new.clone()),
            "nouvelle_version",
            json!({ "remplace": item.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(format!(
            "📨 {new} : version {} soumise aux mêmes partenaires, avec son propre délai de quinze jours à compter de chaque réception ; {item} est close. Enregistrez chaque réception avec !recu {new} PARTENAIRE DATE.",
            version + 1
        ))
    }

    pub(super) async fn cmd_terminate(
        &self,
        c: &Caller<'_>,
        convention: CaseRef,
        received: NaiveDate,
        requested: Option<NaiveDate>,
    ) -> Result<String> {
        let row = self.visible_case(c.place, &convention).await?;
        let proc = self.procedure(&row.procedure)?;
        let step = proc
            .steps
            .iter()
            .find(|s| s.effect == Some(echeancier_core::procedure::Effect::AnneeScolaireSuivante))
            .ok_or_else(|| AppError::Invalid(format!("{convention} n'est pas une convention résiliable.")))?;
        let Anchor::Event(received_event) = &step.anchor else {
            return Err(AppError::Invalid(
                "La résiliation de cette procédure ne part pas d'un événement.".into(),
            ));
        };
        self.scope_check(Some(&c.actor), &row, Action::Step(&step.id))
            .await?;
        let mut changes = vec![Change::Event {
            event: received_event.clone(),
            on: received,
        }];
        if let Some(ev) = &step.request_event {
            changes.push(Change::Event {
                event: ev.clone(),
                on: requested.unwrap_or(received),
            });
        }
        let step_id = step.id.clone();
        let snap = self.apply(convention.as_str(), changes, &c.who).await?;
        let s = snap.steps.iter().find(|s| s.step == step_id);
        let mut text = format!("{convention} : résiliation enregistrée.");
        if let Some(s) = s {
            if let Some(due) = s.due {
                text.push_str(&format!(
                    "\nPrise d'effet : {}.",
                    echeancier_core::french::long_date(due)
                ));
            }
            for (label, d) in &s.also {
                text.push_str(&format!(
                    "\n{} : {}.",
                    echeancier_core::french::capitalize(label),
                    echeancier_core::french::long_date(*d)
                ));
            }
            if s.needs_decision {
                text.push_str(
                    "\n⚠ Les deux lectures de l'article 9 donnent des dates différentes : c'est à vous de trancher.",
                );
            }
            if s.state == crate::store::StepStatus::Error {
                text.push_str(&format!("\n{}", s.state_detail.clone().unwrap_or_default()));
            }
        }
        Ok(text)
    }
}

/// "Affiche (version 2)" → ("Affiche", 2); a title without it is version 1.
fn split_version(title: &str) -> (&str, u32) {
    if let Some(head) = title.strip_suffix(')')
        && let Some((base, n)) = head.rsplit_once(" (version ")
        && let Ok(n) = n.parse::<u32>()
    {
        return (base, n);
    }
    (title, 1)
}

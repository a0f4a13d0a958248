//! Rules that change under control. Each case records the version and the
//! SHA-256 of the procedure file it was planned with, and the file's text
//! is kept in the database. When the file loaded differs, the case keeps
//! computing with its own rules: its dates do not move, and what staff
//! enter (a step done, a new date) is computed with the rules it was
//! planned with. `echeancier check --config` lists the cases whose dates
//! the new file would move ([`App::pending_versions`]); an operator
//! applies it to a case in one audited step ([`App::apply_procedure`]).
//! `!simuler` shows how a case's dates would move if an event had another
//! date, writing nothing ([`App::simulate`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use echeancier_core::authz::{Action, Actor, Place};
use echeancier_core::case::{self, StepPlan};
use echeancier_core::french::long_date;
use echeancier_core::ids::CaseRef;
use echeancier_core::procedure::{Library, Procedure};
use serde_json::json;
use sha2::Digest;
use sqlx::AnyConnection;

use crate::store::{CaseRow, PlannedWith, ProcedureFile, StepRow, Store};

use super::{App, AppError, Result, Snapshot, Who, check_event, record};

/// The procedure files loaded, with their digests, and the earlier
/// versions read back from the database for the cases that follow them.
pub(super) struct Versions {
    loaded: BTreeMap<String, (Arc<Procedure>, PlannedWith)>,
    kept: Mutex<BTreeMap<String, Arc<Procedure>>>,
}

/// The SHA-256 of a procedure file's text, in hexadecimal.
pub fn digest(text: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

impl Versions {
    pub(super) fn new(library: &Library) -> Versions {
        let loaded = library
            .procedures
            .iter()
            .map(|(id, p)| {
                let with = PlannedWith {
                    version: p.version,
                    hash: digest(&p.text),
                };
                (id.clone(), (Arc::new(p.clone()), with))
            })
            .collect();
        Versions {
            loaded,
            kept: Mutex::new(BTreeMap::new()),
        }
    }
}

/// The rules a case is computed with.
pub(super) struct CaseRules {
    pub(super) proc: Arc<Procedure>,
    /// What the case recorded; `None` for a case not recorded yet (just
    /// opened, or opened before versions were recorded).
    pub(super) recorded: Option<PlannedWith>,
}

/// How one step's dates differ between two plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepMove {
    pub step: String,
    pub name: String,
    pub kind: MoveKind,
    pub before: Option<NaiveDate>,
    pub after: Option<NaiveDate>,
    /// Additional dates (a legal date beside the target), before and after.
    pub also_before: Vec<(String, NaiveDate)>,
    pub also_after: Vec<(String, NaiveDate)>,
    /// The stored explanation, and the new plan's.
    pub explanation_before: Vec<String>,
    pub explanation_after: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    Moved,
    /// A step the new version adds.
    Added,
    /// A step the new version removes.
    Removed,
}

fn date_or_none(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "sans date".to_string(), long_date)
}

impl StepMove {
    /// One line for staff: « Entretien : vendredi 18 décembre 2026 → lundi
    /// 21 décembre 2026 ». Step names and dates only.
    pub fn line(&self) -> String {
        let mut line = match self.kind {
            MoveKind::Moved => format!(
                "{} : {} → {}",
                self.name,
                date_or_none(self.before),
                date_or_none(self.after)
            ),
            MoveKind::Added => format!("nouvelle étape « {} » : {}", self.name, date_or_none(self.after)),
            MoveKind::Removed => format!(
                "étape « {} » retirée (elle était au {})",
                self.name,
                date_or_none(self.before)
            ),
        };
        let mut labels: Vec<&str> = self
            .also_before
            .iter()
            .chain(&self.also_after)
            .map(|(l, _)| l.as_str())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            let find = |v: &[(String, NaiveDate)]| v.iter().find(|(l, _)| l == label).map(|(_, d)| *d);
            let (b, a) = (find(&self.also_before), find(&self.also_after));
            if b != a && self.kind == MoveKind::Moved {
                line.push_str(&format!(" ; {label} : {} → {}", date_or_none(b), date_or_none(a)));
            }
        }
        line
    }

    fn audit(&self) -> serde_json::Value {
        json!({
            "etape": self.step,
            "avant": self.before.map(|d| d.to_string()),
            "apres": self.after.map(|d| d.to_string()),
        })
    }
}

/// The steps whose dates differ between the stored plan and `plans`.
pub(super) fn moves(stored: &[StepRow], plans: &[StepPlan], proc: &Procedure) -> Vec<StepMove> {
    let mut out = Vec::new();
    for p in plans {
        let row = stored.iter().find(|s| s.step == p.step);
        let (before, also_before, explanation_before) = match row {
            Some(r) => (r.due, r.also.clone(), r.explanation.clone()),
            None => (None, Vec::new(), Vec::new()),
        };
        if row.is_some() && before == p.due && also_before == p.also {
            continue;
        }
        out.push(StepMove {
            step: p.step.clone(),
            name: p.name.clone(),
            kind: if row.is_some() {
                MoveKind::Moved
            } else {
                MoveKind::Added
            },
            before,
            after: p.due,
            also_before,
            also_after: p.also.clone(),
            explanation_before,
            explanation_after: p.explanation.clone(),
        });
    }
    for r in stored.iter().filter(|r| plans.iter().all(|p| p.step != r.step)) {
        out.push(StepMove {
            step: r.step.clone(),
            name: proc
                .step(&r.step)
                .map_or_else(|| r.step.clone(), |s| s.name.clone()),
            kind: MoveKind::Removed,
            before: r.due,
            after: None,
            also_before: r.also.clone(),
            also_after: Vec::new(),
            explanation_before: r.explanation.clone(),
            explanation_after: Vec::new(),
        });
    }
    out
}

/// An open case planned with another file than the one loaded.
#[derive(Debug, Clone)]
pub struct PendingVersion {
    pub reference: String,
    pub procedure: String,
    pub from: PlannedWith,
    pub to: PlannedWith,
    /// Why the version it follows can no longer be read (its changes are
    /// refused until the new version is applied), if so.
    pub unreadable: Option<String>,
    /// How its dates would move with the file loaded (none: it would
    /// keep every date).
    pub moves: Vec<StepMove>,
}

/// What applying the loaded version to a case did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub snapshot: Snapshot,
    pub from: Option<PlannedWith>,
    pub to: PlannedWith,
    pub moves: Vec<StepMove>,
}

impl App {
    /// The procedure file loaded for `id`, with its version and digest.
    pub(super) fn loaded(&self, id: &str) -> Result<(Arc<Procedure>, PlannedWith)> {
        self.versions.loaded.get(id).cloned().ok_or_else(|| {
            AppError::Invalid(format!(
                "Procédure « {id} » inconnue : son fichier a-t-il été retiré ?"
            ))
        })
    }

    fn file<'a>(proc: &'a Procedure, with: &'a PlannedWith) -> ProcedureFile<'a> {
        ProcedureFile {
            procedure: &proc.id,
            version: with.version,
            hash: &with.hash,
            text: &proc.text,
        }
    }

    /// The rules `case` is computed with: the file loaded, or the earlier
    /// version it was planned with, read back from the database. A version
    /// that no longer reads (a role removed from roles.toml since) refuses
    /// every change until the new version is applied.
    pub(super) async fn case_rules(&self, conn: &mut AnyConnection, case: &CaseRow) -> Result<CaseRules> {
        let (current, loaded) = self.loaded(&case.procedure)?;
        let rec = match Store::planned_with(conn, case.id).await? {
            Some(r) if r.hash != loaded.hash => r,
            recorded => {
                return Ok(CaseRules {
                    proc: current,
                    recorded,
                });
            }
        };
        let cached = self
            .versions
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&rec.hash)
            .cloned();
        let proc = match cached {
            Some(p) => p,
            None => {
                let refused = |why: String| {
                    AppError::Invalid(format!(
                        "Les règles de la procédure de ce dossier ont changé et la version {} avec laquelle il a été calculé ne se relit plus ({why}) : ses dates restent telles quelles, et il ne peut pas être modifié avant qu'un administrateur lui applique la nouvelle version (echeancier check, puis echeancier case apply-procedure {}).",
                        rec.version, case.reference
                    ))
                };
                let text = Store::procedure_text(conn, &rec.hash)
                    .await?
                    .ok_or_else(|| refused("texte introuvable dans la base".into()))?;
                let name = format!("{} (version {})", case.procedure, rec.version);
                let proc = Procedure::parse(&name, &text, &self.library.roles).map_err(|errors| {
                    refused(errors.first().map(|e| e.message.clone()).unwrap_or_default())
                })?;
                let proc = Arc::new(proc);
                self.versions
                    .kept
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(rec.hash.clone(), proc.clone());
                proc
            }
        };
        Ok(CaseRules {
            proc,
            recorded: Some(rec),
        })
    }

    /// Records the file loaded on a case not recorded yet, in `conn`'s
    /// transaction (at opening, and for a case opened before versions).
    pub(super) async fn record_rules(&self, conn: &mut AnyConnection, case: &CaseRow) -> Result<()> {
        let (proc, with) = self.loaded(&case.procedure)?;
        Store::set_planned_with(conn, case.id, Self::file(&proc, &with), self.clock.now()).await?;
        Ok(())
    }

    /// Cases opened before versions were recorded take the files loaded
    /// now (at each start). Returns how many.
    pub async fn adopt_unversioned(&self) -> Result<u64> {
        let mut n = 0;
        for (proc, with) in self.versions.loaded.values() {
            n += self
                .store
                .adopt_unversioned(Self::file(proc, with), self.clock.now())
                .await?;
        }
        Ok(n)
    }

    /// The open cases planned with another file than the one loaded, and
    /// how their dates would move with it. Changes nothing.
    pub async fn pending_versions(&self) -> Result<Vec<PendingVersion>> {
        let mut out = Vec::new();
        for (id, (current, loaded)) in &self.versions.loaded {
            for case_id in self.store.cases_planned_otherwise(id, &loaded.hash).await? {
                let mut conn = self.store.pool().acquire().await?;
                let Some(case) = Store::case_by_id(&mut conn, case_id).await? else {
                    continue;
                };
                let Some(from) = Store::planned_with(&mut conn, case.id).await? else {
                    continue;
                };
                let unreadable = match self.case_rules(&mut conn, &case).await {
                    Ok(_) => None,
                    Err(e) => Some(e.to_string()),
                };
                let inputs = Store::inputs(&mut conn, &case).await?;
                let (plans, _) = self.plan_with(&mut conn, &case, current, &inputs).await?;
                let stored = Store::steps(&mut conn, case.id).await?;
                out.push(PendingVersion {
                    reference: case.reference.clone(),
                    procedure: id.clone(),
                    from,
                    to: loaded.clone(),
                    unreadable,
                    moves: moves(&stored, &plans, current),
                });
            }
        }
        Ok(out)
    }

    /// Applies the procedure file loaded to a case planned with another
    /// one: its plan is recomputed with the new rules, steps the new
    /// version removes are dropped, and the audit trail records both
    /// versions and every date that moved, in one transaction.
    pub async fn apply_procedure(&self, reference: &str, who: &Who) -> Result<Applied> {
        let mut tx = self.store.begin().await?;
        let case = Store::case_by_ref(&mut tx, reference)
            .await?
            .ok_or_else(|| AppError::NotFound(reference.to_string()))?;
        if !case.open {
            return Err(AppError::Closed(case.reference));
        }
        let (proc, loaded) = self.loaded(&case.procedure)?;
        let from = Store::planned_with(&mut tx, case.id).await?;
        if from.as_ref().is_some_and(|f| f.hash == loaded.hash) {
            return Err(AppError::Invalid(format!(
                "Le dossier {} suit déjà la version {} de sa procédure : rien à appliquer.",
                case.reference, loaded.version
            )));
        }
        let stored = Store::steps(&mut tx, case.id).await?;
        Store::set_planned_with(&mut tx, case.id, Self::file(&proc, &loaded), self.clock.now()).await?;
        let plans = self.replan(&mut tx, &case).await?;
        let moved = moves(&stored, &plans, &proc);
        for m in moved.iter().filter(|m| m.kind == MoveKind::Removed) {
            Store::delete_step(&mut tx, case.id, &m.step).await?;
        }
        record(
            &mut tx,
            who,
            self.clock.now(),
            Some(case.reference.clone()),
            "nouvelle_version_procedure",
            json!({
                "procedure": case.procedure,
                "ancienne_version": from.as_ref().map(|f| f.version),
                "ancienne_empreinte": from.as_ref().map(|f| f.hash.clone()),
                "nouvelle_version": loaded.version,
                "nouvelle_empreinte": loaded.hash,
                "dates": moved.iter().map(StepMove::audit).collect::<Vec<_>>(),
            }),
        )
        .await?;
        let snapshot = Snapshot {
            case: Store::case_by_id(&mut tx, case.id)
                .await?
                .ok_or_else(|| AppError::NotFound(reference.to_string()))?,
            steps: Store::steps(&mut tx, case.id).await?,
        };
        tx.commit().await?;
        Ok(Applied {
            snapshot,
            from,
            to: loaded,
            moves: moved,
        })
    }

    /// `!simuler REF EVENEMENT DATE`: how the case's dates would move if
    /// the event had that date, computed in memory with the case's own
    /// rules. Nothing is written. The reply names steps and dates only.
    pub(super) async fn simulate(
        &self,
        place: &Place,
        actor: &Actor,
        reference: &CaseRef,
        event: &str,
        on: NaiveDate,
    ) -> Result<String> {
        let row = self.visible_case(place, reference).await?;
        self.scope_check(Some(actor), &row, Action::View).await?;
        let mut conn = self.store.pool().acquire().await?;
        let rules = self.case_rules(&mut conn, &row).await?;
        check_event(&rules.proc, event)?;
        let mut inputs = Store::inputs(&mut conn, &row).await?;
        let before = case::order_violations(&rules.proc, &inputs);
        let was = inputs.events.insert(event.to_string(), on);
        let (plans, _) = self.plan_with(&mut conn, &row, &rules.proc, &inputs).await?;
        let stored = Store::steps(&mut conn, row.id).await?;
        drop(conn);
        let name = rules.proc.event(event).map_or(event, |e| e.name.as_str());
        let mut text = format!(
            "🔎 Simulation pour {} (rien n'est enregistré) : « {} » le {}, {}.",
            row.reference,
            echeancier_core::french::capitalize(name),
            long_date(on),
            match was {
                Some(d) if d == on => "sa date actuelle".to_string(),
                Some(d) => format!("au lieu du {}", long_date(d)),
                None => "sa date n'étant pas encore renseignée".to_string(),
            }
        );
        let moved = moves(&stored, &plans, &rules.proc);
        if moved.is_empty() {
            text.push_str("\nAucune date ne changerait.");
        } else {
            text.push_str("\nLes dates qui changeraient :");
            for m in &moved {
                text.push_str("\n• ");
                text.push_str(&m.line());
            }
        }
        for v in case::order_violations(&rules.proc, &inputs)
            .iter()
            .filter(|v| !before.contains(v))
        {
            text.push_str(&format!(
                "\n⚠ {} Pour l'enregistrer, il faudrait ajouter « confirme ».",
                v.refusal()
            ));
        }
        Ok(text)
    }
}

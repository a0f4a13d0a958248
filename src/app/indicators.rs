//! The indicators of the trust-with-parents sheet, per establishment or
//! département and per period, counted from the audit trail (calls made
//! without a task included), the call tasks and the steps. They hold counts only: no reference, no name, and
//! small counts are masked where they are shown (`core::indicators`).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use echeancier_core::indicators::{Counts, Period};
use echeancier_core::school::Scope;

use super::{App, AppError, Result};
use crate::store::indicators::Area;

/// Indicators and what they cover, in words.
#[derive(Debug, Clone)]
pub struct Indicators {
    /// "Collège Jean Vilar (fictif)" or "département 049".
    pub area: String,
    pub period: Period,
    pub from: NaiveDate,
    /// The last day counted.
    pub until: NaiveDate,
    pub counts: Counts,
}

impl App {
    /// The indicators of one school (by UAI) or of a département (the
    /// CDEN's view: aggregates only) for `period` (default: the current
    /// school year).
    pub async fn indicators(
        &self,
        establishment: Option<&str>,
        departement: Option<&str>,
        period: Option<Period>,
    ) -> Result<Indicators> {
        let (dep, label, uai) = match (establishment, departement) {
            (Some(uai), _) => {
                let uai: echeancier_core::ids::Uai = uai
                    .parse()
                    .map_err(|e: echeancier_core::ids::UaiError| AppError::Invalid(e.to_string()))?;
                let mut conn = self.store.pool().acquire().await?;
                let e = crate::store::Store::establishment(&mut conn, uai.as_str())
                    .await?
                    .ok_or_else(|| {
                        AppError::Invalid(format!("Établissement {uai} non déclaré dans la configuration."))
                    })?;
                (e.departement, e.name, Some(e.uai))
            }
            (None, Some(d)) => {
                let d = crate::config::normalize_departement(d);
                (d.clone(), format!("département {d}"), None)
            }
            (None, None) => {
                return Err(AppError::Invalid(
                    "Donnez un établissement (UAI) ou un département.".into(),
                ));
            }
        };
        let scope: Scope = echeancier_core::academie::academie_of_departement(&dep)
            .map_err(|e| AppError::Invalid(e.to_string()))?
            .into();
        let period = match period {
            Some(p) => p,
            None => {
                Period::of(self.today(), &self.school, scope).map_err(|e| AppError::Invalid(e.to_string()))?
            }
        };
        let (from, to) = period
            .bounds(&self.school, scope)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let tz = echeancier_core::calendar::CalendarId::Metropole.time_zone();
        let instant = |d: NaiveDate| {
            crate::notice::local_to_utc(d.and_time(NaiveTime::MIN), tz)
                .map(crate::store::ts)
                .unwrap_or_default()
        };
        let data = self
            .store
            .indicator_data(
                Area {
                    departement: &dep,
                    establishment: uai.as_deref(),
                },
                (&instant(from), &instant(to)),
                (&from.to_string(), &to.to_string()),
            )
            .await?;
        let mut counts = Counts {
            reached_orally: u64::try_from(data.calls_done).unwrap_or_default(),
            ..Counts::default()
        };
        // A corrected outcome or a changed answer counts once: the last.
        let mut outcomes: BTreeMap<(String, String, String), String> = BTreeMap::new();
        let mut answers: BTreeMap<(String, String, String, String), ()> = BTreeMap::new();
        for (case, procedure, action, detail) in &data.audit {
            let d: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
            let field = |k: &str| {
                d[k].as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| d[k].to_string())
            };
            match action.as_str() {
                "rendez_vous" => counts.proposed += 1,
                "bilan_rdv" => {
                    outcomes.insert(
                        (case.clone(), field("etape"), field("rendez_vous")),
                        field("bilan"),
                    );
                }
                // A recurring meeting (`repetition`) held; workshop
                // sessions (counted in hours) are not meetings with parents.
                "etape_faite"
                    if self
                        .library
                        .get(procedure)
                        .and_then(|p| p.step(&field("etape")))
                        .and_then(|s| s.repeat.as_ref())
                        .is_some_and(|r| r.sessions.is_none()) =>
                {
                    counts.follow_ups += 1;
                }
                // One call, one count: the tasks it closed (closed at the
                // same instant, so in the same period) are not counted apart.
                "appel_famille" => {
                    let closed = d["taches"].as_array().map_or(0, Vec::len) as u64;
                    counts.reached_orally = counts.reached_orally.saturating_sub(closed) + 1;
                }
                "reponse_famille" => {
                    answers.insert(
                        (
                            case.clone(),
                            field("etape"),
                            field("responsable"),
                            field("revision"),
                        ),
                        (),
                    );
                }
                _ => {}
            }
        }
        for outcome in outcomes.values() {
            match outcome.as_str() {
                "venu" => {
                    counts.held += 1;
                    counts.came += 1;
                }
                "venu-accompagne" => {
                    counts.held += 1;
                    counts.came_accompanied += 1;
                }
                "absent" => counts.missed += 1,
                "excuse" => counts.excused += 1,
                _ => {}
            }
        }
        counts.answers = answers.len() as u64;
        let today = self.today();
        let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (procedure, due, done) in &data.steps {
            let Ok(due) = due.parse::<NaiveDate>() else {
                continue;
            };
            let done = done.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
            let name = self
                .library
                .get(procedure)
                .map_or_else(|| procedure.clone(), |p| p.name.clone());
            let e = per.entry(name).or_default();
            match done {
                Some(d) if d <= due => e.0 += 1,
                Some(_) => e.1 += 1,
                None if due < today => e.1 += 1,
                None => {}
            }
        }
        counts.deadlines = per.into_iter().map(|(n, (met, late))| (n, met, late)).collect();
        Ok(Indicators {
            area: label,
            period,
            from,
            until: to.pred_opt().unwrap_or(to),
            counts,
        })
    }
}

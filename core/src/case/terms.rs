//! Partnership steps: a convention's term and its tacit renewal (art. 7
//! and 9), and the steps each partner answers (art. 8's silence).

use super::*;

impl Planner<'_> {
    /// Art. 7 and 9: the last day to send a termination that takes effect
    /// at `term`, both readings; the other reading's day as an `also` date.
    pub(super) fn last_day_for_term(
        &self,
        term: NaiveDate,
        rule: deadline::Rule,
        plan: &mut StepPlan,
    ) -> Result<(NaiveDate, Vec<String>), String> {
        let (months, days) = rule.period.normalized().map_err(|e| e.to_string())?;
        if days != 0 {
            return Err("le préavis de résiliation se compte en mois seulement".into());
        }
        let cal = self.env.calendar;
        let t = termination::last_day_for_term(term, months, cal, self.env.school, self.env.school_scope)
            .map_err(|e| e.to_string())?;
        let mut lines = t.explanation();
        let rolled = |day: NaiveDate, lines: &mut Vec<String>| -> Result<NaiveDate, String> {
            let (to, _) = deadline::roll(day, rule.roll, cal).map_err(|e| e.to_string())?;
            if to != day {
                lines.push(format!(
                    "Le {} n'est pas un jour ouvré : ce dernier jour est avancé au {}.",
                    long_date(day),
                    long_date(to)
                ));
            }
            Ok(to)
        };
        let due = rolled(t.send_by, &mut lines)?;
        plan.needs_decision = t.diverge;
        if t.diverge {
            let other = rolled(t.send_by_at_rentree, &mut lines)?;
            plan.also.push((
                "dernier jour selon l'autre lecture, effet à une rentrée seulement".into(),
                other,
            ));
        }
        Ok((due, lines))
    }

    /// A deadline, renewed tacitely while its term has passed.
    pub(super) fn renewing_deadline(
        &self,
        def: &StepDef,
        start: NaiveDate,
        rule: deadline::Rule,
    ) -> Result<(NaiveDate, Vec<String>), String> {
        let first = deadline::compute(start, &rule, self.env.calendar).map_err(|e| e.to_string())?;
        if !def.tacit_renewal || first.end >= self.env.today || self.inputs.done.contains_key(&def.id) {
            return Ok((first.end, first.explanation()));
        }
        // Each term counts from the origin in one step: k × N from the start.
        let mut k = 1u32;
        let mut current: Deadline = first;
        while current.end < self.env.today && k < 200 {
            k += 1;
            let mut r = rule;
            r.period.amount = rule.period.amount.saturating_mul(k);
            current = deadline::compute(start, &r, self.env.calendar).map_err(|e| e.to_string())?;
        }
        let mut lines = current.explanation();
        lines.push(format!(
            "Renouvelée tacitement {} fois : période en cours jusqu'au {}.",
            k - 1,
            long_date(current.end)
        ));
        Ok((current.end, lines))
    }

    pub(super) fn partner_step(&mut self, def: &StepDef, plan: &mut StepPlan) {
        let inputs = self.inputs;
        if inputs.partners.is_empty() {
            plan.state = StepState::Waiting("aucun partenaire destinataire".into());
            return;
        }
        let Some(rule) = def.rule.resolve(&inputs.params, &self.proc.params) else {
            plan.state = StepState::Waiting("paramètre du dossier à renseigner".into());
            return;
        };
        let name = |id: &str| {
            inputs
                .partner_names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        let mut lines = vec![format!(
            "Règle : {} à compter de la réception par chaque partenaire, {} ; sans réponse, le document est approuvé.",
            rule.describe_period(),
            rule.roll.describe()
        )];
        let mut missing = Vec::new();
        let mut latest: Option<NaiveDate> = None;
        let mut approvals: Vec<NaiveDate> = Vec::new();
        for partner in &inputs.partners {
            match inputs.answers.get(partner) {
                // The reason is free text: kept in the case file only.
                Some(PartnerAnswer::Objection { on, .. }) => {
                    lines.push(format!(
                        "{} : objection le {} (motif enregistré au dossier).",
                        name(partner),
                        long_date(*on)
                    ));
                    plan.explanation = lines;
                    plan.state = StepState::Blocked(format!("objection de {}", name(partner)));
                    return;
                }
                Some(PartnerAnswer::Approved(on)) => {
                    lines.push(format!(
                        "{} : approbation explicite le {}.",
                        name(partner),
                        long_date(*on)
                    ));
                    approvals.push(*on);
                    continue;
                }
                None => {}
            }
            match inputs.receipts.get(partner) {
                None => missing.push(name(partner)),
                Some(received) => match deadline::compute(*received, &rule, self.env.calendar) {
                    Ok(dl) => {
                        let rolled = if dl.skipped.is_empty() {
                            String::new()
                        } else {
                            format!(" (dernier jour reporté du {}, non ouvré)", long_date(dl.raw_end))
                        };
                        lines.push(format!(
                            "{} : reçu le {} ; sans réponse, approuvé à la fin du {}{rolled}.",
                            name(partner),
                            long_date(*received),
                            long_date(dl.end)
                        ));
                        latest = latest.max(Some(dl.end));
                    }
                    Err(e) => {
                        plan.state = StepState::Error(e.to_string());
                        return;
                    }
                },
            }
        }
        if approvals.len() == inputs.partners.len() {
            let on = approvals.iter().max().copied().unwrap_or(self.env.today);
            lines.push(format!(
                "Approuvé explicitement par tous les partenaires le {}.",
                long_date(on)
            ));
            plan.explanation = lines;
            plan.state = StepState::Approved { on, tacit: false };
            return;
        }
        if !missing.is_empty() {
            lines.push(format!("Réception à renseigner pour : {}.", missing.join(", ")));
            plan.explanation = lines;
            plan.state = StepState::Waiting(format!("réception à renseigner pour {}", missing.join(", ")));
            return;
        }
        let Some(due) = latest else {
            plan.state = StepState::Waiting("aucune réception".into());
            return;
        };
        lines.push(format!(
            "Sans objection, le document est approuvé le {} à 24 h, dernier jour du partenaire qui l'a reçu le plus tard.",
            long_date(due)
        ));
        plan.due = Some(due);
        plan.computed_due = Some(due);
        plan.explanation = lines;
        plan.state = if due < self.env.today {
            StepState::Approved { on: due, tacit: true }
        } else {
            StepState::Open
        };
    }
}

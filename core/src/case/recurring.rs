//! Recurring steps: the next session of a step that repeats, and the
//! tally of sessions held and planned against a yearly goal of hours.

use super::*;

impl Planner<'_> {
    /// A recurring step done on `done` is due again `repeat.weeks` later
    /// (the working day before, if that day is not one), until its end
    /// date in the school year; past it, the step is done for the year.
    pub(super) fn next_occurrence(
        &mut self,
        def: &StepDef,
        repeat: &crate::procedure::Repeat,
        done: NaiveDate,
        plan: &mut StepPlan,
        depth: usize,
    ) {
        let until = match self.anchor(&Anchor::School(repeat.until), depth + 1, false) {
            Resolved::Date(d, _) => d,
            // Without the school calendar's end date, the step stays done.
            _ => return,
        };
        let rule = crate::deadline::Rule::new(
            crate::deadline::Period::weeks(repeat.weeks),
            crate::deadline::Roll::Backward,
        );
        let Ok(next) = deadline::compute(done, &rule, self.env.calendar) else {
            return;
        };
        let every = match repeat.weeks {
            1 => "chaque semaine".to_string(),
            n => format!("toutes les {n} semaines"),
        };
        let mut moved = Vec::new();
        let due = if def.rule.avoid_holidays {
            match self.avoid_holidays(next.end, Roll::Forward, &mut moved) {
                Ok(d) => d,
                Err(why) => {
                    plan.state = StepState::Error(why);
                    return;
                }
            }
        } else {
            next.end
        };
        if due >= until {
            plan.explanation.push(format!(
                "Fait le {} ; revient {every} jusqu'au {} : pas d'autre date cette année.",
                long_date(done),
                long_date(until)
            ));
            return;
        }
        plan.start = Some(done);
        plan.due = Some(due);
        plan.computed_due = Some(due);
        plan.explanation = vec![format!(
            "« {} » revient {every} jusqu'au {} : la dernière fois le {}.",
            def.name,
            long_date(until),
            long_date(done)
        )];
        plan.explanation.extend(next.explanation());
        plan.explanation.extend(moved);
        plan.state = if due < self.env.today {
            StepState::Overdue
        } else {
            StepState::Open
        };
    }

    /// A recurring step held in sessions towards a yearly volume: the
    /// sessions held (each day it was done), those still planned at its
    /// pace until its end date (out of the holidays when its rule says
    /// so), and whether the volume is reached. Lines of its explanation.
    pub(super) fn tally(
        &mut self,
        def: &StepDef,
        repeat: &crate::procedure::Repeat,
        sessions: crate::procedure::Sessions,
        plan: &mut StepPlan,
        depth: usize,
    ) {
        let Resolved::Date(until, _) = self.anchor(&Anchor::School(repeat.until), depth + 1, false) else {
            return;
        };
        let held = self.inputs.history.get(&def.id).map_or(0, Vec::len);
        let rule = crate::deadline::Rule::new(
            crate::deadline::Period::weeks(repeat.weeks),
            crate::deadline::Roll::Backward,
        );
        let mut planned = 0usize;
        let mut next = plan.due.filter(|_| plan.state.is_pending());
        while let Some(day) = next.filter(|d| *d < until && planned < 120) {
            planned += 1;
            next = deadline::compute(day, &rule, self.env.calendar)
                .ok()
                .map(|dl| dl.end)
                .and_then(|d| {
                    if def.rule.avoid_holidays {
                        self.avoid_holidays(d, Roll::Forward, &mut Vec::new()).ok()
                    } else {
                        Some(d)
                    }
                });
        }
        let each = sessions.hours_each as usize;
        let target = sessions.target_hours as usize;
        let (held_h, planned_h) = (held * each, planned * each);
        let outlook = if held_h >= target {
            format!("l'objectif de {target} h de l'année est atteint")
        } else if held_h + planned_h >= target {
            format!("au rythme prévu, l'objectif de {target} h de l'année sera atteint")
        } else {
            format!(
                "au rythme prévu, il manquera {} h pour l'objectif de {target} h de l'année",
                target - held_h - planned_h
            )
        };
        plan.explanation.insert(
            0,
            format!(
                "{} tenue{} ({held_h} h) ; {} d'ici le {} ({planned_h} h) : {outlook}.",
                capitalize(&count(held, "séance", "séances")),
                if held > 1 { "s" } else { "" },
                count(planned, "séance prévue", "séances prévues"),
                long_date(until)
            ),
        );
    }
}

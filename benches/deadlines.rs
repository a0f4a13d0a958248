//! Deadline computations per second over a realistic mix of rules and
//! calendars (days, weeks, months, years; forward, none, backward; délai
//! franc; metropole, Alsace-Moselle and overseas).
//!
//! `cargo bench --bench deadlines` reports the time per batch of 1,000.

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use echeancier_core::calendar::{Calendar, CalendarId};
use echeancier_core::deadline::{Period, Roll, Rule, compute};
use std::hint::black_box;

fn mix() -> Vec<(NaiveDate, Rule, Calendar)> {
    let rules = [
        Rule::new(Period::days(10), Roll::Backward),
        Rule::new(Period::days(10), Roll::Forward),
        Rule::new(Period::days(15), Roll::Forward),
        Rule::new(Period::days(15), Roll::Forward).franc(),
        Rule::new(Period::months(3), Roll::None),
        Rule::new(Period::years(3), Roll::None).inclusive(),
        Rule::new(Period::weeks(2), Roll::Backward),
        Rule::new(Period::months(1).and_days(5), Roll::Forward),
    ];
    let calendars: Vec<Calendar> = CalendarId::ALL.iter().map(|id| Calendar::new(*id)).collect();
    let base = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    (0..1_000u64)
        .map(|i| {
            let start = base + Days::new((i * 37) % 1_500);
            let rule = rules[(i % rules.len() as u64) as usize];
            // Mostly metropole, as in real use.
            let cal = if i % 4 == 0 {
                calendars[(i / 4 % calendars.len() as u64) as usize].clone()
            } else {
                calendars[0].clone()
            };
            (start, rule, cal)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = mix();
    let mut group = c.benchmark_group("deadline");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("compute_mix_1000", |b| {
        b.iter(|| {
            for (start, rule, cal) in &cases {
                let dl = compute(black_box(*start), black_box(rule), cal).expect("computable");
                black_box(dl.end);
            }
        })
    });
    group.bench_function("compute_and_explain_1000", |b| {
        b.iter(|| {
            for (start, rule, cal) in &cases {
                let dl = compute(black_box(*start), black_box(rule), cal).expect("computable");
                black_box(dl.explanation());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

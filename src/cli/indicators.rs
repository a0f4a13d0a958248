//! `echeancier indicateurs`: the trust-with-parents sheet's counts for a
//! school or a département and a period, as a table or CSV. Counts from 1
//! to 4 print "< 5", as on the web.

use std::path::Path;

use echeancier_core::indicators::Period;

use super::{Outcome, input, settings};
use crate::daemon::open_app;

pub async fn indicators(
    config: Option<&Path>,
    establishment: Option<&str>,
    departement: Option<&str>,
    period: Option<&str>,
    csv: bool,
) -> Outcome {
    let period = match period {
        Some(p) => Some(
            p.parse::<Period>()
                .map_err(|e| input(format!("--periode : {e}")))?,
        ),
        None => None,
    };
    let (settings, lib) = settings(config, false)?;
    let app = open_app(&settings, lib).await?;
    let departement = match (establishment, departement) {
        (None, None) => settings.departements.first().map(|d| d.code.clone()),
        (_, d) => d.map(str::to_string),
    };
    let found = app
        .indicators(establishment, departement.as_deref(), period)
        .await?;
    let rows = found.counts.rows();
    if csv {
        // Semicolons, as French spreadsheets read them.
        println!("indicateur;nombre");
        for (label, n) in rows {
            println!("{};{n}", label.replace(';', ","));
        }
    } else {
        println!(
            "{} — {} (du {} au {})",
            found.area,
            found.period,
            echeancier_core::french::long_date(found.from),
            echeancier_core::french::long_date(found.until)
        );
        let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        for (label, n) in rows {
            let pad = width - label.chars().count();
            println!("{label}{} {n}", " ".repeat(pad));
        }
    }
    Ok(())
}

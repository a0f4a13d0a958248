//! French wording shared by the core and the adapters: dates and times in
//! words, counted nouns, sentences, date parsing with French error messages.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "lundi",
        Weekday::Tue => "mardi",
        Weekday::Wed => "mercredi",
        Weekday::Thu => "jeudi",
        Weekday::Fri => "vendredi",
        Weekday::Sat => "samedi",
        Weekday::Sun => "dimanche",
    }
}

pub fn month_name(month: u32) -> &'static str {
    MONTHS
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("?")
}

/// "mardi 15 décembre 2026" ("1er" for the first of the month).
pub fn long_date(date: NaiveDate) -> String {
    let day = if date.day() == 1 {
        "1er".to_string()
    } else {
        date.day().to_string()
    };
    format!(
        "{} {day} {} {}",
        weekday_name(date.weekday()),
        month_name(date.month()),
        date.year()
    )
}

/// The text with its first letter upper-cased (for sentences starting
/// with a date or a label).
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The time as French writes it and as the parents' notices print it:
/// "9 h 05", "14 h 30", "14 h" on the hour.
pub fn time(t: NaiveTime) -> String {
    match t.minute() {
        0 => format!("{} h", t.hour()),
        m => format!("{} h {m:02}", t.hour()),
    }
}

/// `n` and the noun phrase agreeing with it: "1 courriel", "2 courriels".
/// Zero takes the singular, as in French ("0 courriel"); where "aucun"
/// reads better, use [`count_or`].
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", agree(n, one, many))
}

/// As [`count`], with a phrase of its own for zero ("aucun courriel ne
/// part"): "aucun" agrees in gender, which only the caller knows.
pub fn count_or(n: usize, none: &str, one: &str, many: &str) -> String {
    if n == 0 {
        none.to_string()
    } else {
        count(n, one, many)
    }
}

/// The form agreeing with `n`: singular for 0 and 1, plural from 2.
pub fn agree<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n > 1 { many } else { one }
}

/// The text as a full sentence: first letter upper-cased, final period
/// added unless it already ends with a sentence mark.
pub fn sentence(s: &str) -> String {
    let s = capitalize(s.trim());
    if s.is_empty() || s.ends_with(['.', '!', '?', '…']) {
        s
    } else {
        format!("{s}.")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("date invalide « {input} » : {why} (attendu AAAA-MM-JJ ou JJ/MM/AAAA, par exemple 2026-03-05)")]
pub struct DateError {
    pub input: String,
    pub why: &'static str,
}

/// Parses `2026-03-05` or `05/03/2026`; rejects dates that do not exist.
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let s = input.trim();
    let err = |why| DateError {
        input: s.chars().take(40).collect(),
        why,
    };
    let parts: Vec<&str> = if s.contains('-') {
        s.split('-').collect()
    } else if s.contains('/') {
        let mut p: Vec<&str> = s.split('/').collect();
        p.reverse();
        p
    } else {
        return Err(err("format non reconnu"));
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(err("il faut une année, un mois et un jour"));
    };
    let all_digits = |x: &str| !x.is_empty() && x.len() <= 4 && x.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) || y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return Err(err("format non reconnu"));
    }
    let (y, m, d) = match (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) {
        (Ok(y), Ok(m), Ok(d)) => (y, m, d),
        _ => return Err(err("format non reconnu")),
    };
    if !(1..=12).contains(&m) {
        return Err(err("le mois doit être entre 1 et 12"));
    }
    if !(1900..=2200).contains(&y) {
        return Err(err("l'année doit être entre 1900 et 2200"));
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| err("ce jour n'existe pas dans ce mois"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 15).expect("date");
        assert_eq!(long_date(d), "mardi 15 décembre 2026");
        let d = NaiveDate::from_ymd_opt(2026, 9, 1).expect("date");
        assert_eq!(long_date(d), "mardi 1er septembre 2026");
    }

    #[test]
    fn times_without_leading_zero() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("time");
        assert_eq!(time(t(9, 5)), "9 h 05");
        assert_eq!(time(t(14, 30)), "14 h 30");
        assert_eq!(time(t(14, 0)), "14 h");
        assert_eq!(time(t(0, 0)), "0 h");
    }

    #[test]
    fn counts_agree() {
        assert_eq!(count(0, "courriel part", "courriels partent"), "0 courriel part");
        assert_eq!(count(1, "courriel part", "courriels partent"), "1 courriel part");
        assert_eq!(
            count(2, "courriel part", "courriels partent"),
            "2 courriels partent"
        );
        assert_eq!(count(1, "famille", "familles"), "1 famille");
        assert_eq!(
            count_or(0, "aucune famille", "famille", "familles"),
            "aucune famille"
        );
        assert_eq!(count_or(3, "aucune famille", "famille", "familles"), "3 familles");
        assert_eq!(agree(1, "part", "partent"), "part");
    }

    #[test]
    fn sentences() {
        assert_eq!(sentence("il manque --from"), "Il manque --from.");
        assert_eq!(sentence("Déjà une phrase."), "Déjà une phrase.");
        assert_eq!(sentence("élève introuvable ?"), "Élève introuvable ?");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn parses_both_forms() {
        let want = NaiveDate::from_ymd_opt(2026, 3, 5);
        assert_eq!(parse_date("2026-03-05").ok(), want);
        assert_eq!(parse_date("05/03/2026").ok(), want);
        assert_eq!(parse_date("5/3/2026").ok(), want);
    }

    #[test]
    fn rejects_bad_dates_in_french() {
        let e = parse_date("2026-02-31").expect_err("31 February");
        assert_eq!(e.why, "ce jour n'existe pas dans ce mois");
        assert!(e.to_string().contains("attendu AAAA-MM-JJ"));
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("demain").is_err());
        assert!(parse_date("2026-03").is_err());
        assert!(parse_date("+2026-03-01").is_err());
        assert!(parse_date("99999-01-01").is_err());
        assert!(parse_date("").is_err());
    }
}

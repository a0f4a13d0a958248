//! Any Fluent source as the French parent-notice file (and as a second
//! language), with any place, phone, date and time: templates build or give
//! a French error; check and render never panic, and the HTML they produce
//! carries no markup from the template or the arguments.

#![no_main]

use echeancier_core::command::parse_time;
use echeancier_core::french::parse_date;
use echeancier_core::template::{NoticeArgs, Templates};
use libfuzzer_sys::fuzz_target;

/// The tags `html_page` writes; any other `<` would be injected markup.
const TAGS: &[&str] = &[
    "<!DOCTYPE html>",
    "<html>",
    "<head>",
    "<meta charset=\"utf-8\">",
    "</head>",
    "<body>",
    "</body>",
    "</html>",
    "<div ",
    "</div>",
    "<hr>",
    "<p>",
    "</p>",
    "<strong>",
    "</strong>",
];

fn only_our_tags(html: &str) -> bool {
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let Some(tag) = TAGS.iter().find(|t| rest.starts_with(**t)) else {
            return false;
        };
        rest = &rest[tag.len()..];
    }
    true
}

fuzz_target!(|data: &[u8]| {
    // Layout: SOURCE [\0 PLACE [\0 PHONE [\0 DATE [\0 TIME [\0 LANG]]]]], so
    // that a plain .ftl seed is a French file rendered with default values.
    let input = String::from_utf8_lossy(data);
    let mut parts = input.split('\0');
    let source = parts.next().unwrap_or_default();
    let place = parts.next().unwrap_or("15 rue des Écoles, 49000 Angers");
    let phone = parts.next().unwrap_or("02 41 00 00 00");
    let date = parse_date(parts.next().unwrap_or("15/12/2026")).ok();
    let time = parse_time(parts.next().unwrap_or("14h30"));
    let lang = parts.next().filter(|l| !l.is_empty()).unwrap_or("ar");
    let (Some(date), Some(time)) = (date, time) else {
        return;
    };
    let args = NoticeArgs {
        at: date.and_time(time),
        place: place.to_string(),
        phone: phone.to_string(),
    };

    let files = [
        ("fr".to_string(), source.to_string()),
        (lang.to_string(), source.to_string()),
    ];
    let templates = match Templates::build(files) {
        Ok(t) => t,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    for (_, finding) in templates.check() {
        assert!(!finding.message.is_empty());
    }
    let notices = templates.notices().to_vec();
    for notice in notices.iter().map(String::as_str).chain(["par-convocation", ""]) {
        let _ = templates.has(notice);
        for reader in ["fr", lang, "xx"] {
            match templates.render(notice, reader, &args) {
                Ok(r) => {
                    assert_eq!(r.lang, templates.language_for(reader));
                    assert!(only_our_tags(&r.html), "markup leaked into {:?}", r.html);
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
});

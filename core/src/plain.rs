//! Plain-language checks for French parent notices (RGAA « langage
//! simplifié », FALC practice; domain brief §5): sentence length, acronyms,
//! abbreviations, forbidden punctuation, jargon, dates in figures and the
//! Kandel & Moles readability score.

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    /// The sentence (or word) at fault.
    pub excerpt: String,
    pub message: String,
}

/// Words a notice to parents must not use; each with a plainer phrasing.
pub const JARGON: &[(&str, &str)] = &[
    ("nonobstant", "malgré"),
    ("susvisé", "dont on parle plus haut"),
    ("saisine", "demande"),
    ("le cas échéant", "si besoin"),
    ("délai de rigueur", "date limite"),
    ("ledit", "ce"),
    ("ladite", "cette"),
    ("afférent", "lié à"),
    ("subséquemment", "ensuite"),
    ("en tout état de cause", "dans tous les cas"),
    ("idoine", "adapté"),
    ("sus-mentionné", "dont on parle plus haut"),
    ("à l'effet de", "pour"),
    ("diligenter", "organiser"),
    ("exclusion définitive", "renvoi définitif du collège"),
];

const ABBREVIATIONS: &[&str] = &["etc", "cf", "n°", "art.", "ex.", "p.ex", "c.-à-d", "env.", "tél."];
const FORBIDDEN: &[char] = &[';', '(', ')', '…', '&', '%'];

pub const WARN_WORDS: usize = 15;
pub const MAX_WORDS: usize = 20;
pub const MIN_SCORE: f64 = 60.0;

fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
            continue;
        }
        for ch in line.chars() {
            cur.push(ch);
            if matches!(ch, '.' | '!' | '?' | ':') {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
            }
        }
        // A line without final punctuation (a title, a list item) ends there.
        if !cur.trim().is_empty() {
            out.push(cur.trim().to_string());
        }
        cur.clear();
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn words(sentence: &str) -> Vec<&str> {
    sentence
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '’')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect()
}

fn is_vowel(c: char) -> bool {
    "aeiouyàâäéèêëîïôöûùüœæ".contains(c)
}

/// French syllables, approximated by groups of vowels; a final mute e does
/// not count.
pub fn syllables(word: &str) -> usize {
    let w = word.to_lowercase();
    let chars: Vec<char> = w.chars().collect();
    let mut groups = 0;
    let mut prev = false;
    for c in &chars {
        let v = is_vowel(*c);
        if v && !prev {
            groups += 1;
        }
        prev = v;
    }
    let ends_mute = w.ends_with('e') || w.ends_with("es") || w.ends_with("ent");
    if ends_mute && groups > 1 {
        let tail_is_group = chars
            .iter()
            .rev()
            .skip_while(|c| !is_vowel(**c))
            .take(2)
            .filter(|c| is_vowel(**c))
            .count()
            == 1;
        if tail_is_group {
            groups -= 1;
        }
    }
    groups.max(1)
}

/// Kandel & Moles: 207 − 1.015 × words/sentence − 73.6 × syllables/word.
pub fn kandel_moles(text: &str) -> f64 {
    let ss = sentences(text);
    let ws: Vec<&str> = ss.iter().flat_map(|s| words(s)).collect();
    if ss.is_empty() || ws.is_empty() {
        return 100.0;
    }
    let syl: usize = ws.iter().map(|w| syllables(w)).sum();
    207.0 - 1.015 * (ws.len() as f64 / ss.len() as f64) - 73.6 * (syl as f64 / ws.len() as f64)
}

fn has_date_in_figures(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    for i in 0..b.len() {
        // 12/03/2026, 12/03, 2026-03-12
        if digit(i) && (b.get(i + 1) == Some(&b'/') || (digit(i + 1) && b.get(i + 2) == Some(&b'/'))) {
            let j = if b.get(i + 1) == Some(&b'/') { i + 2 } else { i + 3 };
            if digit(j) {
                return true;
            }
        }
        if digit(i)
            && digit(i + 1)
            && digit(i + 2)
            && digit(i + 3)
            && b.get(i + 4) == Some(&b'-')
            && digit(i + 5)
        {
            return true;
        }
    }
    false
}

/// Checks a French text meant for parents.
pub fn check(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    for (word, better) in JARGON {
        if lower.contains(word) {
            out.push(Finding {
                severity: Severity::Error,
                rule: "jargon",
                excerpt: (*word).to_string(),
                message: format!("mot administratif « {word} » : écrire plutôt « {better} »"),
            });
        }
    }
    for s in sentences(text) {
        let ws = words(&s);
        if ws.len() > MAX_WORDS {
            out.push(Finding {
                severity: Severity::Error,
                rule: "longueur",
                excerpt: s.clone(),
                message: format!(
                    "phrase de {} mots : {MAX_WORDS} au plus, une idée par phrase",
                    ws.len()
                ),
            });
        } else if ws.len() > WARN_WORDS {
            out.push(Finding {
                severity: Severity::Warning,
                rule: "longueur",
                excerpt: s.clone(),
                message: format!("phrase de {} mots : viser {WARN_WORDS} au plus", ws.len()),
            });
        }
        for ch in FORBIDDEN {
            if s.contains(*ch) {
                out.push(Finding {
                    severity: Severity::Error,
                    rule: "ponctuation",
                    excerpt: s.clone(),
                    message: format!("signe « {ch} » à éviter : faire deux phrases ou l'écrire en mots"),
                });
            }
        }
        for w in s.split_whitespace() {
            let bare = w
                .trim_matches(|c: char| matches!(c, ',' | ':' | '!' | '?' | '«' | '»' | '"'))
                .to_lowercase();
            if ABBREVIATIONS
                .iter()
                .any(|a| bare == *a || bare.trim_end_matches('.') == a.trim_end_matches('.'))
            {
                out.push(Finding {
                    severity: Severity::Error,
                    rule: "abréviation",
                    excerpt: s.clone(),
                    message: format!("abréviation « {w} » : l'écrire en entier"),
                });
            }
        }
        for w in words(&s) {
            let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
            if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
                out.push(Finding {
                    severity: Severity::Error,
                    rule: "sigle",
                    excerpt: s.clone(),
                    message: format!("sigle « {w} » : le remplacer par des mots simples"),
                });
            }
        }
        if has_date_in_figures(&s) {
            out.push(Finding {
                severity: Severity::Error,
                rule: "date",
                excerpt: s.clone(),
                message: "date en chiffres : l'écrire en mots, par exemple mardi 15 décembre 2026".into(),
            });
        }
    }
    let score = kandel_moles(text);
    if score < MIN_SCORE {
        out.push(Finding {
            severity: Severity::Error,
            rule: "lisibilité",
            excerpt: String::new(),
            message: format!("score de lisibilité Kandel-Moles {score:.0} : viser {MIN_SCORE:.0} ou plus (mots et phrases plus courts)"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        check(text)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn a_plain_text_passes() {
        let text = "Le collège vous invite à un rendez-vous. Nous allons parler de votre enfant. \
                    Le rendez-vous a lieu mardi 15 décembre 2026 à 14 h 30. \
                    Vous pouvez venir avec une personne de votre choix.";
        assert!(rules(text).is_empty(), "{:?}", check(text));
        assert!(kandel_moles(text) >= 60.0);
    }

    #[test]
    fn each_rule_catches_its_fault() {
        assert_eq!(
            rules("Suite à la saisine du collège, vous êtes convoqués."),
            vec!["jargon"]
        );
        assert!(rules("Le DASEN vous reçoit.").contains(&"sigle"));
        assert!(rules("Apportez vos papiers, livret, etc.").contains(&"abréviation"));
        assert!(rules("Venez avec vos papiers (carte, livret).").contains(&"ponctuation"));
        assert!(rules("Le rendez-vous est le 15/12/2026.").contains(&"date"));
        assert!(rules("Le rendez-vous est le 2026-12-15.").contains(&"date"));
        let long = "Nous vous demandons de bien vouloir venir au collège avec votre enfant et une personne de votre choix pour parler ensemble de la suite de sa scolarité cette année.";
        assert!(rules(long).contains(&"longueur"));
    }

    #[test]
    fn syllables_of_french_words() {
        assert_eq!(syllables("collège"), 2);
        assert_eq!(syllables("rendez"), 2);
        assert_eq!(syllables("enfant"), 2);
        assert_eq!(syllables("le"), 1);
        assert_eq!(syllables("personne"), 2);
    }
}

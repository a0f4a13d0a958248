//! Guardians' contacts, validated when entered: an email address (lettre's
//! RFC 5321 parser) and a phone number (libphonenumber's metadata, French
//! numbers written nationally, others with their +country code). Errors
//! name the field and never repeat what was typed.

/// A checked email address, trimmed.
pub fn email(raw: &str, field: &str) -> Result<String, String> {
    let s = raw.trim();
    match s.parse::<lettre::Address>() {
        Ok(_) if s.len() <= 254 => Ok(s.to_string()),
        _ => Err(format!(
            "{field} : adresse électronique invalide (attendu par exemple prenom.nom@exemple.fr)."
        )),
    }
}

/// A checked phone number, as written (trimmed): French numbers such as
/// 06 12 34 56 78, or international ones such as +44 20 7946 0958.
pub fn phone(raw: &str, field: &str) -> Result<String, String> {
    let s = raw.trim();
    let valid = s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '+' | '(' | ')'))
        && phonenumber::parse(Some(phonenumber::country::Id::FR), s).is_ok_and(|n| n.is_valid());
    if valid {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{field} : numéro de téléphone invalide (attendu par exemple 06 12 34 56 78, ou +44 20 7946 0958 pour l'étranger)."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_without_echo() {
        assert_eq!(
            email(" parent@example.org ", "courriel").as_deref(),
            Ok("parent@example.org")
        );
        for bad in ["pas une adresse", "a@", "@b.fr", "Dupont <a@b.fr>", "a b@c.fr"] {
            let e = email(bad, "courriel du responsable 2").expect_err(bad);
            assert!(e.starts_with("courriel du responsable 2 :"), "{e}");
            assert!(!e.contains(bad), "{e}");
        }
    }

    #[test]
    fn phones_french_and_international() {
        for ok in [
            "06 12 34 56 78",
            "0241000049",
            "02.41.00.00.49",
            "+33 6 12 34 56 78",
            "+44 20 7946 0958",
            "+212 6 61 23 45 67",
        ] {
            assert!(phone(ok, "téléphone").is_ok(), "{ok}");
        }
        for bad in [
            "9999",
            "06 99 88",
            "abc",
            "06 12 34 56 78 90 12",
            "+999 123",
            "Dupont 0612345678",
        ] {
            let e = phone(bad, "téléphone du responsable 1").expect_err(bad);
            assert!(
                e.starts_with("téléphone du responsable 1 :") && !e.contains(bad),
                "{e}"
            );
        }
    }
}

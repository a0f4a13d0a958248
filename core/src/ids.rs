//! Identifiers with a checked form: UAI (school identifier) and opaque case
//! references such as `PAR-2026-0014`.

use std::fmt;
use std::str::FromStr;

/// The 8-character identifier of a school: 7 digits and a check letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uai(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaiError {
    #[error(
        "UAI « {0} » invalide : 7 chiffres suivis d'une lettre de contrôle attendus (par exemple 0490001K)"
    )]
    Format(String),
    #[error("UAI « {input} » invalide : la lettre de contrôle devrait être {expected}")]
    CheckLetter { input: String, expected: char },
}

/// Check letters skip I, O and Q (the remainder of the number by 23).
const CHECK_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

impl Uai {
    pub fn check_letter(digits: u32) -> char {
        CHECK_LETTERS[(digits % 23) as usize] as char
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The département part of the UAI (first three characters, e.g. `049`).
    pub fn departement(&self) -> &str {
        &self.0[..3]
    }
}

impl FromStr for Uai {
    type Err = UaiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_uppercase();
        let short: String = s.chars().take(20).collect();
        let bytes = s.as_bytes();
        if bytes.len() != 8 || !bytes[..7].iter().all(u8::is_ascii_digit) || !bytes[7].is_ascii_uppercase() {
            return Err(UaiError::Format(short));
        }
        let digits: u32 = s[..7].parse().map_err(|_| UaiError::Format(short.clone()))?;
        let expected = Self::check_letter(digits);
        if bytes[7] as char != expected {
            return Err(UaiError::CheckLetter {
                input: short,
                expected,
            });
        }
        Ok(Uai(s))
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An opaque case reference: `PREFIX-YEAR-NNNN`. It names no one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseRef(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("référence de dossier « {0} » invalide : attendu par exemple PAR-2026-0014")]
pub struct CaseRefError(pub String);

impl CaseRef {
    pub fn new(prefix: &str, year: i32, number: u32) -> Self {
        CaseRef(format!("{prefix}-{year}-{number:04}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CaseRef {
    type Err = CaseRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        let err = || CaseRefError(s.chars().take(30).collect());
        let mut parts = up.split('-');
        let (Some(prefix), Some(year), Some(num), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        let prefix_ok = (2..=8).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase());
        let year_ok = year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit());
        let num_ok = (1..=6).contains(&num.len()) && num.bytes().all(|b| b.is_ascii_digit());
        if !(prefix_ok && year_ok && num_ok) {
            return Err(err());
        }
        Ok(CaseRef(up))
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letter() {
        // 0490001 % 23 = 9 → K (letters skip I).
        assert_eq!(Uai::check_letter(490_001), 'K');
        assert!("0490001K".parse::<Uai>().is_ok());
        assert!("0490001k".parse::<Uai>().is_ok());
        assert!(matches!(
            "0490001A".parse::<Uai>(),
            Err(UaiError::CheckLetter { expected: 'K', .. })
        ));
        assert!(matches!("049001K".parse::<Uai>(), Err(UaiError::Format(_))));
        assert!(matches!("04900é1K".parse::<Uai>(), Err(UaiError::Format(_))));
        assert_eq!(
            "0490001K".parse::<Uai>().map(|u| u.departement().to_string()),
            Ok("049".into())
        );
    }

    #[test]
    fn case_refs() {
        assert_eq!(CaseRef::new("PAR", 2026, 14).as_str(), "PAR-2026-0014");
        assert_eq!(
            "par-2026-0014".parse::<CaseRef>().map(|r| r.to_string()),
            Ok("PAR-2026-0014".into())
        );
        for bad in [
            "PAR",
            "PAR-26-1",
            "P4R-2026-0001",
            "PAR-2026-0001-2",
            "",
            "PAR-2026-",
        ] {
            assert!(bad.parse::<CaseRef>().is_err(), "{bad}");
        }
    }
}

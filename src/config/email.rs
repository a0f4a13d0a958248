//! `[email]` (`.eml` files or SMTP, the sender's address) and
//! `[avis_parents]` (whether a family reached by phone also gets the email).

use std::path::{Path, PathBuf};

use super::{Check, EmailMode, OralMode, RawEmail, RawNotices, SmtpSecurity, SmtpSettings, secret, span_of};

pub(super) fn mode(raw: &RawEmail, data_dir: &Path, check: &mut Check<'_>) -> EmailMode {
    if let Some(p) = &raw.mot_de_passe {
        check.warn(
            p.span(),
            "mot de passe écrit dans le fichier de configuration : il est ignoré ; utilisez mot_de_passe_env ou mot_de_passe_fichier",
        );
    }
    match raw.mode.as_ref().map(|m| m.get_ref().as_str()) {
        None | Some("fichiers") | Some("files") => EmailMode::Files(
            raw.dir
                .clone()
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("courriels")),
        ),
        Some("smtp") => EmailMode::Smtp(smtp(raw, check)),
        Some(other) => {
            check.err(
                span_of(raw.mode.as_ref()),
                format!("mode de courriel « {other} » inconnu : attendu fichiers ou smtp"),
            );
            EmailMode::Files(data_dir.join("courriels"))
        }
    }
}

fn smtp(raw: &RawEmail, check: &mut Check<'_>) -> SmtpSettings {
    let security = match raw.securite.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("aucune") => SmtpSecurity::None,
        Some(other) => {
            check.err(
                span_of(raw.securite.as_ref()),
                format!("sécurité « {other} » inconnue : attendu starttls, tls ou aucune"),
            );
            SmtpSecurity::StartTls
        }
    };
    let host = raw.hote.clone().unwrap_or_else(|| "127.0.0.1".into());
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if security == SmtpSecurity::None && !loopback {
        check.err(
            span_of(raw.securite.as_ref()),
            "securite = \"aucune\" n'est permis que vers une adresse locale (127.0.0.1)",
        );
    }
    let password = check.or_record(
        span_of(raw.mode.as_ref()),
        secret(
            raw.mot_de_passe_env.as_deref(),
            raw.mot_de_passe_fichier.as_deref(),
            "mot de passe SMTP",
        ),
    );
    // Read now: a file that cannot be read is a configuration error, not a
    // failure at the first email.
    let ca = raw
        .certificat_ac
        .as_ref()
        .and_then(|path| match std::fs::read(path.get_ref()) {
            Ok(pem) if pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") => Some(pem),
            Ok(_) => {
                check.err(
                    path.span(),
                    format!(
                        "certificat_ac : {} ne contient pas de certificat PEM",
                        path.get_ref()
                    ),
                );
                None
            }
            Err(e) => {
                check.err(
                    path.span(),
                    format!("certificat_ac : {} illisible ({e})", path.get_ref()),
                );
                None
            }
        });
    if ca.is_some() && security == SmtpSecurity::None {
        check.err(
            span_of(raw.certificat_ac.as_ref()),
            "certificat_ac ne sert qu'avec securite = \"starttls\" ou \"tls\"",
        );
    }
    SmtpSettings {
        ca,
        port: raw.port.unwrap_or(match security {
            SmtpSecurity::Tls => 465,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::None => 25,
        }),
        host,
        security,
        user: raw.utilisateur.clone(),
        password,
    }
}

/// The sender's address of every email.
pub(super) fn sender(raw: &RawEmail, check: &mut Check<'_>) -> String {
    match &raw.expediteur {
        Some(f) if f.get_ref().parse::<lettre::Address>().is_ok() => f.get_ref().clone(),
        Some(f) => {
            check.err(
                f.span(),
                format!("adresse d'expéditeur « {} » invalide", f.get_ref()),
            );
            String::new()
        }
        None => "echeancier@localhost".into(),
    }
}

/// The hours appointments with families keep to.
pub(super) fn family_hours(
    raw: &RawNotices,
    check: &mut Check<'_>,
) -> (chrono::NaiveTime, chrono::NaiveTime) {
    let start = super::schedule::time(raw.rendez_vous_debut.as_ref(), "08:00", check);
    let end = super::schedule::time(raw.rendez_vous_fin.as_ref(), "19:00", check);
    if start >= end {
        check.err(
            span_of(raw.rendez_vous_debut.as_ref()),
            "avis_parents : rendez_vous_debut doit précéder rendez_vous_fin",
        );
    }
    (start, end)
}

pub(super) fn oral(raw: &RawNotices, check: &mut Check<'_>) -> OralMode {
    match raw.canal_oral.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("en_plus") => OralMode::AlsoEmail,
        Some("a_la_place") => OralMode::InsteadOfEmail,
        Some(other) => {
            check.err(
                span_of(raw.canal_oral.as_ref()),
                format!("canal_oral « {other} » inconnu : attendu en_plus ou a_la_place"),
            );
            OralMode::AlsoEmail
        }
    }
}

//! `[http]`: the address of `/healthz` and `/metrics` and their bearer
//! token; `[web]`: the staff web office's address and public URL.

use std::net::SocketAddr;

use super::{Check, RawHttp, RawWeb, WebSettings, secret, span_of};

/// `[web]`: `None` (with an error recorded) when the address is missing or
/// invalid.
pub(super) fn web(raw: &RawWeb, check: &mut Check<'_>) -> Option<WebSettings> {
    let Some(a) = raw.adresse.as_ref() else {
        check.err(
            0..0,
            "[web] sans adresse : ajoutez par exemple adresse = \"127.0.0.1:8080\".".to_string(),
        );
        return None;
    };
    let Ok(address) = a.get_ref().parse::<SocketAddr>() else {
        check.err(
            a.span(),
            format!(
                "adresse « {} » invalide : attendu par exemple 127.0.0.1:8080",
                a.get_ref()
            ),
        );
        return None;
    };
    let public_url = match raw.url_publique.as_ref() {
        None => format!("http://{address}"),
        Some(u) => {
            let text = u.get_ref().trim().trim_end_matches('/').to_string();
            match url::Url::parse(&text) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
                    if parsed.scheme() == "http" && !address.ip().is_loopback() {
                        check.warn(
                            u.span(),
                            "[web] url_publique en http:// : les liens de connexion et le cookie de session circuleront en clair ; servez le bureau en https:// derrière un mandataire.".to_string(),
                        );
                    }
                    text
                }
                _ => {
                    check.err(
                        u.span(),
                        "url_publique invalide : attendu une adresse https://… (ou http:// en local)."
                            .to_string(),
                    );
                    return None;
                }
            }
        }
    };
    let session_hours = match raw.duree_session_heures.as_ref() {
        None => 8,
        Some(h) if (1..=24).contains(h.get_ref()) => *h.get_ref(),
        Some(h) => {
            check.err(
                h.span(),
                "duree_session_heures : entre 1 et 24 heures.".to_string(),
            );
            return None;
        }
    };
    Some(WebSettings {
        address,
        public_url,
        session_hours,
    })
}

/// The address (off when absent) and the token (open when absent).
pub(super) fn endpoint(raw: &RawHttp, check: &mut Check<'_>) -> (Option<SocketAddr>, Option<String>) {
    let address = raw.adresse.as_ref().and_then(|a| match a.get_ref().parse::<SocketAddr>() {
        Ok(addr) => {
            // /healthz names the channels' last errors and /metrics counts
            // cases: for operators, not for the network.
            if !addr.ip().is_loopback() {
                check.warn(
                    a.span(),
                    format!(
                        "[http] adresse {addr} n'est pas une adresse locale : /healthz et /metrics seront joignables depuis le réseau ; préférez 127.0.0.1 derrière un mandataire, ou au moins un jeton (jeton_env ou jeton_fichier)."
                    ),
                );
            }
            Some(addr)
        }
        Err(_) => {
            check.err(
                a.span(),
                format!(
                    "adresse « {} » invalide : attendu par exemple 127.0.0.1:9187",
                    a.get_ref()
                ),
            );
            None
        }
    });
    let token = check.or_record(
        span_of(raw.adresse.as_ref()),
        secret(
            raw.jeton_env.as_deref(),
            raw.jeton_fichier.as_deref(),
            "jeton HTTP",
        ),
    );
    (address, token)
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn web_needs_a_valid_address_and_url() {
        let s = Settings::parse("c.toml", "[web]\nadresse = \"127.0.0.1:8080\"\n", None).expect("valid");
        let web = s.web.expect("web on");
        assert_eq!(web.public_url, "http://127.0.0.1:8080");
        assert!(!web.secure());
        let s = Settings::parse(
            "c.toml",
            "[web]\nadresse = \"127.0.0.1:8080\"\nurl_publique = \"https://echeancier.example.fr/\"\n",
            None,
        )
        .expect("valid");
        let web = s.web.expect("web on");
        assert_eq!(web.public_url, "https://echeancier.example.fr");
        assert!(web.secure());
        let errors = Settings::parse("c.toml", "[web]\nadresse = \"ici\"\n", None).expect_err("invalid");
        assert!(
            errors[0].line == 2 && errors[0].message.contains("invalide"),
            "{errors:?}"
        );
        let errors = Settings::parse(
            "c.toml",
            "[web]\nadresse = \"127.0.0.1:8080\"\nurl_publique = \"ftp://x\"\n",
            None,
        )
        .expect_err("invalid");
        assert!(errors[0].line == 3, "{errors:?}");
    }

    #[test]
    fn http_outside_loopback_is_warned() {
        let s = Settings::parse("c.toml", "[http]\nadresse = \"127.0.0.1:9187\"\n", None).expect("valid");
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let s = Settings::parse("c.toml", "[http]\nadresse = \"0.0.0.0:9187\"\n", None).expect("valid");
        assert!(
            s.warnings.len() == 1
                && s.warnings[0].line == 2
                && s.warnings[0].message.contains("pas une adresse locale"),
            "{:?}",
            s.warnings
        );
    }
}

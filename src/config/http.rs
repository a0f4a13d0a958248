//! `[http]`: the address of `/healthz` and `/metrics` and their bearer token.

use std::net::SocketAddr;

use super::{Check, RawHttp, secret, span_of};

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

//! The chat front-ends: `[telegram]` (token, API address, groups and their
//! audience), `[matrix]` (account, store passphrase, rooms and their
//! audience) and `[console]`.

use echeancier_core::authz::Place;

use super::{
    Check, MatrixLogin, MatrixRoom, MatrixSettings, RawConsole, RawMatrix, RawTelegram, RawTelegramGroup,
    TelegramGroup, TelegramSettings, normalize_departement, secret,
};

pub(super) fn telegram(raw: Option<&RawTelegram>, check: &mut Check<'_>) -> Option<TelegramSettings> {
    let t = raw?;
    if let Some(j) = &t.jeton {
        check.warn(
            j.span(),
            "jeton Telegram écrit dans le fichier de configuration : il est ignoré ; utilisez jeton_env ou jeton_fichier",
        );
    }
    let token = check.or_record(
        0..0,
        secret(
            t.jeton_env.as_deref(),
            t.jeton_fichier.as_deref(),
            "jeton Telegram",
        ),
    );
    if let Some(api) = &t.api
        && !(api.get_ref().starts_with("http://") || api.get_ref().starts_with("https://"))
    {
        check.err(
            api.span(),
            format!("adresse d'API « {} » invalide", api.get_ref()),
        );
    }
    match token {
        Some(token) => Some(TelegramSettings {
            token,
            api: t.api.as_ref().map(|a| a.get_ref().clone()),
            groups: telegram_groups(&t.groupes),
        }),
        // No source given (one that failed has its own error).
        None if t.jeton_env.is_none() && t.jeton_fichier.is_none() => {
            check.err(
                0..0,
                "[telegram] : jeton introuvable (jeton_env ou jeton_fichier)",
            );
            None
        }
        None => None,
    }
}

fn telegram_groups(raw: &[RawTelegramGroup]) -> Vec<TelegramGroup> {
    raw.iter()
        .map(|g| match g {
            RawTelegramGroup::Id(id) => TelegramGroup {
                id: *id,
                place: Place::Undeclared,
            },
            RawTelegramGroup::Audience(a) => TelegramGroup {
                id: a.id,
                place: match (a.partenaires, &a.etablissement, &a.departement) {
                    (true, _, d) => Place::Partners {
                        departement: d.as_deref().map(normalize_departement),
                    },
                    (false, None, None) => Place::Undeclared,
                    (false, e, d) => Place::Staff {
                        establishment: e.clone(),
                        departement: d.as_deref().map(normalize_departement),
                    },
                },
            },
        })
        .collect()
}

pub(super) fn matrix(raw: Option<&RawMatrix>, check: &mut Check<'_>) -> Option<MatrixSettings> {
    let m = raw?;
    let mut required = |env: &Option<String>, file: &Option<String>, what: &str, keys: &str| match secret(
        env.as_deref(),
        file.as_deref(),
        what,
    ) {
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            check.err(
                m.serveur.span(),
                format!("[matrix] : {what} introuvable : {keys}."),
            );
            None
        }
        Err(e) => {
            check.err(m.serveur.span(), e);
            None
        }
    };
    // An access token (a device made for the bot) or a password.
    let login = if m.jeton_env.is_some() || m.jeton_fichier.is_some() {
        required(
            &m.jeton_env,
            &m.jeton_fichier,
            "jeton d'accès Matrix",
            "donnez jeton_env ou jeton_fichier",
        )
        .map(MatrixLogin::AccessToken)
    } else {
        required(
            &m.mot_de_passe_env,
            &m.mot_de_passe_fichier,
            "mot de passe Matrix",
            "donnez mot_de_passe_env ou mot_de_passe_fichier (ou jeton_env, jeton_fichier)",
        )
        .map(MatrixLogin::Password)
    };
    // The crypto store holds the device's keys: never unencrypted.
    let passphrase = required(
        &m.phrase_secrete_env,
        &m.phrase_secrete_fichier,
        "phrase secrète du magasin Matrix",
        "donnez phrase_secrete_env ou phrase_secrete_fichier (elle chiffre les clés du robot sur le disque)",
    );
    let rooms = matrix_rooms(m, check);
    let pace = pace(m, check);
    let recovery = match secret(
        m.cle_recuperation_env.as_deref(),
        m.cle_recuperation_fichier.as_deref(),
        "clé de récupération Matrix",
    ) {
        Ok(v) => v,
        Err(e) => {
            check.err(m.serveur.span(), e);
            None
        }
    };
    let expires_on =
        m.compte_expire_le
            .as_ref()
            .and_then(|d| match echeancier_core::french::parse_date(d.get_ref()) {
                Ok(day) => Some(day),
                Err(e) => {
                    check.err(d.span(), format!("[matrix] compte_expire_le : {e}"));
                    None
                }
            });
    match (login, passphrase) {
        (Some(login), Some(passphrase)) => Some(MatrixSettings {
            homeserver: m.serveur.get_ref().clone(),
            user: m.compte.clone(),
            login,
            passphrase,
            rooms,
            pace,
            recovery,
            expires_on,
        }),
        _ => None,
    }
}

/// How many messages per second the bot may send. Tchap's homeservers
/// answer 429 beyond about one a second, so that is their default; other
/// homeservers get no limit unless one is given.
fn pace(m: &RawMatrix, check: &mut Check<'_>) -> Option<f64> {
    match &m.messages_par_seconde {
        Some(v) if *v.get_ref() == 0.0 => None,
        Some(v) if v.get_ref().is_finite() && *v.get_ref() >= 0.01 && *v.get_ref() <= 1000.0 => {
            Some(*v.get_ref())
        }
        Some(v) => {
            check.err(
                v.span(),
                "messages_par_seconde : attendu un nombre entre 0,01 et 1000 (0 : sans limite)",
            );
            None
        }
        None => is_tchap(m.serveur.get_ref()).then_some(1.0),
    }
}

/// Whether a homeserver URL is one of Tchap's (`*.tchap.gouv.fr`).
fn is_tchap(homeserver: &str) -> bool {
    url::Url::parse(homeserver)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| h == "tchap.gouv.fr" || h.ends_with(".tchap.gouv.fr"))
}

/// The declared rooms, each tied to a school or a département office.
fn matrix_rooms(m: &RawMatrix, check: &mut Check<'_>) -> Vec<MatrixRoom> {
    let mut rooms = Vec::new();
    for r in &m.salons {
        // Room versions 12 and later drop the ":server" part.
        if matrix_sdk::ruma::RoomId::parse(r.id.get_ref()).is_err() {
            check.err(
                r.id.span(),
                format!(
                    "salon « {} » invalide : attendu !identifiant:serveur (ou !identifiant)",
                    r.id.get_ref()
                ),
            );
            continue;
        }
        if r.etablissement.is_none() && r.departement.is_none() {
            check.err(
                r.id.span(),
                "un salon est rattaché à un etablissement ou à un departement",
            );
            continue;
        }
        rooms.push(MatrixRoom {
            room_id: r.id.get_ref().clone(),
            establishment: r.etablissement.clone(),
            departement: r.departement.as_deref().map(normalize_departement),
            roles: r.roles.clone(),
            partners: r.partenaires,
        });
    }
    rooms
}

/// Whether the console is on (`None`: automatic) and who it acts as.
pub(super) fn console(raw: RawConsole) -> (Option<bool>, String) {
    (raw.actif, raw.identite.unwrap_or_else(|| "console".into()))
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn tchap_homeservers_are_paced_by_default() {
        assert!(super::is_tchap("https://matrix.agent.education.tchap.gouv.fr"));
        assert!(!super::is_tchap("https://tchap.gouv.fr.example.org"));
        assert!(!super::is_tchap("http://127.0.0.1:8008"));
        let dir = tempfile::tempdir().expect("dir");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "x").expect("secret");
        let conf = |extra: &str, server: &str| {
            format!(
                "[matrix]\nserveur = \"{server}\"\ncompte = \"bot\"\nmot_de_passe_fichier = \"{0}\"\nphrase_secrete_fichier = \"{0}\"\n{extra}",
                secret.display()
            )
        };
        let pace = |extra: &str, server: &str| {
            Settings::parse("c.toml", &conf(extra, server), None).map(|s| s.matrix.expect("matrix").pace)
        };
        assert_eq!(
            pace("", "https://matrix.agent.education.tchap.gouv.fr").expect("valid"),
            Some(1.0)
        );
        assert_eq!(pace("", "http://127.0.0.1:8008").expect("valid"), None);
        assert_eq!(
            pace("messages_par_seconde = 5\n", "http://127.0.0.1:8008").expect("valid"),
            Some(5.0)
        );
        assert_eq!(
            pace("messages_par_seconde = 0\n", "https://tchap.gouv.fr").expect("valid"),
            None
        );
        let e = pace("messages_par_seconde = -1\n", "https://tchap.gouv.fr").expect_err("negative");
        assert_eq!(e[0].line, 6);
        assert!(e[0].message.contains("messages_par_seconde"), "{e:?}");
    }

    #[test]
    fn the_bot_logs_in_by_password_or_by_access_token() {
        let dir = tempfile::tempdir().expect("dir");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "syt_jeton\n").expect("secret");
        let conf = |login: &str| {
            format!(
                "[matrix]\nserveur = \"http://127.0.0.1:8008\"\ncompte = \"bot\"\n{login} = \"{0}\"\nphrase_secrete_fichier = \"{0}\"\n",
                secret.display()
            )
        };
        let login =
            |key: &str| Settings::parse("c.toml", &conf(key), None).map(|s| s.matrix.expect("matrix").login);
        assert_eq!(
            login("jeton_fichier").expect("valid"),
            crate::config::MatrixLogin::AccessToken("syt_jeton".into())
        );
        assert_eq!(
            login("mot_de_passe_fichier").expect("valid"),
            crate::config::MatrixLogin::Password("syt_jeton".into())
        );
        let missing = Settings::parse(
            "c.toml",
            "[matrix]\nserveur = \"http://127.0.0.1:8008\"\ncompte = \"bot\"\nphrase_secrete_env = \"X\"\n",
            None,
        )
        .expect_err("no login");
        assert!(
            missing.iter().any(|e| e.message.contains("jeton_env")),
            "{missing:?}"
        );
    }

    #[test]
    fn matrix_needs_a_store_passphrase() {
        let dir = tempfile::tempdir().expect("dir");
        let password = dir.path().join("p");
        std::fs::write(&password, "motdepasse\n").expect("write");
        let base = format!(
            "[matrix]\nserveur = \"http://127.0.0.1:8008\"\ncompte = \"bot\"\nmot_de_passe_fichier = \"{}\"\n",
            password.display()
        );
        let e = Settings::parse("c.toml", &base, None).expect_err("no passphrase");
        assert!(
            e.len() == 1 && e[0].line == 2 && e[0].message.contains("phrase_secrete_fichier"),
            "{e:?}"
        );
        let with = format!("{base}phrase_secrete_fichier = \"{}\"\n", password.display());
        let s = Settings::parse("c.toml", &with, None).expect("valid");
        let m = s.matrix.expect("matrix");
        assert_eq!(
            (&m.login, m.passphrase.as_str()),
            (
                &crate::config::MatrixLogin::Password("motdepasse".into()),
                "motdepasse"
            )
        );
        assert!(!format!("{m:?}").contains("motdepasse"));
    }
}

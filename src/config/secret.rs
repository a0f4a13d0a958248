//! The one reader of secrets (passwords, tokens, passphrases): the
//! configuration names where a secret is, an environment variable or a
//! file, never the secret itself.

/// A secret named by the configuration: the value of the environment
/// variable `env`, else the content of `file`, trailing whitespace (the
/// final newline of a file or a `.env` line) removed. `Ok(None)` when
/// neither is given; an error when the one given is absent or empty.
/// `what` names the secret in the French message ("mot de passe SMTP").
pub fn secret(env: Option<&str>, file: Option<&str>, what: &str) -> Result<Option<String>, String> {
    let value = match (env, file) {
        (Some(var), _) => match std::env::var(var) {
            Ok(v) => v,
            Err(_) => {
                return Err(format!("{what} : la variable d'environnement {var} est absente."));
            }
        },
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(v) => v,
            Err(e) => return Err(format!("{what} : lecture de {path} impossible ({e}).")),
        },
        (None, None) => return Ok(None),
    };
    let value = value.trim_end().to_string();
    if value.is_empty() {
        let source = match env {
            Some(var) => format!("la variable d'environnement {var}"),
            None => format!("le fichier {}", file.unwrap_or_default()),
        };
        return Err(format!("{what} : {source} est vide."));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_a_variable_or_a_file() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("s");
        std::fs::write(&file, "  tres secret \n\n").expect("write");
        let path = file.to_str().expect("utf8");
        // Trailing whitespace only: a passphrase may begin with a space.
        assert_eq!(secret(None, Some(path), "x"), Ok(Some("  tres secret".into())));
        assert_eq!(secret(None, None, "x"), Ok(None));
        let absent = secret(Some("ECHEANCIER_TEST_VARIABLE_ABSENTE"), Some(path), "jeton HTTP")
            .expect_err("the variable wins, and is absent");
        assert!(
            absent.starts_with("jeton HTTP : ") && absent.contains("ECHEANCIER_TEST_VARIABLE_ABSENTE"),
            "{absent}"
        );
        std::fs::write(&file, "\n").expect("write");
        let empty = secret(None, Some(path), "mot de passe SMTP").expect_err("empty");
        assert!(empty.contains("est vide"), "{empty}");
        let missing = dir.path().join("absent");
        let unreadable = secret(None, missing.to_str(), "mot de passe SMTP").expect_err("missing file");
        assert!(unreadable.contains("lecture de"), "{unreadable}");
    }
}

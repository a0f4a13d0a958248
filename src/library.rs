//! Loading procedure files: from a folder on disk, or the copies compiled
//! into the binary so that echeancier runs anywhere with no files around.

use std::path::Path;

use echeancier_core::procedure::{FileError, Library};

/// The procedure files shipped in `procedures/`, compiled in.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("par.toml", include_str!("../procedures/par.toml")),
    ("parcours.toml", include_str!("../procedures/parcours.toml")),
    (
        "communication.toml",
        include_str!("../procedures/communication.toml"),
    ),
    ("convention.toml", include_str!("../procedures/convention.toml")),
    (
        "accompagnement.toml",
        include_str!("../procedures/accompagnement.toml"),
    ),
];
pub const EMBEDDED_ROLES: &str = include_str!("../procedures/roles.toml");

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("lecture de {path} : {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{} dans les procédures", echeancier_core::french::count(.0.len(), "erreur", "erreurs"))]
    Invalid(Vec<FileError>),
}

pub fn embedded() -> Result<Library, LoadError> {
    Library::build(("roles.toml", EMBEDDED_ROLES), EMBEDDED.iter().copied()).map_err(LoadError::Invalid)
}

/// Loads `roles.toml` and every other `*.toml` of `dir`, in name order.
pub fn from_dir(dir: &Path) -> Result<Library, LoadError> {
    let io = |path: &Path, source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let roles_path = dir.join("roles.toml");
    let roles = std::fs::read_to_string(&roles_path).map_err(|e| io(&roles_path, e))?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        if is_toml && path.file_name().is_some_and(|n| n != "roles.toml") {
            let src = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            files.push((path.display().to_string(), src));
        }
    }
    files.sort();
    let roles_name = roles_path.display().to_string();
    Library::build(
        (roles_name.as_str(), roles.as_str()),
        files.iter().map(|(n, s)| (n.as_str(), s.as_str())),
    )
    .map_err(LoadError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_procedures_are_valid() {
        let lib = match embedded() {
            Ok(lib) => lib,
            Err(LoadError::Invalid(errors)) => {
                let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("invalid embedded procedures:\n{}", text.join("\n"));
            }
            Err(e) => panic!("{e}"),
        };
        for id in ["par", "parcours", "communication", "convention", "accompagnement"] {
            assert!(lib.get(id).is_some(), "{id}");
        }
    }

    #[test]
    fn embedded_list_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("procedures");
        let on_disk = from_dir(&dir).expect("procedures/ is valid");
        let embedded = embedded().expect("embedded is valid");
        let a: Vec<_> = on_disk.procedures.keys().collect();
        let b: Vec<_> = embedded.procedures.keys().collect();
        assert_eq!(a, b, "add every file of procedures/ to library::EMBEDDED");
    }
}

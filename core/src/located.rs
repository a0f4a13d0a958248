//! Errors located in a TOML file for a human: file, line, message and fix
//! hint. Procedure files, `roles.toml` and the daemon's configuration all
//! report through this one type, so every error reads the same way.

use std::fmt;
use std::ops::Range;

use toml::Spanned;

/// An error in a file, located for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    /// 1-based; 0 when the file could not be read at all.
    pub line: usize,
    pub message: String,
    /// How to fix it; empty when the message says enough.
    pub hint: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} : {}", self.file, self.line, self.message)?;
        if !self.hint.is_empty() {
            write!(f, " (à corriger : {})", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub fn new(file: &str, line: usize, message: impl Into<String>, hint: impl Into<String>) -> FileError {
        FileError {
            file: file.to_string(),
            line,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A file TOML could not read into its raw structs (syntax, unknown or
    /// missing key), at the line TOML points to. No hint: each kind of file
    /// adds its own.
    pub fn unreadable(file: &str, src: &str, e: &toml::de::Error) -> FileError {
        let line = e.span().map(|s| line_of(src, s.start)).unwrap_or(1);
        FileError::new(file, line, format!("fichier illisible : {}", e.message()), "")
    }
}

/// The 1-based line of a byte offset; an offset past the end counts as the
/// last line, so that a span TOML gives never panics here.
pub fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The errors found while validating one file. Validation goes on after an
/// error, so that a person fixes every mistake of a file in one pass.
pub struct Findings<'a> {
    file: &'a str,
    src: &'a str,
    errors: Vec<FileError>,
}

impl<'a> Findings<'a> {
    pub fn new(file: &'a str, src: &'a str) -> Findings<'a> {
        Findings {
            file,
            src,
            errors: Vec::new(),
        }
    }

    pub fn file(&self) -> &'a str {
        self.file
    }

    pub fn src(&self) -> &'a str {
        self.src
    }

    /// The error at a byte range of the file, not recorded.
    pub fn locate(&self, at: Range<usize>, message: impl Into<String>, hint: impl Into<String>) -> FileError {
        FileError::new(self.file, line_of(self.src, at.start), message, hint)
    }

    /// Records an error at a byte range of the file.
    pub fn at(&mut self, at: Range<usize>, message: impl Into<String>, hint: impl Into<String>) {
        let e = self.locate(at, message, hint);
        self.errors.push(e);
    }

    /// Records an error at a value read with its span.
    pub fn err<T>(&mut self, at: &Spanned<T>, message: impl Into<String>, hint: impl Into<String>) {
        self.at(at.span(), message, hint);
    }

    pub fn push(&mut self, e: FileError) {
        self.errors.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `value` if nothing was found, else every error in the order found.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FileError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one_and_never_overflow() {
        let src = "a\nb\nc";
        assert_eq!(line_of(src, 0), 1);
        assert_eq!(line_of(src, 2), 2);
        assert_eq!(line_of(src, 4), 3);
        assert_eq!(line_of(src, 1000), 3);
        assert_eq!(line_of("", 5), 1);
    }

    #[test]
    fn the_hint_is_printed_only_when_given() {
        let bare = FileError::new("c.toml", 3, "heure invalide", "");
        assert_eq!(bare.to_string(), "c.toml:3 : heure invalide");
        let hinted = FileError::new("p.toml", 2, "rôle inconnu", "utiliser un rôle de roles.toml");
        assert_eq!(
            hinted.to_string(),
            "p.toml:2 : rôle inconnu (à corriger : utiliser un rôle de roles.toml)"
        );
    }
}

//! The vendored Système de Design de l'État (`assets/dsfr/`, refreshed by
//! `scripts/vendor-dsfr`), embedded in the binary and served by it: the web
//! office then needs no CDN (pages work on a closed network, and no third
//! party learns who opens which page) and no static-file directory beside
//! the binary.
//!
//! The router mounts [`dsfr`] at `/dsfr/{version}/{*path}`: the version
//! in the URL lets browsers keep the files forever, since a new DSFR gets new
//! URLs.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

/// The vendored DSFR version, as in `assets/dsfr/README.md`; a test checks
/// it against the banner of the embedded CSS.
pub const DSFR_VERSION: &str = "1.15.3";

/// `assets/dsfr/`, read from disk in debug builds and embedded in release
/// ones (rust-embed's default).
#[derive(Embed)]
#[folder = "assets/dsfr/"]
struct Dsfr;

/// Serves one file of the vendored DSFR, for the route
/// `/dsfr/{version}/{*path}` (or `/dsfr/1.15.3/{*path}`): every capture is
/// taken, so either form works. A version other than [`DSFR_VERSION`] is
/// not found: files cached forever must never answer for another version.
pub async fn dsfr(Path(params): Path<HashMap<String, String>>) -> Response {
    if params
        .get("version")
        .is_some_and(|version| version != DSFR_VERSION)
    {
        return not_found();
    }
    match params.get("path") {
        Some(path) => serve(path),
        None => not_found(),
    }
}

/// One file of `assets/dsfr/`, `path` relative to it, with its type and
/// caching headers; 404 for anything else.
pub fn serve(path: &str) -> Response {
    // rust-embed only knows its own files, but debug builds read them from
    // disk: refuse outright anything that could climb out of the folder (no
    // vendored name contains "..", a backslash or a leading slash).
    if path.is_empty()
        || path.starts_with('/')
        || path.contains("..")
        || path.contains('\\')
        || path.contains('\0')
    {
        return not_found();
    }
    let Some(file) = Dsfr::get(path) else {
        return not_found();
    };
    (
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        // Borrowed from the binary in release builds, read from disk in debug.
        Body::from(file.data),
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        "Fichier introuvable.",
    )
        .into_response()
}

/// The media type for a vendored file, by extension: with `nosniff`, a
/// stylesheet or script served under a wrong type would be refused.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("woff2") => "font/woff2",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The captures of the route, as axum hands them to the handler.
    fn captures(pairs: &[(&str, &str)]) -> Path<HashMap<String, String>> {
        Path(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    async fn get(path: &str) -> Response {
        dsfr(captures(&[("version", DSFR_VERSION), ("path", path)])).await
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }

    #[tokio::test]
    async fn serves_the_css_with_its_type_and_caching() {
        let response = get("dsfr.min.css").await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let css = body_text(response).await;
        // The banner names the version: DSFR_VERSION must follow a re-vendoring.
        assert!(
            css.contains(&format!("DSFR v{DSFR_VERSION} ")),
            "DSFR_VERSION does not match the CSS"
        );
    }

    #[tokio::test]
    async fn serves_what_the_layout_links() {
        for (path, kind) in [
            ("utility/icons/icons.min.css", "text/css; charset=utf-8"),
            ("dsfr.module.min.js", "text/javascript; charset=utf-8"),
            ("dsfr.nomodule.min.js", "text/javascript; charset=utf-8"),
            ("fonts/Marianne-Regular.woff2", "font/woff2"),
            ("favicon/favicon.svg", "image/svg+xml"),
            ("favicon/favicon.ico", "image/x-icon"),
            ("favicon/apple-touch-icon.png", "image/png"),
            ("favicon/manifest.webmanifest", "application/manifest+json"),
            ("icons/system/close-line.svg", "image/svg+xml"),
        ] {
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], kind, "{path}");
        }
    }

    #[tokio::test]
    async fn unknown_paths_are_not_found() {
        for path in [
            "absent.css",
            "",
            "../Cargo.toml",
            "icons/../../Cargo.toml",
            "..\\Cargo.toml",
            "/etc/passwd",
        ] {
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path:?}");
            assert_eq!(body_text(response).await, "Fichier introuvable.");
        }
    }

    #[tokio::test]
    async fn other_versions_are_not_found() {
        let response = dsfr(captures(&[("version", "1.0.0"), ("path", "dsfr.min.css")])).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        // Mounted at a fixed /dsfr/1.15.3/{*path}, only the path is captured.
        let response = dsfr(captures(&[("path", "dsfr.min.css")])).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn unknown_extensions_are_octet_streams() {
        assert_eq!(content_type("LICENSE.md"), "application/octet-stream");
        assert_eq!(content_type("noextension"), "application/octet-stream");
        assert_eq!(content_type("A.CSS"), "text/css; charset=utf-8");
    }
}

//! Families' answers to an appointment notice (being written).

use axum::extract::Path;
use axum::response::Response;

pub async fn confirm(Path(_token): Path<String>) -> Response {
    super::message_page(
        axum::http::StatusCode::NOT_FOUND,
        "Lien invalide",
        "Ce lien n'est pas valable.",
    )
}

pub async fn answer(Path(_token): Path<String>) -> Response {
    super::message_page(
        axum::http::StatusCode::NOT_FOUND,
        "Lien invalide",
        "Ce lien n'est pas valable.",
    )
}

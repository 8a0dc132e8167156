//! The only resources a page loads: our stylesheet and icon, served from our own origin
//! (no fonts or images from anywhere else; the font stack is the system's).

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

/// The stylesheet.
pub const CSS: &str = include_str!("../static/amana.css");
/// The icon (static SVG, no script).
pub const ICON: &str = include_str!("../static/icon.svg");

/// `GET /static/amana.css`.
pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

/// `GET /static/icon.svg`.
pub async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml")], ICON).into_response()
}

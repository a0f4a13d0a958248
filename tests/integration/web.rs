//! The web office over HTTP (being written).

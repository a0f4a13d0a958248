//! echeancier: the adapters around the pure domain core
//! (`echeancier-core`): storage, configuration, the application service,
//! chat views, the console front-end and the command line.

pub mod app;
pub mod channel;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod contact;
pub mod daemon;
pub mod demo;
pub mod email;
pub mod files;
pub mod http;
pub mod library;
pub mod matrix;
pub mod message;
pub mod metrics;
pub mod notice;
pub mod scheduler;
pub mod store;
pub mod telegram;
pub mod view;
pub mod web;

pub use echeancier_core as core;

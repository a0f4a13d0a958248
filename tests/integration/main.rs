//! echeancier's integration tests, one binary: the command line contract,
//! the case store and application service, the console front-end.

mod app;
mod authz;
mod browser;
mod cli;
mod console;
mod crash;
mod daemons;
mod email;
mod fake_telegram;
mod families;
mod http;
mod in_process;
mod instances;
mod matrix;
mod outages;
mod privacy;
mod scheduler;
#[path = "../support/smtp.rs"]
mod smtp;
mod smtp_security;
mod telegram;
mod util;
mod web;

//! echeancier's domain core: calendars, deadline rules, procedures, case
//! state, the chat command grammar and the parent-notice templates.
//!
//! Nothing here reads the clock, the disk or the network: every function
//! takes what it needs (including `today`) as an argument, so the whole core
//! can be tested with plain values. The adapters in the `echeancier` crate
//! do the I/O around it.

pub mod academie;
pub mod authz;
pub mod calendar;
pub mod case;
pub mod command;
pub mod condition;
pub mod deadline;
pub mod eligibility;
pub mod french;
pub mod ids;
pub mod indicators;
pub mod located;
pub mod plain;
pub mod procedure;
pub mod reminder;
pub mod retention;
pub mod school;
pub mod template;
pub mod termination;

#[cfg(test)]
mod testing;

pub use calendar::{Calendar, CalendarId};
pub use deadline::{Deadline, Period, Roll, Rule};
pub use school::SchoolCalendar;

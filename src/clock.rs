//! Time as an injectable dependency: the daemon reads the system clock, the
//! tests set and move a fixed one. Nothing else in echeancier reads the time.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use echeancier_core::CalendarId;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today in the territory of `calendar` (a deadline's day is local).
    fn today(&self, calendar: CalendarId) -> NaiveDate {
        self.now().with_timezone(&calendar.time_zone()).date_naive()
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

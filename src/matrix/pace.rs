//! The bot's pace: at most so many messages a second towards the
//! homeserver (Tchap answers 429 beyond about one a second), replies to
//! commands before bulk reminders. A reply waits behind at most the one
//! reminder already let through; reminders wait while any reply does.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{Mutex, Notify};

pub struct Pace {
    /// `None`: no limit.
    limiter: Option<DefaultDirectRateLimiter>,
    /// Replies waiting for their turn.
    replies: AtomicUsize,
    reply_left: Notify,
    /// One message goes through the gate at a time (FIFO).
    gate: Mutex<()>,
}

impl Pace {
    /// `per_second`: messages a second at most (`None`: no limit); up to
    /// that many may leave at once after a quiet second.
    pub fn new(per_second: Option<f64>) -> Pace {
        let limiter = per_second.filter(|r| r.is_finite() && *r > 0.0).map(|rate| {
            let period = Duration::from_secs_f64(1.0 / rate);
            let burst = NonZeroU32::new(rate.floor().clamp(1.0, 1000.0) as u32).unwrap_or(NonZeroU32::MIN);
            let quota = Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(burst);
            RateLimiter::direct(quota)
        });
        Pace {
            limiter,
            replies: AtomicUsize::new(0),
            reply_left: Notify::new(),
            gate: Mutex::new(()),
        }
    }

    /// Waits for a reply's turn.
    pub async fn reply(&self) {
        if self.limiter.is_none() {
            return;
        }
        self.replies.fetch_add(1, Ordering::SeqCst);
        self.pass().await;
        self.replies.fetch_sub(1, Ordering::SeqCst);
        self.reply_left.notify_waiters();
    }

    /// Waits for a bulk message's turn: after every waiting reply.
    pub async fn bulk(&self) {
        if self.limiter.is_none() {
            return;
        }
        loop {
            // Registered before the check, so a wake-up is never missed.
            let left = self.reply_left.notified();
            if self.replies.load(Ordering::SeqCst) > 0 {
                left.await;
                continue;
            }
            let gate = self.gate.lock().await;
            // A reply may have come while this one waited at the gate.
            if self.replies.load(Ordering::SeqCst) > 0 {
                drop(gate);
                continue;
            }
            if let Some(l) = &self.limiter {
                l.until_ready().await;
            }
            return;
        }
    }

    async fn pass(&self) {
        let _gate = self.gate.lock().await;
        if let Some(l) = &self.limiter {
            l.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_limit_nothing_waits() {
        let pace = Pace::new(None);
        for _ in 0..1000 {
            pace.bulk().await;
            pace.reply().await;
        }
    }

    #[tokio::test]
    async fn replies_pass_before_waiting_bulk_messages() {
        // One a second: the first passes at once, the others queue.
        let pace = std::sync::Arc::new(Pace::new(Some(1.0)));
        pace.bulk().await;
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..2 {
            let (pace, order) = (pace.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                pace.bulk().await;
                order
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("rappel {i}"));
            }));
        }
        tokio::task::yield_now().await;
        let (p, o) = (pace.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            p.reply().await;
            o.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push("réponse".to_string());
        }));
        for t in tasks {
            t.await.expect("task");
        }
        let order = order.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // At most the one reminder already at the gate goes before the reply.
        let at = order.iter().position(|m| m == "réponse").expect("reply");
        assert!(at <= 1, "{order:?}");
    }
}

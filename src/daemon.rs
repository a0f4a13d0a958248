//! Running work under a leadership: a chat account's sync loop runs in the
//! one instance that holds its lock, and moves to another instance when
//! that one stops or loses its database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::leader::Leader;

/// Runs `work` whenever this instance holds `leader`, checking the lock
/// every `every`. `work` gets a stop signal, raised at shutdown or when the
/// lock is lost, and must return soon after it.
pub async fn while_leading<F, Fut>(
    leader: Arc<Leader>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut work: F,
) where
    F: FnMut(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        if *shutdown.borrow() {
            break;
        }
        match leader.held().await {
            Ok(true) => {
                let (stop_tx, stop_rx) = watch::channel(false);
                let fut = work(stop_rx);
                tokio::pin!(fut);
                let mut check = tokio::time::interval(every);
                check.tick().await;
                loop {
                    tokio::select! {
                        () = &mut fut => break,
                        _ = shutdown.changed() => {
                            let _ = stop_tx.send(true);
                            (&mut fut).await;
                            leader.release().await;
                            return;
                        }
                        _ = check.tick() => {
                            if !leader.held().await.unwrap_or(false) {
                                tracing::warn!(leadership = leader.name(), "leadership lost: stopping its work");
                                let _ = stop_tx.send(true);
                                (&mut fut).await;
                                break;
                            }
                        }
                    }
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(leadership = leader.name(), error = %e, "leadership check failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
    }
    leader.release().await;
}

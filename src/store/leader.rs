//! Leadership between instances sharing one database: the scheduler's tick
//! and each chat account's sync loop must run in one instance at a time.
//!
//! On PostgreSQL a leader holds a session advisory lock on a connection of
//! its own (outside the pool, so the lock never travels with a pooled
//! connection). The lock lives exactly as long as that connection: an
//! instance that dies, or loses its database, loses it, and another one
//! takes over at its next try. On SQLite one instance owns the file, so it
//! always leads.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection};
use tokio::sync::Mutex;

use super::{Backend, Result, Store};

/// One named leadership, tried again at each call of [`Leader::held`].
pub struct Leader {
    store: Store,
    name: String,
    key: i64,
    conn: Mutex<Option<AnyConnection>>,
}

impl std::fmt::Debug for Leader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leader").field("name", &self.name).finish()
    }
}

/// The advisory-lock key of a name: stable across instances and versions.
pub fn lock_key(name: &str) -> i64 {
    let h = Sha256::digest(format!("echeancier/{name}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    i64::from_be_bytes(b)
}

impl Leader {
    pub fn new(store: &Store, name: &str) -> Leader {
        Leader {
            store: store.clone(),
            name: name.to_string(),
            key: lock_key(name),
            conn: Mutex::new(None),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the lock was held at the last check (for health reports;
    /// does not touch the database).
    pub fn holding(&self) -> bool {
        self.store.backend() == Backend::Sqlite || self.conn.try_lock().map(|c| c.is_some()).unwrap_or(true)
    }

    /// Whether this instance leads now: keeps a lock it holds (after
    /// checking its connection is alive) or tries to take it.
    pub async fn held(&self) -> Result<bool> {
        if self.store.backend() == Backend::Sqlite {
            return Ok(true);
        }
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_mut() {
            if conn.ping().await.is_ok() {
                return Ok(true);
            }
            // The connection died: so did the lock.
            tracing::warn!("leadership lost with its database connection: {}", self.name);
            *slot = None;
        }
        let mut conn = AnyConnection::connect(self.store.url()).await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(self.key)
            .fetch_one(&mut conn)
            .await?;
        if got {
            tracing::info!("leadership taken: {}", self.name);
            *slot = Some(conn);
        } else {
            let _ = conn.close().await;
        }
        Ok(got)
    }

    /// Gives the leadership up (at shutdown), so another instance takes
    /// over at once rather than after its connection times out.
    pub async fn release(&self) {
        let mut slot = self.conn.lock().await;
        if let Some(mut conn) = slot.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(self.key)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
            tracing::info!("leadership released: {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct() {
        assert_eq!(lock_key("planificateur"), lock_key("planificateur"));
        assert_ne!(lock_key("planificateur"), lock_key("matrix:@bot:localhost"));
    }
}

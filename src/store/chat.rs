//! What the chat front-ends keep in the database: their own state (such
//! as Telegram's update offset) and the lookups from a platform's message
//! back to the reminder it carried.

use super::{Result, Store};

impl Store {
    pub async fn chat_state(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM chat_state WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn set_chat_state(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO chat_state (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The reminder a Matrix event carried, if it was posted in `room`
    /// (a ✅ reaction acknowledges it only there).
    pub async fn reminder_by_external_ref(&self, event_id: &str, room: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT reminder_id FROM deliveries WHERE external_ref = $1 AND channel = 'matrix' AND recipient = $2",
        )
        .bind(event_id)
        .bind(room)
        .fetch_optional(&self.pool)
        .await?)
    }
}

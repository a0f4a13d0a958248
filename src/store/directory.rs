//! The directory, synchronised from the configuration at every start:
//! schools, DSDEN offices, partners, people with their grants and chat
//! identities (some linked later with a code), and whom a role reaches.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use echeancier_core::authz::{Actor, Grant};
use sqlx::{AnyConnection, Row};

use super::{Result, Store, from_json, to_json, ts};

/// A school as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    pub uai: String,
    pub name: String,
    pub departement: String,
    pub calendar: String,
    pub good_friday: Option<bool>,
    pub zone: Option<String>,
    pub closed_days: BTreeMap<NaiveDate, String>,
    pub address: Option<String>,
    pub phone: Option<String>,
}

/// A DSDEN office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departement {
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
}

impl Store {
    pub async fn upsert_establishment(&self, e: &Establishment) -> Result<()> {
        let closed = to_json(&e.closed_days)?;
        sqlx::query(
            "INSERT INTO establishments (uai, name, departement, calendar, good_friday, zone, closed_days, address, phone)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT(uai) DO UPDATE SET name = excluded.name, departement = excluded.departement,
               calendar = excluded.calendar, good_friday = excluded.good_friday, zone = excluded.zone,
               closed_days = excluded.closed_days, address = excluded.address, phone = excluded.phone",
        )
        .bind(&e.uai)
        .bind(&e.name)
        .bind(&e.departement)
        .bind(&e.calendar)
        .bind(e.good_friday.map(i64::from))
        .bind(&e.zone)
        .bind(closed)
        .bind(&e.address)
        .bind(&e.phone)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn establishment(conn: &mut AnyConnection, uai: &str) -> Result<Option<Establishment>> {
        let row = sqlx::query(
            "SELECT uai, name, departement, calendar, good_friday, zone, closed_days, address, phone
             FROM establishments WHERE uai = $1",
        )
        .bind(uai)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            let closed: String = r.get("closed_days");
            Ok(Establishment {
                uai: r.get("uai"),
                name: r.get("name"),
                departement: r.get("departement"),
                calendar: r.get("calendar"),
                good_friday: r.get::<Option<i64>, _>("good_friday").map(|v| v != 0),
                zone: r.get("zone"),
                closed_days: from_json(&closed)?,
                address: r.get("address"),
                phone: r.get("phone"),
            })
        })
        .transpose()
    }

    pub async fn upsert_departement(&self, d: &Departement) -> Result<()> {
        sqlx::query(
            "INSERT INTO departements (code, name, address, phone) VALUES ($1, $2, $3, $4)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, address = excluded.address, phone = excluded.phone",
        )
        .bind(&d.code)
        .bind(&d.name)
        .bind(&d.address)
        .bind(&d.phone)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn departement(conn: &mut AnyConnection, code: &str) -> Result<Option<Departement>> {
        let row = sqlx::query("SELECT code, name, address, phone FROM departements WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| Departement {
            code: r.get("code"),
            name: r.get("name"),
            address: r.get("address"),
            phone: r.get("phone"),
        }))
    }

    pub async fn upsert_partner(&self, id: &str, name: &str, departement: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO partners (id, name, departement) VALUES ($1, $2, $3)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, departement = excluded.departement",
        )
        .bind(id)
        .bind(name)
        .bind(departement)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn partner_exists(&self, id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM partners WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Creates or replaces a person with their grants and configured
    /// identities, in one transaction, so the directory is never
    /// half-updated. Only identities that came from the configuration are
    /// replaced: accounts linked with a code (`source = 'lien'`) survive the
    /// sync done at every start. A configured identity wins over a linked
    /// one, even of another person: the file is the administrator's word.
    /// Whether a person of the directory is an administrator of the service.
    pub async fn set_admin(&self, slug: &str, admin: bool) -> Result<()> {
        sqlx::query("UPDATE people SET admin = $1 WHERE slug = $2")
            .bind(i64::from(admin))
            .bind(slug)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn is_admin(&self, person_id: i64) -> Result<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT admin FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(v == Some(1))
    }

    /// Where the administrators are reached: their email addresses, then
    /// their chat accounts, as (channel, address).
    pub async fn admin_addresses(&self) -> Result<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = sqlx::query_as(
            "SELECT 'email', email FROM people WHERE admin = 1 AND email IS NOT NULL ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        out.extend(
            sqlx::query_as::<_, (String, String)>(
                "SELECT i.channel, i.external_id FROM identities i JOIN people p ON p.id = i.person_id
                 WHERE p.admin = 1 ORDER BY p.id, i.channel, i.external_id",
            )
            .fetch_all(self.pool())
            .await?,
        );
        Ok(out)
    }

    pub async fn upsert_person(
        &self,
        slug: &str,
        display_name: &str,
        email: Option<&str>,
        grants: &[Grant],
        identities: &[(String, String)],
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO people (slug, display_name, email) VALUES ($1, $2, $3)
             ON CONFLICT(slug) DO UPDATE SET display_name = excluded.display_name, email = excluded.email
             RETURNING id",
        )
        .bind(slug)
        .bind(display_name)
        .bind(email)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM grants WHERE person_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for g in grants {
            sqlx::query("INSERT INTO grants (person_id, role, establishment, departement, partner) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(&g.role)
                .bind(&g.establishment)
                .bind(&g.departement)
                .bind(&g.partner)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM identities WHERE person_id = $1 AND source = 'configuration'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (channel, external) in identities {
            put_identity(&mut tx, channel, external, id, "configuration").await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A person as an actor, with their email.
    pub async fn actor_by_person(&self, person_id: i64) -> Result<Option<(Actor, Option<String>)>> {
        let email: Option<Option<String>> = sqlx::query_scalar("SELECT email FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(email) = email else { return Ok(None) };
        let grants = self.grants(person_id).await?;
        Ok(Some((Actor { person_id, grants }, email)))
    }

    /// People with an email address: digest recipients.
    pub async fn people_with_email(&self) -> Result<Vec<(i64, String)>> {
        let rows =
            sqlx::query("SELECT id, email FROM people WHERE email IS NOT NULL AND email <> '' ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| (r.get("id"), r.get("email"))).collect())
    }

    async fn grants(&self, person_id: i64) -> Result<Vec<Grant>> {
        Ok(
            sqlx::query("SELECT role, establishment, departement, partner FROM grants WHERE person_id = $1")
                .bind(person_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| Grant {
                    role: r.get("role"),
                    establishment: r.get("establishment"),
                    departement: r.get("departement"),
                    partner: r.get("partner"),
                })
                .collect(),
        )
    }

    /// The actor behind a chat identity, with the person's display name.
    pub async fn actor(&self, channel: &str, external_id: &str) -> Result<Option<(Actor, String)>> {
        let row = sqlx::query(
            "SELECT p.id, p.display_name FROM identities i JOIN people p ON p.id = i.person_id
             WHERE i.channel = $1 AND i.external_id = $2",
        )
        .bind(channel)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let person_id: i64 = row.get("id");
        let name: String = row.get("display_name");
        let grants = self.grants(person_id).await?;
        Ok(Some((Actor { person_id, grants }, name)))
    }

    /// Email addresses of the staff holding `role` over a case's scope.
    pub async fn staff_emails(
        conn: &mut AnyConnection,
        role: &str,
        establishment: Option<&str>,
        departement: &str,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT p.email FROM grants g JOIN people p ON p.id = g.person_id
             WHERE g.role = $1 AND p.email IS NOT NULL AND p.email <> ''
               AND ((g.establishment IS NOT NULL AND g.establishment = $2) OR (g.departement IS NOT NULL AND g.departement = $3))
             ORDER BY p.email",
        )
        .bind(role)
        .bind(establishment)
        .bind(departement)
        .fetch_all(&mut *conn)
        .await?)
    }

    /// Chat identities (`channel`) of the staff holding `role` over a scope.
    pub async fn staff_identities(
        conn: &mut AnyConnection,
        channel: &str,
        role: &str,
        establishment: Option<&str>,
        departement: &str,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT i.external_id FROM grants g JOIN identities i ON i.person_id = g.person_id
             WHERE i.channel = $1 AND g.role = $2
               AND ((g.establishment IS NOT NULL AND g.establishment = $3) OR (g.departement IS NOT NULL AND g.departement = $4))
             ORDER BY i.external_id",
        )
        .bind(channel)
        .bind(role)
        .bind(establishment)
        .bind(departement)
        .fetch_all(&mut *conn)
        .await?)
    }

    pub async fn person_by_slug(&self, slug: &str) -> Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT id, display_name FROM people WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("id"), r.get("display_name"))))
    }

    pub async fn person_name(&self, person_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT display_name FROM people WHERE id = $1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn insert_link_code(
        &self,
        code: &str,
        person_id: i64,
        channel: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO link_codes (code, person_id, channel, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(code)
            .bind(person_id)
            .bind(channel)
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Uses a link code once: ties `channel:external_id` to its person, as a
    /// linked identity that directory syncs keep (until the configuration
    /// gives the same account to someone). `None` when the code is unknown,
    /// used, expired or for another channel.
    pub async fn use_link_code(
        conn: &mut AnyConnection,
        code: &str,
        channel: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let person: Option<i64> = sqlx::query_scalar(
            "UPDATE link_codes SET used_at = $1, used_by = $2
             WHERE code = $3 AND channel = $4 AND used_at IS NULL AND expires_at > $5 RETURNING person_id",
        )
        .bind(ts(now))
        .bind(external_id)
        .bind(code)
        .bind(channel)
        .bind(ts(now))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(person) = person {
            put_identity(conn, channel, external_id, person, "lien").await?;
        }
        Ok(person)
    }
}

/// Ties a chat account to a person, with where the tie came from
/// (`configuration` or `lien`, a link code): the latest tie wins, even
/// over another person's.
async fn put_identity(
    conn: &mut AnyConnection,
    channel: &str,
    external_id: &str,
    person_id: i64,
    source: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO identities (channel, external_id, person_id, source) VALUES ($1, $2, $3, $4)
         ON CONFLICT(channel, external_id) DO UPDATE SET person_id = excluded.person_id, source = excluded.source",
    )
    .bind(channel)
    .bind(external_id)
    .bind(person_id)
    .bind(source)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

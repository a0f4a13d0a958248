-- Where an identity comes from: 'configuration' (the [[personnes]] of the
-- configuration file, replaced at every directory sync) or 'lien' (a chat
-- account linked with a one-time code, kept across syncs). Identities that
-- existed before came from the configuration. Same schema as
-- migrations/sqlite/0002_identity_source.sql.
ALTER TABLE identities ADD COLUMN source TEXT NOT NULL DEFAULT 'configuration'
    CHECK (source IN ('configuration', 'lien'));

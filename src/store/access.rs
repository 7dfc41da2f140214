//! Users (tokens stored hashed) and the append-only audit log.

use super::{Store, StoreError};
use duckdb::params;

const USER_INSERT: &str = include_str!("../../sql/user_insert.sql");
const USERS_LIST: &str = include_str!("../../sql/users_list.sql");
const USER_REVOKE: &str = include_str!("../../sql/user_revoke.sql");
const AUDIT_INSERT: &str = include_str!("../../sql/audit_insert.sql");
const AUDIT_PAGE: &str = include_str!("../../sql/audit_page.sql");

/// A user as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserRow {
    /// Unique name.
    pub name: String,
    /// Role id.
    pub role: String,
    /// `000000` or a division code.
    pub scope: String,
    /// The token's public prefix.
    pub token_id: String,
    /// argon2id hash of the token (never serialised).
    #[serde(skip)]
    pub token_hash: String,
    /// Who created the user.
    pub created_by: String,
    /// When (UTC).
    pub created_at: String,
    /// When the token was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// One audit entry.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    /// Id (0 before it is stored).
    pub id: u64,
    /// When (UTC; empty before it is stored).
    pub at: String,
    /// User, if authenticated.
    pub user: Option<String>,
    /// Their role.
    pub role: Option<String>,
    /// Their scope.
    pub scope: Option<String>,
    /// read | write | login | denied | auth_failed.
    pub event: String,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string as sent.
    pub filter: String,
    /// HTTP status.
    pub status: u16,
    /// Person-level rows returned.
    pub rows: Option<u64>,
    /// Peer address.
    pub client: Option<String>,
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user.
    pub user: Option<String>,
    /// Only this event.
    pub event: Option<String>,
    /// From (inclusive), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// To (exclusive), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Only entries whose scope starts with this ('' for all).
    pub scope_prefix: String,
    /// Keyset: entries older than this id.
    pub before: Option<u64>,
    /// Page size.
    pub limit: u64,
}

impl Store {
    /// Adds a user; fails if the name is taken.
    pub fn add_user(&self, user: &UserRow) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute(
            USER_INSERT,
            params![
                user.name,
                user.role,
                user.scope,
                user.token_id,
                user.token_hash,
                user.created_by
            ],
        )?;
        Ok(())
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        self.users_where(None)
    }

    /// The users holding a token with this public prefix (at most one in practice).
    pub fn users_by_token_id(&self, token_id: &str) -> Result<Vec<UserRow>, StoreError> {
        self.users_where(Some(token_id))
    }

    fn users_where(&self, token_id: Option<&str>) -> Result<Vec<UserRow>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(USERS_LIST)?;
        let rows = stmt
            .query_map([token_id], |r| {
                Ok(UserRow {
                    name: r.get(0)?,
                    role: r.get(1)?,
                    scope: r.get(2)?,
                    token_id: r.get(3)?,
                    token_hash: r.get(4)?,
                    created_by: r.get(5)?,
                    created_at: r.get(6)?,
                    revoked_at: r.get(7)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Revokes a user's token; false when there is no such active user.
    pub fn revoke_user(&self, name: &str) -> Result<bool, StoreError> {
        let conn = self.connection()?;
        Ok(conn.execute(USER_REVOKE, [name])? > 0)
    }

    /// Appends audit entries (one transaction).
    pub fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let conn = self.connection()?;
        conn.execute_batch("BEGIN TRANSACTION")?;
        let written = (|| -> Result<(), StoreError> {
            let mut stmt = conn.prepare_cached(AUDIT_INSERT)?;
            for e in entries {
                stmt.execute(params![
                    e.user, e.role, e.scope, e.event, e.method, e.path, e.filter, e.status, e.rows,
                    e.client
                ])?;
            }
            Ok(())
        })();
        match written {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(())
    }

    /// Audit entries, newest first.
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(AUDIT_PAGE)?;
        let rows = stmt
            .query_map(
                params![
                    filter.user,
                    filter.event,
                    filter.from,
                    filter.to,
                    filter.scope_prefix,
                    filter.before,
                    filter.limit
                ],
                |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        user: r.get(2)?,
                        role: r.get(3)?,
                        scope: r.get(4)?,
                        event: r.get(5)?,
                        method: r.get(6)?,
                        path: r.get(7)?,
                        filter: r.get(8)?,
                        status: r.get(9)?,
                        rows: r.get(10)?,
                        client: r.get(11)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

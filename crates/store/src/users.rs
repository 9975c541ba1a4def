//! Accounts, server-side sessions, API tokens and sign-in attempts.
//!
//! Session and token secrets never reach the database: only their SHA-256 hashes do, so a
//! copy of the database does not let anyone sign in.

use senco_domain::role::Role;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{
    AnyRow, Result, Sql, Store, StoreError, Tx, closed, duplicate, flag, get_flag, new_id,
    parse_ts, ts,
};

/// A user account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub school_id: Option<String>,
    pub la_id: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    /// Whether two-factor sign-in is on for the account.
    pub two_factor: bool,
}

/// Input for a new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub school_id: Option<&'a str>,
    pub la_id: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
}

/// Which accounts a listing may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserScope {
    All,
    School(String),
}

/// A live session as found by its token.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id_hash: String,
    /// The passphrase was right; the two-factor code is still to come.
    pub mfa_pending: bool,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub user: User,
}

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.school_id, u.la_id, u.must_change_password, \
     u.disabled_at, CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS two_factor";

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: closed(row, "users", "role", Role::parse)?,
        school_id: row.try_get("school_id")?,
        la_id: row.try_get("la_id")?,
        must_change_password: get_flag(row, "must_change_password")?,
        disabled: row.try_get::<Option<String>, _>("disabled_at")?.is_some(),
        two_factor: get_flag(row, "two_factor")?,
    })
}

impl Store {
    /// Creates an account.
    pub async fn insert_user(tx: &mut Tx, u: &NewUser<'_>, now: OffsetDateTime) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, email, name, role, school_id, la_id, password_hash, \
             must_change_password, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(u.email)
        .bind(u.name)
        .bind(u.role.as_str())
        .bind(u.school_id)
        .bind(u.la_id)
        .bind(u.password_hash)
        .bind(flag(u.must_change_password))
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(|e| duplicate(e, "an account with this email address already exists"))?;
        Ok(id)
    }

    /// An account by email address, with its password hash.
    pub async fn user_for_sign_in(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    /// An account by id.
    pub async fn user(&self, id: &str) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        self.one_by_id(sql, id, user_from_row).await
    }

    /// An account by email address.
    pub async fn user_by_email(&self, email: &str) -> Result<User> {
        Ok(self
            .user_for_sign_in(email)
            .await?
            .ok_or(StoreError::NotFound)?
            .0)
    }

    /// Accounts in scope, by name.
    pub async fn users(&self, scope: &UserScope) -> Result<Vec<User>> {
        let mut q = Sql::new(format!("SELECT {USER_COLUMNS} FROM users u"));
        if let UserScope::School(school) = scope {
            q.push(" WHERE u.school_id = ").bind(school.clone());
        }
        q.push(" ORDER BY u.name, u.email");
        let rows = q.build().fetch_all(self.pool()).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Disables an account and ends all its sessions and tokens at once.
    pub async fn disable_user(tx: &mut Tx, user_id: &str, now: OffsetDateTime) -> Result<()> {
        let done = sqlx::query(
            "UPDATE users SET disabled_at = $2, updated_at = $2 WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(user_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Self::end_sessions_and_tokens(tx, user_id, now).await
    }

    /// Sets a new password hash, ending every session and token of the account and every
    /// outstanding passphrase reset link (SR-18: a link asked for before the change must
    /// not set a passphrase after it).
    pub async fn set_password(
        tx: &mut Tx,
        user_id: &str,
        password_hash: &str,
        must_change: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(user_id)
        .bind(password_hash)
        .bind(flag(must_change))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Self::end_sessions_and_tokens(tx, user_id, now).await
    }

    async fn end_sessions_and_tokens(
        tx: &mut Tx,
        user_id: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Stores a new session under the hash of its token.
    pub async fn insert_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.insert_session_pending(id_hash, user_id, csrf_token, false, now)
            .await
    }

    /// Stores a session that may still be waiting for its two-factor code.
    pub async fn insert_session_pending(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf_token: &str,
        mfa_pending: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, mfa_pending) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(ts(now))
        .bind(flag(mfa_pending))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An account's TOTP secret (Base32) and the last step used, if it has two-factor on.
    pub async fn totp(&self, user_id: &str) -> Result<Option<(String, Option<i64>)>> {
        let row = sqlx::query("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let secret: Option<String> = row.try_get("totp_secret")?;
        secret
            .map(|s| Ok((s, row.try_get("totp_last_step")?)))
            .transpose()
    }

    /// Stores a passphrase reset link (its token's hash) valid until `expires`; earlier
    /// unused links of the account stop working.
    pub async fn insert_password_reset(
        tx: &mut Tx,
        token_hash: &str,
        user_id: &str,
        now: OffsetDateTime,
        expires: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(ts(now))
        .bind(ts(expires))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The enabled account a reset link belongs to, while the link is unused and unexpired.
    pub async fn password_reset_user(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT r.user_id, r.expires_at FROM password_resets r JOIN users u ON u.id = r.user_id \
             WHERE r.token_hash = $1 AND r.used_at IS NULL AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires = parse_ts(&row.try_get::<String, _>("expires_at")?)?;
        Ok((now < expires)
            .then(|| row.try_get("user_id"))
            .transpose()?)
    }

    /// Spends a reset link; false when it was used meanwhile.
    pub async fn use_password_reset(
        tx: &mut Tx,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        )
        .bind(token_hash)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes an account's two-factor key and recovery codes (a lost phone), ending its
    /// sessions and tokens: staff set up a new key when they next sign in.
    pub async fn clear_totp(tx: &mut Tx, user_id: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        Self::end_sessions_and_tokens(tx, user_id, now).await
    }

    /// Turns two-factor sign-in on for every account except parents, all with one secret
    /// (the demo dataset uses this; real accounts enrol themselves).
    pub async fn enrol_staff_two_factor(tx: &mut Tx, secret: &str) -> Result<()> {
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE role <> 'parent'")
            .bind(secret)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Turns two-factor sign-in on with a secret, replacing any recovery codes.
    pub async fn set_totp(
        tx: &mut Tx,
        user_id: &str,
        secret: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<()> {
        sqlx::query("UPDATE users SET totp_secret = $2, totp_last_step = $3 WHERE id = $1")
            .bind(user_id)
            .bind(secret)
            .bind(step)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)")
                .bind(new_id())
                .bind(user_id)
                .bind(h)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Records that a step's code was used; false if it (or a later one) was used already.
    pub async fn use_totp_step(&self, user_id: &str, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses a recovery code once; false if it is unknown or used.
    pub async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(ts(now))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The session for a token hash, if it exists and its account is enabled.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.id_hash, s.csrf_token, s.created_at AS s_created, \
             s.last_seen_at, s.mfa_pending FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND u.disabled_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(SessionRecord {
                id_hash: r.try_get("id_hash")?,
                mfa_pending: get_flag(&r, "mfa_pending")?,
                csrf_token: r.try_get("csrf_token")?,
                created_at: crate::parse_ts(&r.try_get::<String, _>("s_created")?)?,
                last_seen_at: crate::parse_ts(&r.try_get::<String, _>("last_seen_at")?)?,
                user: user_from_row(&r)?,
            })
        })
        .transpose()
    }

    /// Notes activity on a session (for the idle timeout).
    pub async fn touch_session(&self, id_hash: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(ts(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends one session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stores a new API token under its hash.
    pub async fn insert_token(
        tx: &mut Tx,
        user_id: &str,
        name: &str,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// The account behind a live API token.
    pub async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    /// Records a sign-in attempt.
    pub async fn record_sign_in_attempt(
        &self,
        account_key: &str,
        address: &str,
        succeeded: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_attempts (id, account_key, address, succeeded, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(account_key)
        .bind(address)
        .bind(flag(succeeded))
        .bind(ts(now))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Counts an attempt before it is checked (SR-13, SR-14): if fewer than `account_limit`
    /// failures for `account_key` and fewer than `address_limit` for `address` were recorded
    /// since `since`, records this attempt as a failure and returns its id (mark it with
    /// [`Store::attempt_succeeded`] once it proves right); otherwise records nothing and
    /// returns `None`. The count and the insert are one serialised step (SQLite: the write
    /// lock of `BEGIN IMMEDIATE`; PostgreSQL: transaction-scoped advisory locks on the account
    /// key and on the address, taken in a fixed order), so however many attempts arrive at
    /// once, at most the limit are let through.
    pub async fn claim_attempt(
        &self,
        account_key: &str,
        address: &str,
        since: OffsetDateTime,
        now: OffsetDateTime,
        account_limit: i64,
        address_limit: i64,
    ) -> Result<Option<String>> {
        let mut tx = self.begin().await?;
        if self.backend == crate::Backend::Postgres {
            let mut keys = [
                format!("account:{account_key}"),
                format!("address:{address}"),
            ];
            keys.sort();
            for key in &keys {
                // The first key names Senco's throttling, the second the counter.
                sqlx::query(
                    "SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(5313, hashtext($1))) AS l",
                )
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
            }
        }
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM sign_in_attempts WHERE account_key = $1 AND succeeded = 0 AND at >= $3) AS by_account, \
               (SELECT COUNT(*) FROM sign_in_attempts WHERE address = $2 AND succeeded = 0 AND at >= $3) AS by_address",
        )
        .bind(account_key)
        .bind(address)
        .bind(ts(since))
        .fetch_one(&mut *tx)
        .await?;
        let (by_account, by_address): (i64, i64) =
            (row.try_get("by_account")?, row.try_get("by_address")?);
        if by_account >= account_limit || by_address >= address_limit {
            tx.rollback().await?;
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO sign_in_attempts (id, account_key, address, succeeded, at) VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(&id)
        .bind(account_key)
        .bind(address)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        crate::commit(tx).await?;
        Ok(Some(id))
    }

    /// Marks a claimed attempt as right, so it no longer counts as a failure.
    pub async fn attempt_succeeded(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE sign_in_attempts SET succeeded = 1 WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Failed sign-ins since `since` for an account and for an address.
    pub async fn failed_sign_ins(
        &self,
        account_key: &str,
        address: &str,
        since: OffsetDateTime,
    ) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM sign_in_attempts WHERE account_key = $1 AND succeeded = 0 AND at >= $3) AS by_account, \
               (SELECT COUNT(*) FROM sign_in_attempts WHERE address = $2 AND succeeded = 0 AND at >= $3) AS by_address",
        )
        .bind(account_key)
        .bind(address)
        .bind(ts(since))
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("by_account")?, row.try_get("by_address")?))
    }

    /// Keeps what someone had typed when their session ended (only their latest form).
    pub async fn keep_draft(
        &self,
        user_id: &str,
        path: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // Only the latest form per person, and nobody's for longer than a day.
        sqlx::query("DELETE FROM form_drafts WHERE user_id = $1 OR created_at < $2")
            .bind(user_id)
            .bind(ts(now - time::Duration::days(1)))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO form_drafts (id, user_id, path, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(user_id)
        .bind(path)
        .bind(body)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        crate::commit(tx).await
    }

    /// Someone's kept form since `since`, if any: (path, body).
    pub async fn draft(
        &self,
        user_id: &str,
        since: OffsetDateTime,
    ) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT path, body FROM form_drafts WHERE user_id = $1 AND created_at >= $2 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(ts(since))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| Ok((r.try_get("path")?, r.try_get("body")?)))
            .transpose()
    }

    /// Forgets someone's kept forms.
    pub async fn drop_drafts(&self, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM form_drafts WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

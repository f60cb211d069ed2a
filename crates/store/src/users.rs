//! Users of the product (người dùng) and their login sessions.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Db, StoreError, now};

/// A person who logs in. Issue-scoped roles come later; everyone is an administrator now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub status: String,
    pub created_at: String,
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// How long a session lives without being used.
pub const SESSION_IDLE: time::Duration = time::Duration::hours(12);

/// A new random password: 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
#[must_use]
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// A random token (64 hex digits) for sessions and forms.
#[must_use]
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a login name: 3–32 of a–z, 0–9, `.`, `_`, `-`.
///
/// # Errors
/// `Invalid` with the reason.
pub fn check_login(login: &str) -> Result<String, StoreError> {
    let l = login.trim().to_lowercase();
    if !(3..=32).contains(&l.len()) || !l.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(StoreError::invalid(
            "login",
            "Tên đăng nhập gồm 3–32 ký tự a–z, 0–9, dấu chấm, gạch dưới hoặc gạch ngang",
        ));
    }
    Ok(l)
}

/// Checks a new password's length.
///
/// # Errors
/// `Invalid` when it is too short.
pub fn check_password(password: &str) -> Result<(), StoreError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(StoreError::invalid("password", format!("Mật khẩu cần ít nhất {MIN_PASSWORD_LEN} ký tự")));
    }
    Ok(())
}

/// Hashes a password with Argon2id. Slow on purpose: call it off the async runtime.
///
/// # Errors
/// Only if the hasher fails, which it does not for valid input.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::invalid("password", format!("Không mã hóa được mật khẩu: {e}")))
}

/// True when `password` matches the stored hash. Slow on purpose.
#[must_use]
pub fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// How many users exist.
///
/// # Errors
/// Database errors.
pub async fn count(db: &Db) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_db!(db, |pool| sqlx::query_as("select count(*) from app_user").fetch_one(pool).await)?;
    Ok(n)
}

/// Adds a user with an already hashed password.
///
/// # Errors
/// `Invalid` login; `Conflict` when the login is taken.
pub async fn add(db: &Db, login: &str, display_name: &str, password_hash: &str) -> Result<i64, StoreError> {
    let login = check_login(login)?;
    let display = domain::text::clean(display_name);
    let display = if display.is_empty() { login.clone() } else { display };
    let stamp = now();
    let r: Result<i64, StoreError> = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into app_user (login, display_name, password_hash, role, status, created_at, updated_at) \
             values ($1, $2, $3, 'admin', 'active', $4, $4) returning user_id",
        )
        .bind(&login)
        .bind(&display)
        .bind(password_hash)
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        Ok::<i64, StoreError>(id)
    });
    r.map_err(|e| {
        if e.is_unique_violation() {
            StoreError::conflict("login", format!("Tên đăng nhập “{login}” đã có"))
        } else {
            e
        }
    })
}

/// Every user, by login.
///
/// # Errors
/// Database errors.
pub async fn list(db: &Db) -> Result<Vec<User>, StoreError> {
    let sql = "select user_id, login, display_name, role, status, created_at from app_user order by login";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await)?)
}

/// A user and their password hash, by login.
///
/// # Errors
/// Database errors.
pub async fn credentials(db: &Db, login: &str) -> Result<Option<(User, String)>, StoreError> {
    let sql =
        "select user_id, login, display_name, role, status, created_at, password_hash from app_user where login = $1";
    let row: Option<(i64, String, String, String, String, String, String)> =
        on_db!(db, |pool| sqlx::query_as(sql).bind(login.trim().to_lowercase()).fetch_optional(pool).await)?;
    Ok(row.map(|(user_id, login, display_name, role, status, created_at, hash)| {
        (User { user_id, login, display_name, role, status, created_at }, hash)
    }))
}

/// Replaces a user's password hash and ends all their sessions.
///
/// # Errors
/// `NotFound` for an unknown login.
pub async fn set_password_hash(db: &Db, login: &str, password_hash: &str) -> Result<(), StoreError> {
    let login = login.trim().to_lowercase();
    let stamp = now();
    in_tx!(db, |tx| {
        let done = sqlx::query("update app_user set password_hash = $2, updated_at = $3 where login = $1")
            .bind(&login)
            .bind(password_hash)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done == 0 {
            return Err(StoreError::not_found(format!("Không có người dùng “{login}”")));
        }
        sqlx::query("delete from user_session where user_id = (select user_id from app_user where login = $1)")
            .bind(&login)
            .execute(&mut *tx)
            .await?;
        Ok::<(), StoreError>(())
    })
}

/// A logged-in session: who, and the token its forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

fn stamp_after(d: time::Duration) -> String {
    let t = time::OffsetDateTime::now_utc() + d;
    t.replace_nanosecond(0).unwrap_or(t).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: User,
    csrf_token: String,
    last_seen_at: String,
}

/// Opens a session for a user; returns the secret token for the cookie (only its hash is
/// stored).
///
/// # Errors
/// Database errors.
pub async fn open_session(db: &Db, user_id: i64) -> Result<String, StoreError> {
    let token = random_token();
    let stamp = now();
    let expires = stamp_after(SESSION_IDLE);
    in_tx!(db, |tx| {
        sqlx::query(
            "insert into user_session (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
             values ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(random_token())
        .bind(&stamp)
        .bind(&expires)
        .execute(&mut *tx)
        .await?;
        sqlx::query("delete from user_session where expires_at < $1").bind(&stamp).execute(&mut *tx).await?;
        Ok::<(), StoreError>(())
    })?;
    Ok(token)
}

/// The session behind a cookie token, if it is live; using it pushes its expiry back.
///
/// # Errors
/// Database errors.
pub async fn session(db: &Db, token: &str) -> Result<Option<Session>, StoreError> {
    let hash = token_hash(token);
    let stamp = now();
    let sql = "select u.user_id, u.login, u.display_name, u.role, u.status, u.created_at, s.csrf_token, s.last_seen_at \
               from user_session s join app_user u on u.user_id = s.user_id \
               where s.token_hash = $1 and s.expires_at > $2 and u.status = 'active'";
    let row: Option<SessionRow> =
        on_db!(db, |pool| sqlx::query_as(sql).bind(&hash).bind(&stamp).fetch_optional(pool).await)?;
    let Some(SessionRow { user, csrf_token, last_seen_at: last_seen }) = row else {
        return Ok(None);
    };
    // Refresh at most once a minute, so that a page full of requests writes once.
    if last_seen.get(..16) != stamp.get(..16) {
        let expires = stamp_after(SESSION_IDLE);
        let sql = "update user_session set last_seen_at = $2, expires_at = $3 where token_hash = $1";
        on_db!(db, |pool| sqlx::query(sql)
            .bind(&hash)
            .bind(&stamp)
            .bind(&expires)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(Some(Session { user, csrf_token }))
}

/// Ends the session behind a token.
///
/// # Errors
/// Database errors.
pub async fn close_session(db: &Db, token: &str) -> Result<(), StoreError> {
    let sql = "delete from user_session where token_hash = $1";
    on_db!(db, |pool| sqlx::query(sql).bind(token_hash(token)).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert!(check_password(&a).is_ok());
        assert!(check_password("ngan").is_err());
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash_password("mot-mat-khau-dai").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "mot-mat-khau-dai"));
        assert!(!verify_password(&h, "mot-mat-khau-sai"));
    }

    #[test]
    fn logins_are_checked() {
        assert_eq!(check_login(" Admin ").expect("valid"), "admin");
        assert!(check_login("a").is_err());
        assert!(check_login("có dấu").is_err());
    }
}

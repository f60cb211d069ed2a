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
    /// A column from before grants (every user was `admin`); grants say what a user may do.
    #[serde(skip)]
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

/// Passwords too common to accept, whatever their length: the top of public leaked-password
/// frequency lists (the long ones; shorter ones fail on length), and Vietnamese favourites.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1234567890a",
    "0123456789",
    "9876543210",
    "1111111111",
    "0000000000",
    "1234512345",
    "1122334455",
    "1234567891",
    "12345678900",
    "123123123123",
    "qwertyuiop",
    "qwerty12345",
    "qwerty123456",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "abc1234567",
    "abcd123456",
    "a123456789",
    "abcdefghij",
    "matkhau123",
    "matkhau1234",
    "matkhaumoi",
    "anhyeuem123",
    "anhyeuem1234",
    "emyeuanh123",
    "vietnam123",
    "vietnam1234",
    "congdongso",
    "congdongso1",
    "congdongso123",
    "admin12345",
    "admin123456",
    "administrator",
    "changeme123",
    "welcome123",
    "letmein123",
    "sunshine123",
    "football123",
    "princess123",
    "dragon12345",
    "monkey12345",
    "baseball123",
    "superman123",
    "trustno1234",
];

/// Checks a new password: long enough, not one of the commonest, not one character repeated.
///
/// # Errors
/// `Invalid` with the reason.
pub fn check_password(password: &str) -> Result<(), StoreError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(StoreError::invalid("password", format!("Mật khẩu cần ít nhất {MIN_PASSWORD_LEN} ký tự")));
    }
    let lower = password.to_lowercase();
    let first = lower.chars().next();
    if COMMON_PASSWORDS.contains(&lower.as_str()) || lower.chars().all(|c| Some(c) == first) {
        return Err(StoreError::invalid("password", "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác"));
    }
    Ok(())
}

/// Wrong passwords in a row before an account is locked.
pub const MAX_FAILED_LOGINS: i64 = 5;

/// How long a locked account stays locked.
pub const LOCKOUT: time::Duration = time::Duration::minutes(15);

/// Whether a lock (RFC 3339 UTC) still holds now.
#[must_use]
pub fn is_locked(until: Option<&str>) -> bool {
    until.is_some_and(|u| u > now().as_str())
}

/// Counts a wrong password; the fifth in a row locks the account for [`LOCKOUT`].
///
/// # Errors
/// Database errors.
pub async fn record_failure(db: &Db, user_id: i64) -> Result<(), StoreError> {
    let until = stamp_after(LOCKOUT);
    let sql = "update app_user set \
               locked_until = case when failed_logins + 1 >= $2 then $3 else locked_until end, \
               failed_logins = case when failed_logins + 1 >= $2 then 0 else failed_logins + 1 end where user_id = $1";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(user_id)
        .bind(MAX_FAILED_LOGINS)
        .bind(&until)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Clears the count of wrong passwords after a good one.
///
/// # Errors
/// Database errors.
pub async fn record_success(db: &Db, user_id: i64) -> Result<(), StoreError> {
    let sql = "update app_user set failed_logins = 0, locked_until = null where user_id = $1";
    on_db!(db, |pool| sqlx::query(sql).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends every session of a user ("log out everywhere").
///
/// # Errors
/// Database errors.
pub async fn close_all_sessions(db: &Db, user_id: i64) -> Result<u64, StoreError> {
    let sql = "delete from user_session where user_id = $1";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?)
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub api_token_id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Makes a new API token for a user; returns its id and the secret, shown once (only its hash is
/// kept).
///
/// # Errors
/// `NotFound` for an unknown login; `Invalid` for an empty or overlong name.
pub async fn create_token(db: &Db, login: &str, name: &str) -> Result<(i64, String), StoreError> {
    let (user, _) = credentials(db, login)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("Không có người dùng “{}”", login.trim())))?;
    let name = domain::text::clean(name);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid("name", "Tên mã truy cập gồm 1–100 ký tự (để nhận ra nó sau này)"));
    }
    let secret = format!("cds_{}", random_token());
    let stamp = now();
    let id = in_tx!(db, |tx| {
        let (id,): (i64,) = sqlx::query_as(
            "insert into api_token (user_id, name, token_hash, created_at) values ($1, $2, $3, $4) returning api_token_id",
        )
        .bind(user.user_id)
        .bind(&name)
        .bind(token_hash(&secret))
        .bind(&stamp)
        .fetch_one(&mut *tx)
        .await?;
        audit!(
            tx,
            crate::audit::Event::new("api_token", id, "create")
                .after(serde_json::json!({ "user": user.login, "name": name }))
        );
        Ok::<i64, StoreError>(id)
    })?;
    Ok((id, secret))
}

/// A user's tokens, newest first.
///
/// # Errors
/// Database errors.
pub async fn tokens(db: &Db, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
    let sql = "select api_token_id, name, created_at, last_used_at, revoked_at from api_token where user_id = $1 \
               order by api_token_id desc";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).bind(user_id).fetch_all(pool).await)?)
}

/// Revokes one of a user's tokens.
///
/// # Errors
/// `NotFound` when the user has no such live token.
pub async fn revoke_token(db: &Db, user_id: i64, token_id: i64) -> Result<(), StoreError> {
    let stamp = now();
    in_tx!(db, |tx| {
        let n = sqlx::query(
            "update api_token set revoked_at = $3 where api_token_id = $1 and user_id = $2 and revoked_at is null",
        )
        .bind(token_id)
        .bind(user_id)
        .bind(&stamp)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::not_found("Không có mã truy cập này, hoặc nó đã bị thu hồi"));
        }
        audit!(
            tx,
            crate::audit::Event::new("api_token", token_id, "revoke").after(serde_json::json!({ "revoked_at": stamp }))
        );
        Ok::<(), StoreError>(())
    })
}

/// The active user behind a live token; using it records when.
///
/// # Errors
/// Database errors.
pub async fn token_user(db: &Db, secret: &str) -> Result<Option<User>, StoreError> {
    let hash = token_hash(secret.trim());
    let sql = "select u.user_id, u.login, u.display_name, u.role, u.status, u.created_at from api_token t \
               join app_user u on u.user_id = t.user_id \
               where t.token_hash = $1 and t.revoked_at is null and u.status = 'active'";
    let user: Option<User> = on_db!(db, |pool| sqlx::query_as(sql).bind(&hash).fetch_optional(pool).await)?;
    if user.is_some() {
        let stamp = now();
        let sql = "update api_token set last_used_at = $2 where token_hash = $1";
        on_db!(db, |pool| sqlx::query(sql).bind(&hash).bind(&stamp).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(user)
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

/// Adds a user with an already hashed password and their first grants, in one transaction.
///
/// # Errors
/// `Invalid` login; `Conflict` when the login is taken.
pub async fn add(
    db: &Db,
    login: &str,
    display_name: &str,
    password_hash: &str,
    grants: &[crate::access::NewGrant],
) -> Result<i64, StoreError> {
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
        let labels: Vec<&str> = grants.iter().map(|g| g.label.as_str()).collect();
        audit!(
            tx,
            crate::audit::Event::new("user", id, "create")
                .after(serde_json::json!({ "login": login, "display_name": display, "grants": labels }))
        );
        // The same grant twice is stored once.
        let mut unique: Vec<&crate::access::NewGrant> = Vec::new();
        for g in grants {
            if !unique.iter().any(|u| (u.role, u.unit_id, u.team_id) == (g.role, g.unit_id, g.team_id)) {
                unique.push(g);
            }
        }
        for g in unique {
            insert_grant!(tx, id, &login, g, &stamp);
        }
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

/// Disables an account (it can no longer log in, its sessions end, its API tokens stop working)
/// or enables it again.
///
/// # Errors
/// `NotFound` for an unknown login.
pub async fn set_active(db: &Db, login: &str, active: bool) -> Result<(), StoreError> {
    let user = by_login(db, login).await?;
    let status = if active { "active" } else { "disabled" };
    let stamp = now();
    in_tx!(db, |tx| {
        sqlx::query("update app_user set status = $2, updated_at = $3 where user_id = $1")
            .bind(user.user_id)
            .bind(status)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("delete from user_session where user_id = $1").bind(user.user_id).execute(&mut *tx).await?;
        }
        audit!(
            tx,
            crate::audit::Event::new("user", user.user_id, if active { "enable" } else { "disable" })
                .before(serde_json::json!({ "login": user.login, "status": user.status }))
                .after(serde_json::json!({ "status": status }))
        );
        Ok::<(), StoreError>(())
    })
}

/// A user by id.
///
/// # Errors
/// `NotFound` when there is none.
pub async fn get(db: &Db, user_id: i64) -> Result<User, StoreError> {
    let sql = "select user_id, login, display_name, role, status, created_at from app_user where user_id = $1";
    let u: Option<User> = on_db!(db, |pool| sqlx::query_as(sql).bind(user_id).fetch_optional(pool).await)?;
    u.ok_or_else(|| StoreError::not_found("Không tìm thấy người dùng"))
}

/// A user by login.
///
/// # Errors
/// `NotFound` when there is none.
pub async fn by_login(db: &Db, login: &str) -> Result<User, StoreError> {
    credentials(db, login)
        .await?
        .map(|(u, _)| u)
        .ok_or_else(|| StoreError::not_found(format!("Không có người dùng “{}”", login.trim())))
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
    Ok(login_state(db, login).await?.map(|c| (c.user, c.password_hash)))
}

/// What a login needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginState {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: String,
    pub locked_until: Option<String>,
}

/// An account's user, password hash and lock, by login.
///
/// # Errors
/// Database errors.
pub async fn login_state(db: &Db, login: &str) -> Result<Option<LoginState>, StoreError> {
    let sql = "select user_id, login, display_name, role, status, created_at, password_hash, locked_until \
               from app_user where login = $1";
    Ok(on_db!(db, |pool| sqlx::query_as(sql).bind(login.trim().to_lowercase()).fetch_optional(pool).await)?)
}

/// Replaces a user's password hash and ends all their sessions.
///
/// # Errors
/// `NotFound` for an unknown login.
pub async fn set_password_hash(db: &Db, login: &str, password_hash: &str) -> Result<(), StoreError> {
    let login = login.trim().to_lowercase();
    let stamp = now();
    in_tx!(db, |tx| {
        let done = sqlx::query("update app_user set password_hash = $2, failed_logins = 0, locked_until = null, updated_at = $3 where login = $1")
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
        audit!(
            tx,
            crate::audit::Event {
                entity: "user",
                entity_id: None,
                action: "set_password",
                unit_path: None,
                before: None,
                after: Some(serde_json::json!({ "login": login }))
            }
        );
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

//! What can go wrong in the store, said so that a person can act on it.

/// An error from the store. `Invalid`, `NotFound` and `Conflict` carry a Vietnamese message for
/// the user; `Database` and `Migrate` are infrastructure and are logged, not shown.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A field's value is refused; `field` names the form field.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The thing asked for does not exist (or is outside the caller's scope).
    #[error("{0}")]
    NotFound(String),
    /// The change contradicts what is stored (a second active team in a village, …).
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    /// The database could not be opened.
    #[error("{0}")]
    Open(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(#[from] sqlx::Error),
    #[error("lỗi cập nhật cấu trúc cơ sở dữ liệu: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid { field, message: message.into() }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Conflict { field, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        StoreError::NotFound(message.into())
    }

    /// True when the database refused a row for a unique index (a race the code's own check
    /// lost, or a constraint the code does not check first).
    #[must_use]
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

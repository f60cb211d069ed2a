//! Vietnamese first, English second: the language of a page, chosen by a cookie.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The language a page is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// Picks the text in this language.
    #[must_use]
    pub fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    #[must_use]
    pub fn is_en(&self) -> bool {
        *self == Lang::En
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(match crate::auth::cookie(&parts.headers, "lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        })
    }
}

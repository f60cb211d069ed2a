//! The route table. Every page route is added through [`Routes`], which builds the router and
//! keeps the list of what it added; [`table`] gives that list (with the API's) so that a test can
//! walk every route there is, and a new one cannot be left out of the access checks.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

use crate::AppState;

/// A router and the method and path of every route in it.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, String)>,
}

impl Routes {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `handler` for `method` on `path`.
    #[must_use]
    pub fn on<H, T>(mut self, method: Method, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard HTTP method");
        self.router = self.router.route(path, on(filter, handler));
        self.table.push((method, path.to_owned()));
        self
    }

    #[must_use]
    pub fn get<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.on(Method::GET, path, handler)
    }

    #[must_use]
    pub fn post<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.on(Method::POST, path, handler)
    }

    /// Adds `handler` on `stem.xlsx` and `stem.csv`: it learns which from its
    /// [`crate::exports::Format`] argument.
    #[must_use]
    pub fn downloads<H, T>(self, stem: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.get(&format!("{stem}.xlsx"), handler.clone()).get(&format!("{stem}.csv"), handler)
    }

    #[must_use]
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The router alone.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

/// The web routes (pages, login, static files) outside the API.
pub(crate) fn web() -> Routes {
    Routes::new().merge(crate::auth::router()).merge(crate::pages::router()).merge(crate::assets::router())
}

/// Every route of the application as `(method, path)`, paths as the router writes them
/// (`/teams/{id}`), the API's under `/api/v1`.
#[must_use]
pub fn table() -> Vec<(Method, String)> {
    let mut all = web().table;
    all.extend(crate::api::table().into_iter().map(|(m, p)| (m, format!("/api/v1{p}"))));
    all
}

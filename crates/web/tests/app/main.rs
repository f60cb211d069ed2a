//! Integration tests of the web crate: pages and API through the router, on SQLite and
//! PostgreSQL (see `store::testing`).

mod common;

mod access;
mod api;
mod browser;
mod dashboards;
mod exports;
mod funding;
mod imports;
mod matrix;
mod pages;
mod payments;
mod reports;
mod training;

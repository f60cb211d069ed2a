//! The pages, through the router.

use axum::http::StatusCode;

use crate::app_test;

app_test!(dashboard_shows_the_province, |app| {
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Tỉnh Quảng Nam"), "{}", r.body);
    assert!(r.body.contains("<svg"), "a chart");
});

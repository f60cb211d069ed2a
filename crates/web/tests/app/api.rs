//! The JSON API, through the router.

//! Pure rules of congdongso. No I/O, no async, no database types.
#![forbid(unsafe_code)]

pub mod access;
pub mod cccd;
pub mod demo;
pub mod funding;
pub mod input;
pub mod money;
pub mod phone;
pub mod reorg;
pub mod team;
pub mod text;
pub mod units;

pub use access::UserRole;
pub use cccd::{Cccd, CccdError};
pub use money::Vnd;
pub use phone::{PhoneError, PhoneVn};
pub use team::{Gender, HealthIssue, Position, Role, TeamHealth};

//! Engagement Desk core: the domain rules and the storage of a drop-in center's front desk.
//!
//! This crate has no Tauri dependency. The desktop app, the command-line tool and the tests
//! all reach the database through [`db::Database`], so they are set up exactly alike.

pub mod anchor;
pub mod audit;
pub mod audit_viewer;
pub mod auth;
pub mod backup;
pub mod bindings;
pub mod clock;
pub mod copy;
pub mod days;
pub mod db;
pub mod demo;
pub mod error;
pub mod files;
pub mod guests;
pub mod queue;
pub mod referrals;
pub mod reports;
pub mod restrictions;
pub mod schedule;
pub mod settings;
pub mod sqlite;
pub mod status;
pub mod text;
pub mod visits;

pub use error::{AppError, ErrorCode, Result};

/// The version of Engagement Desk, written into new databases and shown by `--version`.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod layers;

//! The first administrator's account: a one-time code the command line issues
//! (`senco user bootstrap`) and the setup page takes.

/// The setting holding the SHA-256 of the pending bootstrap code.
pub const TOKEN_SETTING: &str = "bootstrap.token_hash";
/// The setting holding when the code stops working (UTC, RFC 3339).
pub const EXPIRES_SETTING: &str = "bootstrap.expires_at";
/// How long a bootstrap code works.
pub const LIFETIME: time::Duration = time::Duration::hours(24);

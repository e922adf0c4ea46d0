//! What the two adapters share on the HTTP side: the caller of a request, errors as responses
//! (the one place a [`crate::error::Kind`] becomes a status), file downloads and uploads, the
//! session's sign-in and its CSRF token, the sign-in rate limit. `api/` and `web/` use this;
//! the operations (`ops/`) never do.

pub mod caller;
pub mod download;
pub mod problem;
pub mod session;
pub mod upload;

pub use problem::{Problem, status_of};

/// The login rate limit's configuration.
/// Shared by the API's and the pages' sign-in, so both count against one limit per client.
pub type Limiter = Option<
    std::sync::Arc<
        tower_governor::governor::GovernorConfig<
            crate::ClientIp,
            governor::middleware::NoOpMiddleware,
        >,
    >,
>;

/// Percent-encodes a path or query value for a link or a header.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

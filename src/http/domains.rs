//! `/domains`: the one default domain, derived from the base URL.
pub async fn list() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("domains")
}

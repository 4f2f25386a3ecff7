//! `/tags`: list, stats, rename and delete tags (Shlink v3 contract).
pub async fn list() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("tags")
}
pub async fn rename() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("tags")
}
pub async fn delete() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("tags")
}
pub async fn stats() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("tags")
}

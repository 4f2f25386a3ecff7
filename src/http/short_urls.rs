//! `/short-urls`: create, list, read, edit and delete links (Shlink v3 contract).
pub async fn list() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("short-urls")
}
pub async fn create() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("short-urls")
}
pub async fn get() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("short-urls")
}
pub async fn edit() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("short-urls")
}
pub async fn delete() -> super::error::ApiError {
    super::error::ApiError::NotImplemented("short-urls")
}

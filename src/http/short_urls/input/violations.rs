//! `Violations`: the refused fields of one request, collected so one answer names them all.

use crate::http::error::ApiError;

/// The refused fields of one request and why.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    refused: Vec<(String, String)>,
}

impl Violations {
    /// Records that `field` was refused for `detail`.
    pub(crate) fn add(&mut self, field: &str, detail: impl Into<String>) {
        self.refused.push((field.to_owned(), detail.into()));
    }

    /// Each refusal as `(field, reason)`, in the order found (the pages show them per field).
    pub(crate) fn refused(&self) -> &[(String, String)] {
        &self.refused
    }

    /// The value, or `None` after recording the error against `field`.
    pub(crate) fn check<T, E: ToString>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|err| self.add(field, err.to_string())).ok()
    }

    /// Whether no field was refused.
    pub(crate) fn is_empty(&self) -> bool {
        self.refused.is_empty()
    }

    /// `Ok` when nothing was refused, else [`Self::into_error`].
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// One `invalid-data` error naming every refused field.
    pub(crate) fn into_error(self) -> ApiError {
        let mut elements: Vec<String> = Vec::new();
        for (field, _) in &self.refused {
            if !elements.contains(field) {
                elements.push(field.clone());
            }
        }
        let details: Vec<&str> = self.refused.iter().map(|(_, d)| d.as_str()).collect();
        ApiError::InvalidData {
            detail: details.join("; "),
            elements,
        }
    }
}

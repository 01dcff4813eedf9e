//! The `json` view (to be written).

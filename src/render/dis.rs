//! The `dis` view (to be written).

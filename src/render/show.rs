//! The `show` view (to be written).

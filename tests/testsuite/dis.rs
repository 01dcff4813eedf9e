//! Tests of dis (to be written).

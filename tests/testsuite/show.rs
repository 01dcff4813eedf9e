//! Tests of show (to be written).

//! Tests of properties (to be written).

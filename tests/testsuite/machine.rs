//! Tests of machine (to be written).

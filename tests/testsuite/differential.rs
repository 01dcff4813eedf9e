//! Tests of differential (to be written).

//! Tests of scan (to be written).

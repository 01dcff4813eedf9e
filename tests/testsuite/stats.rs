//! Tests of stats (to be written).

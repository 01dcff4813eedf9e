//! Tests of json (to be written).

//! Tests of models (to be written).

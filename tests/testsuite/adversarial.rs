//! Tests of adversarial (to be written).

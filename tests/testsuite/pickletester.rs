//! Tests of pickletester (to be written).

//! Tests of recognizers (to be written).

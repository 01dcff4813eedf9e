//! Benchmarks of `load` (to be written).
fn main() {}

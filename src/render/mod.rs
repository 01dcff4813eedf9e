//! Views of a loaded graph. A view reads the graph; it never re-runs opcodes.

mod printable;
pub mod repr;
pub mod scalar;

//! Views of a loaded graph. A view reads the graph; it never re-runs opcodes.

pub mod dis;
pub mod json;
mod printable;
pub mod repr;
pub mod scalar;
pub mod show;

//! Views of a loaded graph. A view reads the graph; it never re-runs opcodes.

pub mod dis;
pub mod elision;
pub(crate) mod inert;
pub mod json;
pub mod repr;
pub mod show;
pub mod skeleton;
pub mod values;

//! The one integration test binary: a module per area.

mod common;

mod adversarial;
mod cli;
mod containers;
mod convert;
mod differential;
mod direct;
mod dis;
mod errors;
mod json;
mod layers;
mod machine;
mod models;
mod pandas_text;
mod parity;
mod pickletester;
mod properties;
mod recognizers;
mod scan;
mod scan_dir;
mod scan_policy;
mod show;
mod soundness;
mod soundness_check;
mod stats;
mod text_files;
mod values;
mod weights_only;
mod zoo;
mod zoo_models;
mod zoo_tensors;

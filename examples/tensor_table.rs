//! Lists the tensors of a PyTorch checkpoint, zip or legacy, with where each one's data
//! lies in the file: what a Rust program needs to read weights without Python.
//!
//! ```sh
//! cargo run --release --example tensor_table -- model.pt
//! ```
//!
//! Only the archive's directory and the pickle are read; the file is memory-mapped, so
//! the tensor data is never paged in.

use std::process::ExitCode;

use picklegraph::model::Checkpoint;
use picklegraph::python::torch::{human_size, shape_list, thousands};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tensor_table CHECKPOINT");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{path}: {error}");
            ExitCode::from(1)
        }
    }
}

fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::fs::File::open(path)?;
    // SAFETY: the map is only read; a file truncated meanwhile could fault, as with any
    // memory-mapped reader.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let checkpoint = Checkpoint::open(&map)?;
    let pickle = checkpoint.load()?;
    let weights = checkpoint.weights(&pickle)?;
    let (mut parameters, mut bytes) = (0u64, 0u64);
    for weight in &weights {
        let numel: u64 = weight.shape.iter().product();
        parameters += numel;
        bytes += numel * u64::from(weight.dtype.size);
        let range = weight.data.as_ref().map_or_else(
            || "not stored".to_string(),
            |r| format!("{}..{}", r.start, r.end),
        );
        println!(
            "{:<40} {:<9} {:<14} {}",
            weight.name,
            weight.dtype.name,
            shape_list(&weight.shape),
            range
        );
    }
    println!(
        "{} tensors, {} parameters, {}",
        weights.len(),
        thousands(parameters),
        human_size(bytes)
    );
    Ok(())
}

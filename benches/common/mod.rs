//! What the benches share: finding the generated inputs, and skipping (with a message)
//! those that `benches/make_inputs.py` has not written.

use std::path::PathBuf;

/// Where `python3 benches/make_inputs.py` writes the inputs.
pub fn inputs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-inputs")
}

/// The bytes of input `name`, or `None` (after saying why) when it was not generated.
pub fn read_input(name: &str) -> Option<Vec<u8>> {
    let path = inputs_dir().join(format!("{name}.pkl"));
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            eprintln!(
                "skipping {name}: {} ({err}); run `python3 benches/make_inputs.py {name}` to make it",
                path.display()
            );
            None
        }
    }
}

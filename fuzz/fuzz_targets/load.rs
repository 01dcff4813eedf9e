//! Loads any bytes under `LoadOptions::strict()` and runs every view of what loaded (or
//! of what was rebuilt before the error): repr, scan, show, json and dis. A panic, an
//! overflow, a timeout or an allocation past libFuzzer's limit is a bug.
//!
//! Run it (stable Rust, see fuzz/README.md): `RUSTC_BOOTSTRAP=1 cargo fuzz run load`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use picklegraph::render::{dis, json, repr, show};
use picklegraph::scan::FileScan;
use picklegraph::LoadOptions;

fuzz_target!(|input: &[u8]| {
    let options = LoadOptions::strict();
    let show_options = show::ShowOptions::default();
    for result in picklegraph::load_all(input).with_options(options.clone()) {
        match result {
            Ok(pickle) => {
                let (start, end) = pickle.span();
                assert!(start < end && end <= input.len());
                let _ = repr::repr(&pickle, pickle.root(), 1 << 16);
                for effect in pickle.effects() {
                    let _ = repr::repr(&pickle, effect.value, 1 << 12);
                }
                let _ = show::show(&pickle, &show_options, std::io::sink());
                let _ = json::write_json(&pickle, None, std::io::sink());
            }
            Err(failure) => {
                assert!(failure.error.offset() <= input.len() as u64, "{}", failure.error);
                let _ = repr::repr(&failure.partial, failure.partial.root(), 1 << 12);
                let _ = show::show_failure(&failure, &show_options, std::io::sink());
                let _ = json::write_failure_json(&failure, None, std::io::sink());
            }
        }
    }
    let _ = dis::dis_all(input, &dis::DisOptions::default(), &mut std::io::sink());
    // The scan of every pickle (or of the partial graph of a malformed one), as text
    // and JSON.
    let scan = FileScan::of(input, &options, false);
    let _ = scan.to_json();
    let _ = scan.write_text(&mut std::io::sink());
});

//! The scan's readings as CPython's unpicklers (`scan::readings`) against picklegraph's
//! own: where a reading notes no divergence, it must be the machine's reading, pickle for
//! pickle (same starts, same opcodes), because the scan then skips it. Where the machine
//! loaded every pickle of the input whole and none stopped inside a frame with bytes left,
//! no reading may note a divergence: the scan then does not walk the readings at all
//! (`FileScan::read_as_cpython`). Also: no walk panics, and no walk writes more bytes than
//! the input holds (plus one newline a line).
//!
//! Run it (stable Rust, see fuzz/README.md):
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run scan_readings`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use picklegraph::scan::readings::{walk, Unpickler};
use picklegraph::LoadOptions;

fuzz_target!(|input: &[u8]| {
    let options = LoadOptions::scanning();
    // The machine's pickles: their starts, and the end of the last one that loaded.
    let mut starts = Vec::new();
    let mut failed = false;
    let mut stopped_inside_frame = false;
    let mut at = 0;
    while at < input.len() {
        starts.push(at);
        match picklegraph::load_at(input, at, &options) {
            Ok(pickle) => {
                at = pickle.span().1;
                stopped_inside_frame |= pickle.stopped_inside_frame();
            }
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    for unpickler in Unpickler::ALL {
        let reading = walk(input, unpickler, true);
        let written: usize = reading.pickles.iter().map(|p| p.bytes.len()).sum();
        assert!(written <= 2 * input.len() + 2, "{unpickler:?} wrote {written} bytes");
        if !failed && !stopped_inside_frame {
            assert_eq!(
                reading.divergences,
                [],
                "{unpickler:?} reads otherwise a stream the machine loaded whole"
            );
        }
        if !reading.divergences.is_empty() {
            continue;
        }
        let walked: Vec<usize> = reading.pickles.iter().map(|p| p.start).collect();
        if failed {
            // The machine may stop on a semantic error before the unpickler's read fails:
            // its pickles are a prefix of the walk's.
            assert!(walked.len() >= starts.len(), "{unpickler:?}: {walked:?} {starts:?}");
            assert_eq!(walked[..starts.len()], starts[..], "{unpickler:?}");
        } else {
            assert_eq!(walked, starts, "{unpickler:?}");
        }
    }
});

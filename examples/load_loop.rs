//! Loads a pickle file N times and prints the median time: a target for `perf record`
//! when profiling `load` alone (`cargo run --release --example load_loop FILE [N]`).

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: load_loop FILE [N]");
    let runs: usize = args.next().map_or(5, |n| n.parse().expect("N is a count"));
    let bytes = std::fs::read(&path).expect("readable file");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = std::time::Instant::now();
        let pickle = picklegraph::load(&bytes).expect("a well-formed pickle");
        times.push(start.elapsed());
        drop(pickle);
    }
    times.sort();
    // The fastest run beside the median: on a shared machine, the one least disturbed.
    println!(
        "{path}: median {:?} of {runs}, fastest {:?}",
        times[runs / 2],
        times[0]
    );
}

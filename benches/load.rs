//! `load` on every generated input (`python3 benches/make_inputs.py` first; a missing
//! input is skipped with a message), in bytes per second of pickle.
//!
//! `cargo bench --bench load`, or `cargo bench --bench load -- records` for one input.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod common;

/// Every input `make_inputs.py` writes, the 256 MB numpy array included: its load time
/// must not depend on its size, since its payload is borrowed, not copied.
const INPUTS: &[&str] = &[
    "ints",
    "strs",
    "records",
    "nested",
    "floats_p2",
    "ints_p0",
    "cloud",
    "numpy_big",
    "memo_bomb",
];

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for &name in INPUTS {
        let Some(bytes) = common::read_input(name) else {
            continue;
        };
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| picklegraph::load(bytes).expect("generated inputs load"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);

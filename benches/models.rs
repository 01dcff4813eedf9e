//! The tensor table of a ~20 MiB checkpoint, zip and legacy: open the file, load its
//! pickle, place every tensor's bytes and write the table. The checkpoints are made by
//! `tests/fixtures/gen/model_cases.py --big target/model-bench` (run here when missing);
//! BENCHMARKS.md quotes the figures.

use std::path::PathBuf;
use std::process::Command;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use picklegraph::model::Checkpoint;
use picklegraph::python::torch;

fn big_checkpoint(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let directory = root.join("target/model-bench");
    if !directory.join(name).exists() {
        let status = Command::new("python3")
            .arg(root.join("tests/fixtures/gen/model_cases.py"))
            .arg("--big")
            .arg(&directory)
            .status()
            .expect("python3 runs");
        assert!(status.success(), "model_cases.py --big failed");
    }
    std::fs::read(directory.join(name)).expect("the checkpoint was written")
}

/// Everything `picklegraph show` does for a checkpoint's tensor table.
fn tensor_table(bytes: &[u8]) -> usize {
    let checkpoint = Checkpoint::open(bytes).unwrap();
    let pickle = checkpoint.load().unwrap();
    let weights = checkpoint.weights(&pickle).unwrap();
    let tensors = torch::find_tensors(&pickle);
    let table = torch::table(tensors.iter().map(|t| (t.name.as_str(), &t.tensor)));
    weights.len() + table.len()
}

fn bench_tensor_tables(c: &mut Criterion) {
    let mut group = c.benchmark_group("tensor_table");
    for name in ["big.pt", "big_legacy.pt"] {
        let bytes = big_checkpoint(name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| tensor_table(black_box(&bytes))));
    }
    group.finish();
}

criterion_group!(benches, bench_tensor_tables);
criterion_main!(benches);

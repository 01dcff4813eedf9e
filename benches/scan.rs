//! The library's scan of a whole file (`scan::scan_file`: open, load, classify, and
//! CPython's other readings), one core: bytes per second on the large generated inputs
//! (`python3 benches/make_inputs.py` first; a missing one is skipped with a message), and
//! files per second on small pickles, which is what `scan DIR` does per file after
//! reading it. `benches/compare.py --scan` times the command on folders against
//! picklescan.
//!
//! `cargo bench --bench scan`, or `cargo bench --bench scan -- small` for one group.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

mod common;

const INPUTS: &[&str] = &["ints", "strs", "records", "nested", "floats_p2", "cloud"];

fn bench_large(c: &mut Criterion) {
    let mut group = c.benchmark_group("scan_file");
    group.sample_size(10);
    for &name in INPUTS {
        let Some(bytes) = common::read_input(name) else {
            continue;
        };
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| picklegraph::scan::scan_file(bytes, false));
        });
    }
    group.finish();
}

/// A thousand small pickles of the kinds a folder of configs and small models holds:
/// a dict of settings, a list of floats, an OrderedDict built by REDUCE, and text that is
/// not a pickle.
fn small_files() -> Vec<Vec<u8>> {
    (0..1000u32)
        .map(|i| match i % 4 {
            0 => {
                let mut bytes =
                    b"\x80\x04}\x94(\x8c\x04name\x94\x8c\x05model\x94\x8c\x05layer\x94K".to_vec();
                bytes.push((i % 100) as u8);
                bytes.extend(b"\x8c\x04rate\x94G?\xb9\x99\x99\x99\x99\x99\x9au.");
                bytes
            }
            1 => {
                let mut bytes = b"\x80\x04]\x94(".to_vec();
                for k in 0..(50 + i % 50) {
                    bytes.push(b'G');
                    bytes.extend((f64::from(k) * 0.5).to_be_bytes());
                }
                bytes.extend(b"e.");
                bytes
            }
            2 => b"ccollections\nOrderedDict\n)R(S'a'\nI1\nsb.".to_vec(),
            _ => format!("chat_template: \"{{% for m in messages %}}{i}\"\n").into_bytes(),
        })
        .collect()
}

fn bench_small(c: &mut Criterion) {
    let files = small_files();
    let mut group = c.benchmark_group("scan_file_small");
    group.sample_size(20);
    group.throughput(Throughput::Elements(files.len() as u64));
    group.bench_function("1000 files", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|bytes| picklegraph::scan::scan_file(bytes, false).pickles.len())
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, bench_large, bench_small);
criterion_main!(benches);

//! Every view on `records` and `cloud`, rendered from an already loaded graph, in bytes
//! per second of pickle: the targets compare each with `load` alone.
//!
//! `cargo bench --bench views`. A view is one row of [`VIEWS`]; `show`, `dis` and `json`
//! join it as one line each once their renderers are on this branch.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use picklegraph::Pickle;

mod common;

const INPUTS: &[&str] = &["records", "cloud"];

/// A view renders one loaded pickle (and, for `dis`, its bytes) into text.
type View = fn(&Pickle<'_>, &[u8]) -> usize;

fn repr_view(pickle: &Pickle<'_>, _bytes: &[u8]) -> usize {
    let (text, _) = picklegraph::render::repr::repr(
        pickle,
        pickle.root(),
        picklegraph::render::repr::DEFAULT_MAX_BYTES,
    );
    text.len()
}

fn stats_view(pickle: &Pickle<'_>, _bytes: &[u8]) -> usize {
    picklegraph::stats::stats(pickle, picklegraph::stats::DEFAULT_LARGEST)
        .largest
        .len()
}

// To enable a view once it has landed, add its row, e.g.
//   ("show", |p, _| picklegraph::render::show::show(p, &Default::default()).len()),
//   ("json", |p, _| picklegraph::render::json::to_json(p).len()),
//   ("dis", |_, bytes| picklegraph::render::dis::dis(bytes).len()),
const VIEWS: &[(&str, View)] = &[("repr", repr_view), ("stats", stats_view)];

fn bench_views(c: &mut Criterion) {
    let mut group = c.benchmark_group("views");
    group.sample_size(10);
    for &name in INPUTS {
        let Some(bytes) = common::read_input(name) else {
            continue;
        };
        let pickle = picklegraph::load(&bytes).expect("generated inputs load");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        for &(view, render) in VIEWS {
            group.bench_with_input(BenchmarkId::new(view, name), &pickle, |b, pickle| {
                b.iter(|| render(pickle, &bytes));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_views);
criterion_main!(benches);

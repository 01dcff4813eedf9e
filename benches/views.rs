//! Every view on `records` and `cloud`, rendered from an already loaded graph, in bytes
//! per second of pickle: the targets compare each with `load` alone.
//!
//! `cargo bench --bench views`, or `cargo bench --bench views -- show` for one view.

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

fn show_view(pickle: &Pickle<'_>, _bytes: &[u8]) -> usize {
    let options = picklegraph::render::show::ShowOptions::default();
    let mut out = Counted(0);
    picklegraph::render::show::show(pickle, &options, &mut out).expect("writing to memory");
    out.0
}

fn json_view(pickle: &Pickle<'_>, _bytes: &[u8]) -> usize {
    let mut out = Counted(0);
    picklegraph::render::json::write_json(pickle, None, &mut out).expect("writing to memory");
    out.0
}

fn dis_view(_pickle: &Pickle<'_>, bytes: &[u8]) -> usize {
    let options = picklegraph::render::dis::DisOptions::default();
    let mut out = Counted(0);
    picklegraph::render::dis::dis(bytes, 0, &options, &mut out)
        .expect("generated inputs disassemble");
    out.0
}

/// A writer that only counts, so a view's time is its rendering, not a copy of its text.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every view: `dis` reads the bytes, the others the loaded graph.
const VIEWS: &[(&str, View)] = &[
    ("repr", repr_view),
    ("show", show_view),
    ("json", json_view),
    ("dis", dis_view),
    ("stats", stats_view),
];

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

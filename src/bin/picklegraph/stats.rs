//! `picklegraph stats`: what takes the space, and how long the load took.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use picklegraph::stats::{stats, Stats, DEFAULT_LARGEST};
use picklegraph::Problem;

use crate::contents;
use crate::input::{self, Input};
use crate::{Files, EXIT_OK};

/// Arguments of `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    files: Files,
    /// Print one JSON object per pickle instead of text.
    #[arg(long)]
    json: bool,
    /// How many of the largest payloads to list.
    #[arg(long, default_value_t = DEFAULT_LARGEST)]
    largest: usize,
}

/// Runs `stats`.
pub fn run(args: &StatsArgs) -> u8 {
    let buffers = match contents::Buffers::read(&args.files) {
        Ok(buffers) => buffers,
        Err(code) => return code,
    };
    let slices = buffers.slices();
    input::for_each(&args.files, |input, out| {
        // Every pickle of the input, as the other views find them (a checkpoint's
        // data.pkl, a joblib file's pickles around its arrays, a compressed stream's).
        let opened = contents::open(input);
        if let (Some(description), false) = (opened.description(), args.json) {
            let _ = writeln!(out, "# {description}");
        }
        let load = args.files.load_options(false);
        let mut pickles = contents::pickles(&opened, &slices, &load);
        let mut index = 0;
        let mut code = EXIT_OK;
        loop {
            let (started, cpu_started) = (Instant::now(), cpu_time());
            let Some(entry) = pickles.next() else {
                break;
            };
            let load_time = started.elapsed();
            let load_cpu = cpu_time()
                .zip(cpu_started)
                .map(|(end, start)| end.saturating_sub(start));
            let pickle = match &entry.result {
                Ok(pickle) => pickle,
                Err(problem @ Problem::Trailing { .. }) => {
                    let note = contents::trailing_note(entry.label.as_deref(), problem);
                    if args.json {
                        contents::warn_trailing(&input.name, entry.label.as_deref(), problem, out);
                    } else {
                        let _ = writeln!(out, "\n# note: {note}");
                    }
                    continue;
                }
                Err(problem) => {
                    code = contents::report(&input.name, entry.label.as_deref(), problem, out);
                    continue;
                }
            };
            let started = Instant::now();
            let summary = stats(pickle, args.largest);
            let report = Report {
                input,
                format: opened.description(),
                label: entry.label.as_deref(),
                index,
                span: pickle.span(),
                protocol: pickle.protocol(),
                load_time,
                load_cpu,
                stats_time: started.elapsed(),
                stats: &summary,
            };
            let _ = if args.json {
                report.write_json(out)
            } else {
                report.write_text(out)
            };
            index += 1;
        }
        code
    })
}

struct Report<'r> {
    input: &'r Input,
    /// What holds the pickles, for a model file (`# PyTorch zip checkpoint: …`).
    format: Option<&'r str>,
    /// What this pickle is inside a model file (`# legacy: storage keys`).
    label: Option<&'r str>,
    index: usize,
    span: (usize, usize),
    protocol: u8,
    load_time: Duration,
    load_cpu: Option<Duration>,
    stats_time: Duration,
    stats: &'r Stats,
}

/// The CPU time this thread has run (`CLOCK_THREAD_CPUTIME_ID`, what Python's
/// `time.thread_time` reads): on a busy machine the wall time of a load measures the
/// other processes too, the CPU time only the load.
#[allow(unsafe_code)]
fn cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `now` is.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (status == 0).then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}

impl Report<'_> {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let s = self.stats;
        let len = self.span.1 - self.span.0;
        if self.index > 0 {
            writeln!(out)?;
        }
        if let Some(label) = self.label {
            writeln!(out, "# {label}")?;
        }
        writeln!(
            out,
            "pickle       #{} at bytes {}..{} ({len} bytes, protocol {})",
            self.index, self.span.0, self.span.1, self.protocol
        )?;
        let rate = len as f64 / self.load_time.as_secs_f64().max(1e-9) / 1e6;
        write!(
            out,
            "load time    {:.3} ms ({rate:.0} MB/s)",
            millis(self.load_time)
        )?;
        match self.load_cpu {
            Some(cpu) => writeln!(out, ", {:.3} ms on the CPU", millis(cpu))?,
            None => writeln!(out)?,
        }
        writeln!(out, "stats time   {:.3} ms", millis(self.stats_time))?;
        writeln!(out, "nodes        {}", s.nodes)?;
        writeln!(out, "memo         {} entries", s.memo_len)?;
        writeln!(out, "max depth    {}", s.max_depth)?;
        writeln!(out, "effects      {}", s.effects)?;
        writeln!(out, "objects by kind:")?;
        for (kind, count) in &s.kinds {
            writeln!(out, "  {kind:<12} {count}")?;
        }
        writeln!(out, "bytes by kind:")?;
        for (kind, count) in &s.bytes {
            writeln!(out, "  {kind:<12} {count}")?;
        }
        if !s.largest.is_empty() {
            writeln!(out, "largest payloads:")?;
        }
        for payload in &s.largest {
            let path = payload.path.as_deref().unwrap_or("(unreachable)");
            writeln!(out, "  {:>12}  {:<9}  {path}", payload.len, payload.kind)?;
        }
        if !s.globals.is_empty() {
            writeln!(out, "globals (nodes, references):")?;
        }
        for (name, global) in &s.globals {
            writeln!(
                out,
                "  {:>6} {:>6}  {name}",
                global.nodes, global.references
            )?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let s = self.stats;
        let largest: Vec<_> = s
            .largest
            .iter()
            .map(|p| serde_json::json!({"len": p.len, "kind": p.kind, "node": p.node.index(), "path": p.path}))
            .collect();
        let globals: serde_json::Map<String, serde_json::Value> = s
            .globals
            .iter()
            .map(|(name, g)| {
                (
                    name.clone(),
                    serde_json::json!({"nodes": g.nodes, "references": g.references}),
                )
            })
            .collect();
        let value = serde_json::json!({
            "file": self.input.name,
            "format": self.format,
            "label": self.label,
            "index": self.index,
            "span": [self.span.0, self.span.1],
            "protocol": self.protocol,
            "load_seconds": self.load_time.as_secs_f64(),
            "load_cpu_seconds": self.load_cpu.map(|cpu| cpu.as_secs_f64()),
            "stats_seconds": self.stats_time.as_secs_f64(),
            "nodes": s.nodes,
            "memo_len": s.memo_len,
            "max_depth": s.max_depth,
            "effects": s.effects,
            "kinds": s.kinds,
            "bytes": s.bytes,
            "largest": largest,
            "globals": globals,
        });
        writeln!(out, "{value}")
    }
}

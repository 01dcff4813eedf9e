//! `picklegraph._native`: the library's calls for the Python package (`python/picklegraph/`),
//! which wraps them in its typed, documented API. Everything here calls the picklegraph
//! library; the `picklegraph` command runs the command's own code (picklegraph-cli).
//!
//! Nothing a pickle names is imported or called here either: the only Python objects
//! made are Python's own data types and the package's inert classes.

mod convert;
mod direct;
mod report;
mod source;

use picklegraph::model::{Checkpoint, Format};
use picklegraph::render::dis::{dis_pickles, DisOptions};
use picklegraph::render::{json, show};
use picklegraph::scan::Mode;
use picklegraph::{
    DecodeErrors, Entry, Error, ErrorKind, LoadOptions, Pickle, Problem, StringEncoding,
};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::report::{user_policy, Judging, ScanReport};
use crate::source::Source;

/// The exception raised for a load error: the package's `PickleError` subclass that
/// `_raise_error` picks from the error's kind.
fn load_error(py: Python<'_>, error: &Error) -> PyErr {
    let kind = format!("{:?}", error.kind());
    let kind = kind
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string();
    let raised = py.import("picklegraph._errors").and_then(|errors| {
        errors.getattr("_make_error")?.call1((
            error.to_string(),
            error.offset(),
            error.opcode().map(|op| op.name()),
            kind,
        ))
    });
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(err) => err,
    }
}

/// The options of `loads`: the limits of [`LoadOptions`], `encoding=` and `errors=`, by
/// the names the command's `--encoding` and `--errors` take (Python's codec names).
fn load_options(
    encoding: &str,
    errors: &str,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<LoadOptions> {
    let string_encoding = StringEncoding::from_name(encoding).ok_or_else(|| {
        PyValueError::new_err(format!(
            "encoding {encoding:?} is not supported: picklegraph decodes ascii, latin1, \
             cp1252 and utf-8, or keeps bytes"
        ))
    })?;
    let string_errors = DecodeErrors::from_name(errors).ok_or_else(|| {
        PyValueError::new_err(format!(
            "errors={errors:?} is not supported: picklegraph knows strict, ignore, replace, \
             backslashreplace, surrogateescape and surrogatepass"
        ))
    })?;
    let mut options = LoadOptions::default()
        .with_string_encoding(string_encoding)
        .with_string_errors(string_errors);
    for (key, item) in limits.into_iter().flat_map(|limits| limits.iter()) {
        let key: String = key.extract()?;
        match key.as_str() {
            "max_nodes" => options.max_nodes = item.extract()?,
            "max_memo_key" => options.max_memo_key = item.extract()?,
            "max_stack" => options.max_stack = item.extract()?,
            "max_alloc_bytes" => options.max_alloc_bytes = item.extract()?,
            "max_int_digits" => options.max_int_digits = item.extract()?,
            other => return Err(PyValueError::new_err(format!("unknown limit {other:?}"))),
        }
    }
    Ok(options)
}

/// The package's `Global`, `Call`, `PersistentId`, `Extension`, `Buffer` and `ReadOnly`.
type InertClasses<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
);

/// `loads`: the first pickle of `data` as Python objects, and the byte after its `STOP`.
#[pyfunction]
#[pyo3(signature = (data, encoding, errors, classes, buffers=None, limits=None))]
fn loads<'py>(
    py: Python<'py>,
    data: &[u8],
    encoding: &str,
    errors: &str,
    classes: InertClasses<'py>,
    buffers: Option<Vec<Bound<'py, PyAny>>>,
    limits: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyAny>, usize)> {
    let options = load_options(encoding, errors, limits)?;
    // Plain data is made as the opcodes run; anything else (and any error but one the
    // objects raise, as an unhashable key's `TypeError`) is the graph's to decide.
    if let Some(built) = direct::load(py, data, &options)? {
        return Ok(built);
    }
    let (global, call, persistent, extension, buffer, read_only) = classes;
    // The graph records only which buffer each NEXT_BUFFER takes; the objects come from
    // the caller's list itself.
    let empty: Vec<&[u8]> = vec![&[]; buffers.as_ref().map_or(0, Vec::len)];
    let loaded = match &buffers {
        Some(_) => picklegraph::load_with_buffers(data, &empty, &options),
        None => picklegraph::load_with(data, &options),
    };
    let pickle = loaded.map_err(|error| match error.kind() {
        // What `pickle.loads` raises for a list as a dict key, here too where the
        // pickle's globals made the graph build it.
        ErrorKind::Unhashable(_) => PyTypeError::new_err(error.kind().to_string()),
        _ => load_error(py, &error),
    })?;
    let classes = convert::Classes {
        global,
        call,
        persistent,
        extension,
        buffer,
        read_only,
        buffers,
    };
    Ok((convert::to_python(py, &pickle, &classes)?, pickle.span().1))
}

/// `scan`: the library's scan of a whole file, containers and all, as the command's,
/// judged as `judging` says; `name` is the file's name in the SARIF log.
#[pyfunction]
fn scan(py: Python<'_>, source: Source, judging: Judging, name: String) -> PyResult<ScanReport> {
    let policy = judging.policy()?;
    let bytes = source.bytes()?;
    let scan = py.allow_threads(|| {
        picklegraph::scan::scan_file(&bytes, judging.mode() == Mode::Strict)
            .with_mode(judging.mode())
            .with_policy(policy)
    });
    Ok(ScanReport::new(scan, name))
}

/// `convert`: the checkpoint at `source` written as safetensors at `output` (the
/// library's [`picklegraph::convert`]): the names written, or, when the scan refuses the
/// file, its report, as `(names, None)` or `(None, report)`. A tensor safetensors cannot
/// hold, or a file that is no checkpoint, raises `ValueError` with the reason; the
/// writer's failure, `OSError`.
#[pyfunction(name = "convert")]
fn convert_file(
    py: Python<'_>,
    source: Source,
    output: std::path::PathBuf,
    judging: Judging,
    name: String,
) -> PyResult<(Option<Vec<String>>, Option<ScanReport>)> {
    use picklegraph::convert::{ConvertError, ConvertOptions};
    let options = ConvertOptions::new(judging.mode(), judging.policy()?);
    let bytes = source.bytes()?;
    py.allow_threads(
        || match picklegraph::convert::to_file(&bytes, &options, &output) {
            Ok(conversion) => Ok((
                Some(conversion.tensors.into_iter().map(|t| t.name).collect()),
                None,
            )),
            Err(ConvertError::Refused(report)) => Ok((None, Some(ScanReport::new(*report, name)))),
            Err(error @ ConvertError::Write(_)) => Err(PyOSError::new_err(error.to_string())),
            Err(error) => Err(PyValueError::new_err(error.to_string())),
        },
    )
}

/// Whether `safe_load`'s `find_class` may hand out `module.name`, as the library's
/// `Policy::judge_name` answers with the same `policy`, `allow` and `deny` as the scan:
/// `True`, `False`, or `None` for a name the scan passes only for its arguments
/// (`getattr`, `type`, `torch.storage._load_from_bytes`), which `find_class` hands out
/// as a guard. Names are read as Python 3 names, as the scan and CPython's unpickler
/// (protocols 0-2) map them.
#[pyfunction]
#[pyo3(signature = (module, name, allow=Vec::new(), deny=Vec::new(), policy=None))]
fn is_allowed(
    module: &str,
    name: &str,
    allow: Vec<String>,
    deny: Vec<String>,
    policy: Option<String>,
) -> PyResult<Option<bool>> {
    use picklegraph::scan::policy::NameVerdict;
    let user = user_policy(policy.as_deref(), &allow, &deny)?;
    Ok(match user.judge_name(module, name) {
        NameVerdict::Allowed => Some(true),
        NameVerdict::Refused => Some(false),
        NameVerdict::ByArguments => None,
    })
}

/// The check `safe_load` guards a global with when the scan passes it only for its
/// arguments (`"getattr"`, `"type"`, `"load_from_bytes"`), Python 2 names mapped as the
/// scan maps them; None for any other name. With no arguments, every row of the
/// library's table (`JUDGED_BY_ARGUMENTS`) as `(module, name, check)`.
#[pyfunction]
#[pyo3(signature = (module=None, name=None))]
fn argument_checks(
    module: Option<&str>,
    name: Option<&str>,
) -> Vec<(&'static str, &'static str, &'static str)> {
    use picklegraph::scan::policy::{ArgumentCheck, JUDGED_BY_ARGUMENTS};
    let asked = module.zip(name).map(|(m, n)| ArgumentCheck::of(m, n));
    JUDGED_BY_ARGUMENTS
        .iter()
        .filter(|(_, _, check)| asked.is_none() || asked == Some(Some(*check)))
        .map(|&(module, name, check)| (module, name, check.name()))
        .collect()
}

/// The exception for an entry's problem.
fn problem_error(py: Python<'_>, problem: &Problem<'_>) -> PyErr {
    match problem {
        Problem::Malformed(failure) => load_error(py, &failure.error),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// A pickle with its label in the file.
type Labelled<'s> = (Option<String>, Pickle<'s>);

/// The pickles of a source, each with its label, as the command finds them, and the
/// notes for bytes after a last `STOP` that are no pickle (`pickle.loads` ignores them,
/// so they raise nothing); the first other problem raises.
fn each_pickle<'s>(
    py: Python<'_>,
    opened: &'s picklegraph::Opened<'_>,
) -> PyResult<(Vec<Labelled<'s>>, Vec<String>)> {
    let mut pickles = Vec::new();
    let mut notes = Vec::new();
    for Entry { label, result, .. } in opened.pickles() {
        match result {
            Ok(pickle) => pickles.push((label, pickle)),
            Err(problem @ Problem::Trailing { .. }) => notes.push(match label {
                Some(label) => format!("{label}: {problem}"),
                None => problem.to_string(),
            }),
            Err(problem) => return Err(problem_error(py, &problem)),
        }
    }
    Ok((pickles, notes))
}

/// One view of every pickle of a source, each after its label, as the command prints it,
/// then, when `notes`, its notes on bytes that are no pickle (`# note: …`); comment lines
/// wrapped at `width`, as the command's `show` wraps them.
fn each_view(
    py: Python<'_>,
    source: Source,
    notes: bool,
    width: usize,
    mut view: impl FnMut(&mut String, &Pickle<'_>),
) -> PyResult<String> {
    let bytes = source.bytes()?;
    let mut text = String::new();
    let opened = picklegraph::open(&bytes);
    let (pickles, trailing) = each_pickle(py, &opened)?;
    for (index, (label, pickle)) in pickles.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        if let Some(label) = label {
            push_comment(&mut text, &format!("# {label}"), width);
        }
        view(&mut text, pickle);
    }
    for note in trailing.iter().filter(|_| notes) {
        push_comment(&mut text, &format!("# note: {note}"), width);
    }
    Ok(text)
}

/// Pushes a `# …` comment line, wrapped at `width`.
fn push_comment(text: &mut String, comment: &str, width: usize) {
    for line in show::doc::wrap_comment(comment, width) {
        text.push_str(&line);
        text.push('\n');
    }
}

/// `show`: the objects as indented Python-like text.
#[pyfunction]
#[pyo3(signature = (source, width=show::DEFAULT_WIDTH, depth=None, max_items=None,
                    max_string=show::DEFAULT_MAX_STRING, raw=false, summary=true,
                    max_bytes=None, full=false))]
#[allow(clippy::too_many_arguments)]
fn show_text(
    py: Python<'_>,
    source: Source,
    width: usize,
    depth: Option<usize>,
    max_items: Option<usize>,
    max_string: usize,
    raw: bool,
    summary: bool,
    max_bytes: Option<usize>,
    full: bool,
) -> PyResult<ShownText> {
    let mut options = show::ShowOptions::plain(width.max(1)).limited(&show::Limits {
        depth,
        max_items,
        max_bytes,
        max_string,
        full,
    });
    options.summary = summary;
    if !raw {
        options.recognizers = show::default_recognizers();
    }
    let bytes = source.bytes()?;
    Ok(show_opened(py, &picklegraph::open(&bytes), &options))
}

/// What `show` printed, and each problem as the command reports it on stderr (less the
/// file's name), with the exception for the first: `(text, [(message, exception)])`.
type ShownText = (String, Vec<(String, PyObject)>);

/// The command's `show` of one opened file, entry by entry as `picklegraph show` loops
/// over them: a malformed pickle shows what had been rebuilt (`show_failure_within`), a
/// part that could not be opened only its label; the problems are returned, not raised,
/// so that the caller can hand the text over with the error.
fn show_opened(
    py: Python<'_>,
    opened: &picklegraph::Opened<'_>,
    options: &show::ShowOptions,
) -> ShownText {
    let width = options.layout.width;
    let mut text = String::new();
    if let Some(line) = opened.description().filter(|_| options.summary) {
        push_comment(&mut text, &format!("# {line}"), width);
    }
    // The byte budget is the file's, as the command's is.
    let mut left = options.max_bytes;
    let mut trailing = Vec::new();
    let mut problems = Vec::new();
    let mut shown = 0;
    for Entry { label, result, .. } in opened.pickles() {
        if let Err(problem @ Problem::Trailing { .. }) = &result {
            trailing.push(labelled(label.as_deref(), problem));
            continue;
        }
        if left == 0 {
            text.push_str(&format!(
                "\n{}\n",
                show::others_not_shown_note(options.max_bytes, width)
            ));
            break;
        }
        if shown > 0 {
            text.push('\n');
        }
        shown += 1;
        if let Some(label) = label.as_deref().filter(|_| options.summary) {
            push_comment(&mut text, &format!("# {label}"), width);
        }
        let mut out = Vec::new();
        match &result {
            Ok(pickle) => {
                // The tensors' elements, from the storages beside the pickle, as the
                // command reads them.
                let storages =
                    picklegraph::model::storage_bytes(opened.bytes(), label.as_deref(), pickle);
                let _ = show::show_with_storages(pickle, options, &storages, &mut left, &mut out);
            }
            Err(Problem::Malformed(failure)) => {
                let _ = show::show_failure_within(failure, options, &mut left, &mut out);
            }
            Err(Problem::Unopened(_) | Problem::Trailing { .. }) => {}
        }
        text.push_str(&String::from_utf8_lossy(&out));
        if let Err(problem) = &result {
            let error = problem_error(py, problem).into_value(py).into_any();
            problems.push((labelled(label.as_deref(), problem), error));
        }
    }
    if options.summary {
        for note in opened.notes().iter().chain(&trailing) {
            push_comment(&mut text, &format!("# note: {note}"), width);
        }
    }
    (text, problems)
}

/// `LABEL: problem`, or the problem alone for a file's only part.
fn labelled(label: Option<&str>, problem: &Problem<'_>) -> String {
    match label {
        Some(label) => format!("{label}: {problem}"),
        None => problem.to_string(),
    }
}

/// `json`: the graph as JSON, one document per source, as the command writes it (less
/// `file`): one pickle's document, or one that holds several in `"pickles"`; bytes after
/// a last `STOP` that are no pickle in `"trailing"`.
#[pyfunction]
fn json_text(py: Python<'_>, source: Source) -> PyResult<String> {
    let bytes = source.bytes()?;
    let opened = picklegraph::open(&bytes);
    let mut trailing = Vec::new();
    let mut pickles = Vec::new();
    for Entry { label, result, .. } in opened.pickles() {
        match result {
            Ok(pickle) => pickles.push((label, pickle)),
            Err(
                ref problem @ Problem::Trailing {
                    start,
                    len,
                    ref failure,
                },
            ) => trailing.push(json::trailing_json(
                label.as_deref(),
                start,
                len,
                &failure.error,
                problem.to_string(),
            )),
            Err(problem) => return Err(problem_error(py, &problem)),
        }
    }
    let mut out = Vec::new();
    write_document(&opened, &pickles, trailing, &mut out)
        .map_err(|error| PyValueError::new_err(error.to_string()))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The JSON document of a file's pickles, shaped as the command's (less `file`): one
/// pickle's document, or one that holds theirs in `"pickles"`.
fn write_document(
    opened: &picklegraph::Opened<'_>,
    pickles: &[Labelled<'_>],
    trailing: Vec<serde_json::Value>,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    if let [(_, pickle)] = pickles {
        let fields: Vec<_> = (!trailing.is_empty())
            .then(|| ("trailing", serde_json::Value::from(trailing)))
            .into_iter()
            .collect();
        return json::write_json_with(pickle, &fields, out);
    }
    json::write_several_start(None, opened.description(), &mut *out)?;
    for (index, (label, pickle)) in pickles.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let fields: Vec<_> = label
            .as_deref()
            .map(|label| ("label", serde_json::Value::from(label)))
            .into_iter()
            .collect();
        json::write_json_with(pickle, &fields, &mut *out)?;
    }
    json::write_several_end(trailing, out)
}

/// `repr`: Python's repr() of each pickle's root.
#[pyfunction]
fn repr_text(py: Python<'_>, source: Source) -> PyResult<String> {
    each_view(py, source, false, usize::MAX, |text, pickle| {
        text.push_str(&picklegraph::render::repr::to_repr(pickle, pickle.root()));
        text.push('\n');
    })
}

/// `dis`: the opcodes as `pickletools.dis` lists them; a malformed pickle raises with
/// pickletools' message after the listing so far (in the exception's `listing`).
#[pyfunction]
#[pyo3(signature = (source, annotate=false, indentlevel=4))]
fn dis_text(
    py: Python<'_>,
    source: Source,
    annotate: bool,
    indentlevel: usize,
) -> PyResult<(String, Option<String>)> {
    let bytes = source.bytes()?;
    let options = DisOptions {
        indentlevel: indentlevel.min(1024),
        annotate: if annotate {
            picklegraph::render::dis::PICKLETOOLS_ANNOTATE_COLUMN
        } else {
            0
        },
    };
    let mut out = Vec::new();
    // Bytes after a last STOP that are no pickle are left out, as the command leaves them.
    let result = py.allow_threads(|| dis_pickles(&bytes, &options, &mut out));
    let text = String::from_utf8_lossy(&out).into_owned();
    Ok((text, result.err().map(|e| e.to_string())))
}

/// `stats`: for each pickle, the library's summary as a dict (`label`, `span`,
/// `protocol`, `nodes`, `memo_len`, `max_depth`, `effects`, `kinds`, `bytes`, `largest`,
/// `globals`).
#[pyfunction]
#[pyo3(signature = (source, largest=picklegraph::stats::DEFAULT_LARGEST))]
fn stats<'py>(
    py: Python<'py>,
    source: Source,
    largest: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let bytes = source.bytes()?;
    let mut summaries = Vec::new();
    let opened = picklegraph::open(&bytes);
    let (pickles, _trailing) = each_pickle(py, &opened)?;
    for (label, pickle) in pickles {
        {
            let summary = picklegraph::stats::stats(&pickle, largest);
            let dict = PyDict::new(py);
            dict.set_item("label", label)?;
            dict.set_item("span", pickle.span())?;
            dict.set_item("protocol", pickle.protocol())?;
            dict.set_item("nodes", summary.nodes)?;
            dict.set_item("memo_len", summary.memo_len)?;
            dict.set_item("max_depth", summary.max_depth)?;
            dict.set_item("effects", summary.effects)?;
            dict.set_item("kinds", summary.kinds)?;
            dict.set_item("bytes", summary.bytes)?;
            let payloads: Vec<(u64, &str, Option<String>)> = summary
                .largest
                .into_iter()
                .map(|payload| (payload.len, payload.kind, payload.path))
                .collect();
            dict.set_item("largest", payloads)?;
            let globals = PyDict::new(py);
            for (name, uses) in summary.globals {
                globals.set_item(name, (uses.nodes, uses.references))?;
            }
            dict.set_item("globals", globals)?;
            summaries.push(dict);
        }
    }
    Ok(summaries)
}

/// One tensor or array of a file: name, dtype, shape, strides (in elements), the byte
/// range of its data in the file (None when compressed, out of the file, or objects),
/// whether the bytes are little-endian, its storage's name, its first element's place in
/// the storage, and for numpy's and joblib's arrays numpy's description of the dtype
/// (`<f8`, or a structured dtype's list), which `array()` reads.
type TensorRow = (
    String,
    String,
    Vec<u64>,
    Vec<u64>,
    Option<(u64, u64)>,
    bool,
    String,
    u64,
    Option<String>,
    Option<String>,
);

/// `open`: the file's format and, for a checkpoint, an `.npy`, an `.npz` or a joblib
/// file, its tensors or arrays.
#[pyfunction]
fn tensors(py: Python<'_>, source: Source) -> PyResult<(String, Vec<TensorRow>)> {
    let folder = match &source {
        Source::Path(path) => Some(
            std::path::Path::new(path)
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default(),
        ),
        Source::Data(_) => None,
    };
    let bytes = source.bytes()?;
    py.allow_threads(|| {
        let model_error =
            |error: picklegraph::model::ModelError| PyValueError::new_err(error.to_string());
        let format = picklegraph::model::detect(&bytes);
        let checkpoint = match format {
            Format::Zip | Format::TorchLegacy | Format::TorchTar => Some(Checkpoint::open(&bytes)),
            _ => None,
        };
        let mut failed = None;
        match checkpoint {
            Some(Ok(checkpoint)) => {
                let pickle = checkpoint.load().map_err(model_error)?;
                let rows = checkpoint
                    .weights(&pickle)
                    .map_err(model_error)?
                    .into_iter()
                    .map(|weight| {
                        (
                            weight.name,
                            weight.dtype.name.to_string(),
                            weight.shape,
                            weight.stride,
                            weight.data.map(|range| (range.start, range.end)),
                            weight.little_endian,
                            weight.storage,
                            weight.offset,
                            None,
                            None,
                        )
                    })
                    .collect();
                let name = match format {
                    Format::Zip => "torch-zip",
                    Format::TorchTar => "torch-tar",
                    _ => "torch-legacy",
                };
                return Ok((name.to_string(), rows));
            }
            Some(Err(error)) => failed = Some(error),
            None => {}
        }
        if let Some(arrays) = picklegraph::model::old_joblib::side_arrays(&bytes) {
            let rows = arrays
                .into_iter()
                .map(|array| side_array_row(folder.as_deref(), array))
                .collect::<PyResult<_>>()?;
            let name = match format {
                Format::Compressed(how) => how,
                _ => "joblib",
            };
            return Ok((name.to_string(), rows));
        }
        if let Some((name, arrays)) =
            picklegraph::model::arrays::stored_arrays(&bytes).map_err(model_error)?
        {
            let rows = arrays.into_iter().map(array_row).collect();
            return Ok((name.to_string(), rows));
        }
        // A zip that is neither a checkpoint nor an .npz, a broken legacy checkpoint.
        if let Some(error) = failed {
            return Err(model_error(error));
        }
        let name = match format {
            Format::Compressed(how) => how,
            Format::TorchTar => "torch-tar",
            _ => "pickle",
        };
        Ok((name.to_string(), Vec::new()))
    })
}

/// An array's row: strides from its order, its bytes as the file stores them.
fn array_row(array: picklegraph::model::arrays::StoredArray) -> TensorRow {
    let mut strides = vec![0u64; array.shape.len()];
    let mut step = 1u64;
    let order: Vec<usize> = if array.fortran {
        (0..array.shape.len()).collect()
    } else {
        (0..array.shape.len()).rev().collect()
    };
    for dim in order {
        strides[dim] = step;
        step = step.saturating_mul(array.shape[dim].max(1));
    }
    let little_endian = !array.descr.starts_with('>');
    (
        array.name,
        array.dtype,
        array.shape,
        strides,
        array.data.map(|range| (range.start, range.end)),
        little_endian,
        String::new(),
        0,
        Some(array.descr),
        None,
    )
}

/// The row of an array joblib < 0.10 kept beside the pickle: an `.npy` file's header read
/// for its dtype and shape, its byte range that file's; a Z-file's from the pickle, with
/// no byte range (compressed). The file must be a plain name in the pickle's folder, and
/// stay there once links are followed: nothing outside the folder is opened.
fn side_array_row(
    folder: Option<&std::path::Path>,
    array: picklegraph::model::old_joblib::SideArray,
) -> PyResult<TensorRow> {
    use picklegraph::model::old_joblib::side_file_name;
    let file = side_file_name(&array.file)
        .map_err(|why| PyValueError::new_err(format!("{}: {why}", array.name)))?
        .to_string();
    let stored = |descr: String, dtype: String, shape: Vec<u64>, fortran, data| {
        picklegraph::model::arrays::StoredArray {
            name: array.name.clone(),
            descr,
            dtype,
            shape,
            fortran,
            objects: false,
            data,
        }
    };
    let mut row = match (array.compressed, folder) {
        (true, _) | (false, None) => {
            let (descr, dtype) = array.dtype.clone().unwrap_or_default();
            array_row(stored(
                descr,
                dtype,
                array.shape.clone().unwrap_or_default(),
                array.fortran,
                None,
            ))
        }
        (false, Some(folder)) => {
            let path = inside_folder(folder, &file)?;
            let mut head = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(std::fs::File::open(&path)?, 1 << 20),
                &mut head,
            )?;
            let header = picklegraph::container::npy::header(&head)
                .map_err(|error| PyValueError::new_err(format!("{file}: {error}")))?;
            let len = std::fs::metadata(&path)?.len();
            let (_, mut arrays) = picklegraph::model::arrays::stored_arrays(&head)
                .ok()
                .flatten()
                .ok_or_else(|| PyValueError::new_err(format!("{file}: not an .npy file")))?;
            let mut found = arrays.remove(0);
            found.name = array.name.clone();
            found.data = (!header.has_objects).then_some(header.data_start as u64..len);
            array_row(found)
        }
    };
    row.9 = Some(file);
    Ok(row)
}

/// `folder/name`, refused when links lead it out of the folder.
fn inside_folder(folder: &std::path::Path, name: &str) -> PyResult<std::path::PathBuf> {
    let folder = if folder.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        folder
    };
    let real_folder = folder.canonicalize()?;
    let path = real_folder.join(name).canonicalize()?;
    if path.parent() != Some(real_folder.as_path()) {
        return Err(PyValueError::new_err(format!(
            "the array file {name:?} leads outside the pickle's folder; nothing outside it is read"
        )));
    }
    Ok(path)
}

/// The `picklegraph` command on `argv` (program name first); its exit status.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.allow_threads(|| picklegraph_cli::run(argv))
}

/// The extension module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(loads, module)?)?;
    module.add_function(wrap_pyfunction!(scan, module)?)?;
    module.add_function(wrap_pyfunction!(convert_file, module)?)?;
    module.add_function(wrap_pyfunction!(show_text, module)?)?;
    module.add_function(wrap_pyfunction!(json_text, module)?)?;
    module.add_function(wrap_pyfunction!(repr_text, module)?)?;
    module.add_function(wrap_pyfunction!(dis_text, module)?)?;
    module.add_function(wrap_pyfunction!(cli_main, module)?)?;
    module.add_function(wrap_pyfunction!(is_allowed, module)?)?;
    module.add_function(wrap_pyfunction!(argument_checks, module)?)?;
    module.add_function(wrap_pyfunction!(tensors, module)?)?;
    module.add_function(wrap_pyfunction!(stats, module)?)?;
    module.add_class::<ScanReport>()?;
    module.add_class::<report::Finding>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

//! `picklegraph::open`: every container, found by content; a dangerous pickle inside any of
//! them is dangerous through the library and the command alike, whatever the file's name;
//! bombs end at a limit.

use std::io::Write;

use assert_cmd::Command;
use picklegraph::scan::{scan_file, Verdict};
use picklegraph::{OpenError, OpenOptions, Problem};

use crate::common;

/// `os.system('echo hi')`, protocol 0.
const DANGEROUS: &[u8] = b"cos\nsystem\n(S'echo hi'\ntR.";

fn picklegraph() -> Command {
    Command::cargo_bin("picklegraph").expect("the binary is built")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// joblib < 0.10's file: `ZF`, the length as `hex()` writes it padded to 19 bytes, zlib.
fn joblib_zf(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("ZF{:<19}", format!("{:#x}", bytes.len())).into_bytes();
    out.extend(zlib(bytes));
    out
}

fn bz2(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    lzma_rs::xz_compress(&mut std::io::BufReader::new(bytes), &mut out).unwrap();
    out
}

fn lzma(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    lzma_rs::lzma_compress(&mut std::io::BufReader::new(bytes), &mut out).unwrap();
    out
}

fn lz4(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An `.npy` of version 1 whose array holds objects: the pickle follows the header.
fn npy_objects(pickle: &[u8]) -> Vec<u8> {
    let mut header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(pickle);
    out
}

/// A zip of `(name, bytes, deflated)` members.
fn zip(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflated) in members {
        let method = if *deflated {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Every container with the dangerous pickle inside, by name.
fn dangerous_containers() -> Vec<(&'static str, Vec<u8>)> {
    let npy = npy_objects(DANGEROUS);
    vec![
        ("gzip", gzip(DANGEROUS)),
        ("zlib (joblib compress=3)", zlib(DANGEROUS)),
        ("joblib ZF", joblib_zf(DANGEROUS)),
        ("bz2", bz2(DANGEROUS)),
        ("xz", xz(DANGEROUS)),
        ("lzma", lzma(DANGEROUS)),
        ("lz4", lz4(DANGEROUS)),
        ("npy object array", npy.clone()),
        ("gzip of an npy", gzip(&npy)),
        (
            "npz member",
            zip(&[
                ("ok.npy", &npy_objects(b"K\x01."), false),
                ("arr_1.npy", &npy, true),
            ]),
        ),
        (
            "zip member under another name",
            zip(&[
                ("README.txt", b"hello", false),
                ("model/config.pkl", DANGEROUS, true),
            ]),
        ),
        (
            "nested zip",
            zip(&[(
                "inner.zip",
                &zip(&[("x/weights.bin", DANGEROUS, false)]),
                false,
            )]),
        ),
        (
            "gzip in a zip member",
            zip(&[("a/b.gz", &gzip(DANGEROUS), false)]),
        ),
        (
            "torch zip with a second pickle",
            zip(&[
                ("archive/data.pkl", b"\x80\x02}q\x00.", false),
                ("archive/byteorder", b"little", false),
                ("archive/extra/evil.pkl", DANGEROUS, false),
                ("archive/version", b"3\n", false),
            ]),
        ),
    ]
}

#[test]
fn a_dangerous_pickle_inside_any_container_is_dangerous_to_the_library() {
    for (what, bytes) in dangerous_containers() {
        let scan = scan_file(&bytes, false);
        assert_eq!(
            scan.verdict(),
            Verdict::Dangerous,
            "{what}: {:#?}",
            scan.pickles
        );
        let found = scan.pickles.iter().flat_map(|p| &p.findings);
        assert!(
            found
                .clone()
                .any(|f| f.name.as_deref() == Some("os.system")),
            "{what}"
        );
    }
}

#[test]
fn the_command_agrees_on_every_container_whatever_the_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for (index, (what, bytes)) in dangerous_containers().into_iter().enumerate() {
        for extension in ["pkl", "txt", "npy", "zip", "gz", ""] {
            let path = dir.path().join(format!("file{index}.{extension}"));
            std::fs::write(&path, &bytes).unwrap();
            let output = picklegraph()
                .args(["scan", "--json"])
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(3), "{what} as .{extension}");
            let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(json["verdict"], "dangerous", "{what} as .{extension}");
        }
    }
}

#[test]
fn labels_say_where_each_pickle_is() {
    let nested = zip(&[(
        "outer/inner.zip",
        &zip(&[("config.pkl.gz", &gzip(b"K\x01.K\x02."), true)]),
        false,
    )]);
    let opened = picklegraph::open(&nested);
    let labels: Vec<_> = opened.pickles().map(|e| e.label.unwrap()).collect();
    assert_eq!(
        labels,
        [
            "outer/inner.zip ▸ config.pkl.gz ▸ gzip ▸ pickle 1",
            "outer/inner.zip ▸ config.pkl.gz ▸ gzip ▸ pickle 2"
        ]
    );
    assert_eq!(opened.description(), Some("zip archive: 1 members"));
}

#[test]
fn a_stored_member_has_its_range_in_the_file() {
    let bytes = zip(&[("a.pkl", b"K\x07.", false)]);
    let opened = picklegraph::open(&bytes);
    let range = opened.pickles().next().unwrap().range.unwrap();
    assert_eq!(&bytes[range.start as usize..range.end as usize], b"K\x07.");
    let deflated = zip(&[("a.pkl", b"K\x07.", true)]);
    assert_eq!(
        picklegraph::open(&deflated).pickles().next().unwrap().range,
        None
    );
}

#[test]
fn nothing_is_decompressed_before_it_is_asked_for() {
    // A corrupt second member is only an error once the iteration reaches it.
    let mut bytes = zip(&[("a.pkl", b"K\x01.", false), ("b.pkl", &[0x4b; 4096], true)]);
    let opened = picklegraph::open(&bytes);
    assert_eq!(opened.pickles().count(), 2);
    // Break the deflated member's data: the first pickle still comes out whole.
    let at = bytes.windows(5).position(|w| w == b"b.pkl").unwrap() + 5;
    for byte in &mut bytes[at..at + 8] {
        *byte = 0xff;
    }
    let opened = picklegraph::open(&bytes);
    let mut pickles = opened.pickles();
    assert!(pickles.next().unwrap().result.is_ok());
    assert!(matches!(
        pickles.next().unwrap().result,
        Err(Problem::Unopened(_))
    ));
}

#[test]
fn files_that_are_no_pickle_say_what_they_look_like_and_are_never_clean() {
    let zip_of_text = zip(&[("a.txt", b"hello", false)]);
    // Text that starts with an opcode (`c` GLOBAL, `l` LIST) is not a pickle, never
    // dangerous: the module it would name cannot be imported. A format picklegraph knows
    // and does not read is not clean: it may hold one.
    let cases: [(&[u8], &str, Verdict); 5] = [
        (b"", "not a pickle: an empty file", Verdict::NotAPickle),
        (
            b"chat_template: \"{% for m in messages %}\"\n",
            "not a pickle: text, starting \"chat_template: \\\"{% for m in messages %}\\\"\"",
            Verdict::NotAPickle,
        ),
        (
            b"ls -la\n",
            "not a pickle: text, starting \"ls -la\"",
            Verdict::NotAPickle,
        ),
        (
            &zip_of_text,
            "not a pickle: a zip archive of 1 member, none a pickle or a container of one",
            Verdict::NotAPickle,
        ),
        (
            b"7z\xbc\xaf\x27\x1c\x00\x04",
            "7z: not supported",
            Verdict::Malformed,
        ),
    ];
    for (bytes, message, verdict) in cases {
        let scan = scan_file(bytes, false);
        assert_eq!(scan.verdict(), verdict, "{message}");
        let error = scan.pickles[0].error.as_ref().unwrap();
        assert_eq!(error.kind().to_string(), message);
        assert!(scan.pickles.iter().all(|p| p.findings.is_empty()));
    }
}

#[test]
fn npy_and_npz_of_numbers_hold_no_pickle_and_are_clean() {
    for path in common::files_with_suffix(&common::fixtures().join("containers"), ".npy")
        .into_iter()
        .chain(common::files_with_suffix(
            &common::fixtures().join("containers"),
            ".npz",
        ))
    {
        let bytes = std::fs::read(&path).unwrap();
        let scan = scan_file(&bytes, false);
        assert_ne!(scan.verdict(), Verdict::Malformed, "{}", path.display());
    }
}

/// A gzip whose deflate stream is fixed-Huffman copies of 258 bytes at distance 1, the
/// densest deflate can be (1,032 to 1), cut after `periods` runs of 13 bytes, each of
/// which inflates to 2,064 zeros; the trailer is never reached.
fn deflate_bomb(periods: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        bit: u32,
        count: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, len: u32) {
            for i in 0..len {
                self.bit |= ((value >> i) & 1) << self.count;
                self.count += 1;
                if self.count == 8 {
                    self.out.push(self.bit as u8);
                    (self.bit, self.count) = (0, 0);
                }
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            for i in (0..len).rev() {
                self.put((code >> i) & 1, 1);
            }
        }
        fn copy_258_at_1(&mut self) {
            self.code(0b1100_0101, 8); // length code 285: 258
            self.code(0, 5); // distance code 0: 1
        }
    }
    let mut head = Bits {
        out: b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff".to_vec(),
        bit: 0,
        count: 0,
    };
    head.put(1, 1); // the last block
    head.put(1, 2); // fixed Huffman codes
    head.code(0b0011_0000, 8); // literal 0
    head.copy_258_at_1();
    assert_eq!(head.count, 0);
    let mut period = Bits {
        out: Vec::new(),
        bit: 0,
        count: 0,
    };
    for _ in 0..8 {
        period.copy_258_at_1();
    }
    let mut bomb = head.out;
    bomb.reserve(periods * 13);
    for _ in 0..periods {
        bomb.extend_from_slice(&period.out);
    }
    bomb
}

#[test]
fn a_kilobyte_that_would_inflate_to_100_gb_ends_at_a_limit() {
    // 100 GB = 48.4 M periods of 13 bytes (630 MB); gzip twice more brings it to ~1 KB.
    let periods: usize = 100_000_000_000 / 2064;
    let mut middle = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let head = deflate_bomb(0);
    middle.write_all(&head).unwrap();
    let period = &deflate_bomb(1)[head.len()..];
    let chunk = period.repeat(1 << 16);
    for _ in 0..periods / (1 << 16) {
        middle.write_all(&chunk).unwrap();
    }
    let outer = gzip(&gzip(&middle.finish().unwrap()));
    assert!(outer.len() < 4096, "{} bytes", outer.len());
    let started = std::time::Instant::now();
    let scan = scan_file(&outer, false);
    assert_eq!(scan.verdict(), Verdict::Malformed);
    let error = scan.pickles[0].error.as_ref().unwrap().kind().to_string();
    assert_eq!(
        error,
        "decompression ratio limit of 10000 exceeded (raise it in OpenOptions if the file is trusted)"
    );
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn the_decompressed_size_limit_is_an_error_at_the_limit() {
    let bomb = deflate_bomb(10_000); // 130 KB that inflate to 20 MB
    let mut options = OpenOptions::default();
    options.max_decompressed_bytes = 1 << 20;
    let opened = picklegraph::open_with(&bomb, &options);
    let entry = opened.pickles().next().unwrap();
    assert!(matches!(
        entry.result,
        Err(Problem::Unopened(OpenError::LimitExceeded {
            limit: "decompressed size",
            max: 1_048_576
        }))
    ));
}

#[test]
fn containers_nested_too_deep_are_an_error() {
    let mut gz = DANGEROUS.to_vec();
    let mut zipped = DANGEROUS.to_vec();
    for _ in 0..20 {
        gz = gzip(&gz);
        zipped = zip(&[("z", &zipped, false)]);
    }
    for bytes in [gz, zipped] {
        let scan = scan_file(&bytes, false);
        assert_eq!(scan.verdict(), Verdict::Malformed);
        let error = scan.pickles[0].error.as_ref().unwrap().kind().to_string();
        assert_eq!(error, "containers nested deeper than 8");
    }
}

#[test]
fn a_zip_whose_headers_disagree_is_read_as_pytorch_reads_it_with_a_note() {
    let mut bytes = zip(&[("a/data.pkl", DANGEROUS, false)]);
    // The local header's CRC (bytes 14..18) no longer matches the directory's.
    bytes[14] ^= 0xff;
    let opened = picklegraph::open(&bytes);
    let scan = picklegraph::scan::scan_opened(&opened, &[], false);
    assert_eq!(scan.verdict(), Verdict::Dangerous);
    assert_eq!(scan.notes.len(), 1, "{:?}", scan.notes);
    assert!(
        scan.notes[0].contains("its local header says CRC"),
        "{}",
        scan.notes[0]
    );
}

/// Every committed fixture a file could be: what the library's scan says is what
/// `picklegraph scan --json` says.
#[test]
fn the_library_scan_and_the_command_agree_on_every_fixture() {
    let skip = [
        ".dis", ".repr", ".err", ".md", ".py", ".tsv", ".txt", ".json", ".pyc",
    ];
    let files: Vec<_> = common::files_with_suffix(&common::fixtures(), "")
        .into_iter()
        .filter(|p| !skip.iter().any(|s| p.to_string_lossy().ends_with(s)))
        .filter(|p| !p.components().any(|c| c.as_os_str() == "gen"))
        .collect();
    assert!(files.len() > 100, "{} fixtures", files.len());
    for chunk in files.chunks(200) {
        let output = picklegraph()
            .args(["scan", "--json"])
            .args(chunk)
            .output()
            .unwrap();
        let documents =
            serde_json::Deserializer::from_slice(&output.stdout).into_iter::<serde_json::Value>();
        let documents: Vec<_> = documents.map(Result::unwrap).collect();
        assert_eq!(documents.len(), chunk.len());
        for (path, document) in chunk.iter().zip(documents) {
            let mut expected = scan_file(&std::fs::read(path).unwrap(), false).to_json();
            expected["file"] = document["file"].clone();
            assert_eq!(document, expected, "{}", path.display());
        }
    }
}

#[test]
fn the_hostile_checkpoint_is_dangerous_to_the_library_as_to_the_command() {
    let bytes = std::fs::read(common::fixtures().join("torch/hostile.pt")).unwrap();
    assert_eq!(scan_file(&bytes, false).verdict(), Verdict::Dangerous);
    for path in common::files_with_suffix(&common::fixtures().join("joblib"), ".pkl") {
        let scan = scan_file(&std::fs::read(&path).unwrap(), false);
        assert_ne!(scan.verdict(), Verdict::Malformed, "{}", path.display());
    }
}

/// `picklegraph show` of a file without its `# ` lines (labels and descriptions).
fn shown_objects(path: &std::path::Path) -> String {
    let output = picklegraph()
        .args(["show", "--color", "never", "--width", "100"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn container_fixture(name: &str) -> std::path::PathBuf {
    common::fixtures().join("containers").join(name)
}

#[test]
fn every_joblib_compression_holds_the_same_pickles_as_the_plain_file() {
    let plain = shown_objects(&container_fixture("joblib_plain.joblib"));
    assert!(plain.contains("'weights'"), "{plain}");
    for method in ["3", "zlib", "gzip", "bz2", "lzma", "xz", "lz4"] {
        let path = container_fixture(&format!("joblib_{method}.joblib"));
        assert_eq!(shown_objects(&path), plain, "compress={method}");
    }
}

#[test]
fn pandas_compressed_pickles_hold_the_same_frame() {
    let shown: Vec<_> = ["gz", "bz2", "xz"]
        .iter()
        .map(|ext| shown_objects(&container_fixture(&format!("pandas_frame.pkl.{ext}"))))
        .collect();
    assert!(shown[0].contains("DataFrame"), "{}", shown[0]);
    assert_eq!(shown[1], shown[0]);
    assert_eq!(shown[2], shown[0]);
}

#[test]
fn npy_and_npz_of_numpy_1_and_2_are_read_by_their_headers() {
    for numpy in ["numpy1", "numpy2"] {
        let open =
            |name: &str| std::fs::read(container_fixture(&format!("{numpy}_{name}"))).unwrap();
        let cases = [
            ("floats.v1.npy", "numpy .npy array (format 1.0): dtype '<f8', shape (2, 3)", 0),
            ("floats.v2.npy", "numpy .npy array (format 2.0): dtype '<f8', shape (2, 3)", 0),
            ("fields.v3.npy", "numpy .npy array (format 3.0): dtype [('é', '<i4')], shape (2,)", 0),
            (
                "objects.v1.npy",
                "numpy .npy array (format 1.0): dtype '|O', shape (3,), its objects in a pickle after the header",
                1,
            ),
            ("arrays.npz", "numpy .npz archive: 2 arrays", 1),
            ("compressed.npz", "numpy .npz archive: 2 arrays", 1),
        ];
        for (name, description, pickles) in cases {
            let bytes = open(name);
            let opened = picklegraph::open(&bytes);
            assert_eq!(opened.description(), Some(description), "{numpy}_{name}");
            let entries: Vec<_> = opened.pickles().collect();
            assert_eq!(entries.len(), pickles, "{numpy}_{name}");
            for entry in entries {
                let pickle = entry.result.unwrap();
                assert!(
                    picklegraph::python::numpy::array(&pickle, pickle.root().node().unwrap())
                        .is_some()
                );
            }
            assert_eq!(
                scan_file(&bytes, false).verdict(),
                Verdict::Clean,
                "{numpy}_{name}"
            );
        }
    }
}

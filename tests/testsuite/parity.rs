//! Where CPython's `pickle.loads` says yes (or no) and the views must agree (issue 20):
//! trailing bytes, Python 2 strings, STACK_GLOBAL's operands, missing out-of-band
//! buffers, one JSON document per file, spans of malformed pickles, `dis` on deep
//! nesting, and folders. Each answer CPython has is asked of `python3` itself.

use std::process::Command as Process;

use assert_cmd::Command;

use crate::common::repo;

pub fn picklegraph() -> Command {
    let mut command = Command::cargo_bin("picklegraph").expect("the binary is built");
    command
        .current_dir(repo())
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR");
    command
}

pub fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file
}

/// What `pickle.loads(data, **kwargs)` gives in the C unpickler and in the pure-Python
/// one: `Ok(repr)` or `Err("ExceptionType: message")`; both must agree.
pub fn cpython(data: &[u8], kwargs: &str) -> Result<String, String> {
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let script = format!(
        "import pickle, sys\n\
         data = bytes.fromhex('{hex}')\n\
         out = []\n\
         for loads in (pickle.loads, pickle._loads):\n\
         \x20   try:\n\
         \x20       out.append('ok ' + repr(loads(data, {kwargs})))\n\
         \x20   except Exception as e:\n\
         \x20       out.append('err ' + type(e).__name__ + ': ' + str(e))\n\
         sys.stdout.write('\\0'.join(out))\n"
    );
    let output = Process::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 is on every machine");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let (c, py) = text.split_once('\0').unwrap();
    assert_eq!(c, py, "the two unpicklers disagree on {hex}");
    match c.split_once(' ').unwrap() {
        ("ok", repr) => Ok(repr.to_string()),
        (_, error) => Err(error.to_string()),
    }
}

/// Runs a view on `bytes` in a file: (exit status, stdout, stderr).
pub fn run(args: &[&str], bytes: &[u8]) -> (i32, String, String) {
    let file = temp_file(bytes);
    let mut command = picklegraph();
    command.args(args).arg(file.path());
    let output = command.output().unwrap();
    let name = file.path().to_string_lossy().to_string();
    let clean = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap().replace(&name, "FILE");
    (
        output.status.code().unwrap(),
        clean(output.stdout),
        clean(output.stderr),
    )
}

/// STACK_GLOBAL with an int and a str, and with a str and None.
const STACK_GLOBAL_NOT_STR: [&[u8]; 3] = [
    b"\x80\x04K\x01K\x02\x93.",
    b"\x80\x04\x8c\x02osK\x02\x93.",
    b"\x80\x04N\x8c\x06system\x93.",
];

#[test]
fn stack_global_of_operands_that_are_not_str_is_malformed_in_every_view() {
    for data in STACK_GLOBAL_NOT_STR {
        let refused = cpython(data, "").unwrap_err();
        assert_eq!(refused, "UnpicklingError: STACK_GLOBAL requires str");
        let (code, stdout, stderr) = run(&["repr"], data);
        assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
        assert!(
            stderr.contains("(STACK_GLOBAL): STACK_GLOBAL requires str, not "),
            "{stderr}"
        );
        let (code, stdout, _) = run(&["show"], data);
        assert_eq!(code, 1);
        assert!(stdout.starts_with("# malformed pickle"), "{stdout}");
        assert!(
            stdout.contains("stack[0] = "),
            "the partial graph: {stdout}"
        );
        let (code, stdout, _) = run(&["json"], data);
        assert_eq!(code, 1);
        let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(doc["error"]["opcode"], "STACK_GLOBAL");
        let (code, stdout, _) = run(&["scan"], data);
        assert_eq!(code, 1, "malformed, not dangerous: {stdout}");
        assert!(stdout.contains("nothing was imported"), "{stdout}");
        assert!(stdout.contains("verdict: malformed"), "{stdout}");
    }
}

#[test]
fn stack_global_of_a_call_result_stays_a_dangerous_attempt() {
    // getattr(builtins, 'str')... any call's result might be a str when it runs, so
    // CPython may well import it: the scan must keep it.
    let data = b"\x80\x04\x8c\x08builtins\x8c\x03str\x93\x8c\x02os\x85R\x8c\x06system\x93.";
    let (code, stdout, _) = run(&["scan"], data);
    assert_eq!(code, 3, "{stdout}");
}

#[test]
fn next_buffer_without_buffers_fails_repr_as_cpython_and_is_marked_in_show_and_json() {
    let data = b"\x80\x05\x97.";
    let refused = cpython(data, "").unwrap_err();
    let (code, stdout, stderr) = run(&["repr"], data);
    assert_eq!((code, stdout.as_str()), (1, ""));
    let message = refused.strip_prefix("UnpicklingError: ").unwrap();
    assert_eq!(stderr, format!("FILE: offset 2 (NEXT_BUFFER): {message}\n"));
    // With too few buffers, CPython's other message.
    let too_few = cpython(data, "buffers=[]").unwrap_err();
    assert_eq!(too_few, "UnpicklingError: not enough out-of-band buffers");
    let (code, stdout, _) = run(&["show"], data);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("pickle.PickleBuffer(<out-of-band buffer 0, not given>)"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&["json"], data);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["nodes"][0]["type"], "buffer");
    assert_eq!(doc["nodes"][0]["given"], false);
    // Given, repr shows it and json says so.
    let buffer = temp_file(b"abc");
    let buffer = buffer.path().to_str().unwrap();
    let (code, stdout, _) = run(&["json", "--buffer", buffer], data);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["nodes"][0]["given"], true);
    let (code, _, stderr) = run(&["repr", "--buffer", buffer], data);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn dis_of_a_million_open_marks_stays_proportionate_at_any_indent_level() {
    let data = vec![b'('; 1 << 20];
    let file = temp_file(&data);
    for level in ["4", "1024"] {
        let output = picklegraph()
            .args(["dis", "-l", level])
            .arg(file.path())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "pickle exhausted before STOP"
        );
        let widest = output.stdout.split(|&b| b == b'\n').map(<[u8]>::len).max();
        let note = picklegraph::render::dis::INDENT_CAPPED_NOTE;
        let lines = output.stdout.split(|&b| b == b'\n');
        let longest = lines
            .filter(|l| *l != note.as_bytes())
            .map(<[u8]>::len)
            .max();
        assert!(
            longest.unwrap() <= 100,
            "-l {level}: a line of {widest:?} bytes"
        );
        assert!(
            output.stdout.len() < 100 << 20,
            "-l {level}: {} bytes for a 1 MiB pickle",
            output.stdout.len()
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(text.matches(note).count(), 1, "-l {level}");
    }
}

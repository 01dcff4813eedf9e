"""Prints, as Rust, the arguments of types.CodeType for one function, in the order
cloudpickle passes them on the running Python; tests/testsuite/recognizers/code_args.rs
holds its output for Python 2.7, 3.7, 3.8, 3.10, 3.11, 3.12 and 3.13:

    for v in 2.7 3.7 3.8 3.10 3.11 3.12 3.13; do python$v code_args.py; done
"""
import sys

SOURCE = '''
def f(p, /, a, b=1, *args, d, e=3, **kw):
    "Doc of f."
    yield a + G
'''
if sys.version_info < (3, 8):
    SOURCE = SOURCE.replace("p, /, ", "")
if sys.version_info < (3,):
    SOURCE = SOURCE.replace("d, e=3, ", "")

LAYOUTS = [
    ((3, 11), "argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames"
              " filename name qualname firstlineno linetable exceptiontable freevars cellvars"),
    ((3, 10), "argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames"
              " filename name firstlineno linetable freevars cellvars"),
    ((3, 8), "argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts names varnames"
             " filename name firstlineno lnotab freevars cellvars"),
    ((3, 0), "argcount kwonlyargcount nlocals stacksize flags code consts names varnames filename name"
             " firstlineno lnotab freevars cellvars"),
    ((2, 0), "argcount nlocals stacksize flags code consts names varnames filename name firstlineno lnotab"
             " freevars cellvars"),
]


def literal(value):
    if isinstance(value, bool):
        return "Py::Bool(%s)" % ("true" if value else "false")
    if isinstance(value, int):
        return "Py::Int(%d)" % value
    if isinstance(value, bytes) and str is not bytes:
        return "Py::Bytes(b\"%s\".to_vec())" % "".join("\\x%02x" % c for c in value)
    if isinstance(value, str) and str is bytes and sys._getframe(1).f_code.co_name == "code_field":
        return "Py::Bytes(b\"%s\".to_vec())" % "".join("\\x%02x" % ord(c) for c in value)
    if isinstance(value, str):
        return "Py::Str(\"%s\".into())" % value.replace("\\", "\\\\").replace('"', '\\"')
    if value is None:
        return "Py::None"
    if isinstance(value, tuple):
        return "Py::Tuple(vec![%s])" % ", ".join(literal(item) for item in value)
    raise TypeError(type(value))


def code_field(value):
    return literal(value)


namespace = {}
exec(compile(SOURCE, "mod.py", "exec"), namespace)
code = namespace["f"].__code__
names = next(names for version, names in LAYOUTS if sys.version_info >= version).split()
args = []
for name in names:
    value = getattr(code, "co_" + name)
    args.append(code_field(value) if name in ("code", "lnotab", "linetable", "exceptiontable") else literal(value))
sys.stdout.write("/// Python %d.%d\npub fn python%d%d() -> Vec<Py> {\n    vec![%s]\n}\n\n" % (
    sys.version_info[0], sys.version_info[1], sys.version_info[0], sys.version_info[1], ", ".join(args)))

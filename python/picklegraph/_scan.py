"""The scan report: what a file's pickles would import and call, and the verdict."""

from __future__ import annotations

import json as _json
from typing import Any, Dict, List, Optional

from . import _native


Finding = _native.Finding
"""One global, call or instance a pickle would make, classed by the scanner (a native
class: ``report.findings`` makes one object per finding, no more).

Its fields, read-only: ``name`` (the dotted name of the global involved, ``os.system``,
or None), ``offset`` (of the opcode that made it, in its pickle's bytes), ``kind``
(``global``, ``call``, ``instance``, ``global-mutation``, ``persistent``,
``extension``), ``class_`` (the scanner's class: ``safe``, ``unknown``, ``dangerous``,
...), ``reason`` (why it is in its class), ``text`` (the call as Python would spell it,
arguments shortened: ``os.system('ls')``), ``label`` (the pickle's label inside a model
file, ``data.pkl``, None for a plain file), ``pickle`` (which pickle of the file, from 0)
and ``allowed`` (whether the scan lets it pass).
"""


class Report:
    """A file's scan, the same as ``picklegraph scan --json`` prints.

    >>> import picklegraph
    >>> report = picklegraph.scan(b"cos\\nsystem\\n(S'ls'\\ntR.")
    >>> report.verdict, report.passed
    ('dangerous', False)
    >>> [f.name for f in report.findings]
    ['os.system', 'os.system']
    """

    verdict: str
    """The library's verdict name (``clean``, ``dangerous``, ``malformed``, ...)."""
    passed: bool
    """Whether the file passes: nothing off the allow list, and every pickle read whole."""
    counts: Dict[str, int]
    """How many findings of each class."""
    format: Optional[str]
    """What holds the pickles, for a model file."""

    def __init__(self, native: Any, strict: bool) -> None:
        # The library's report, kept whole: the JSON document and the SARIF log are
        # rendered from it when asked for, not on every scan.
        self._native = native
        self._document: Optional[str] = None
        self._sarif: Optional[str] = None
        self.verdict = native.verdict()
        self.passed = native.passed()
        self.strict = strict
        dangerous, unknown, safe = native.counts()
        self.counts = {"dangerous": dangerous, "unknown": unknown, "safe": safe}
        self.format = native.format()
        self._findings: Optional[List[Finding]] = None

    @property
    def findings(self) -> List[Finding]:
        """Every finding of every pickle, in file order."""
        if self._findings is None:
            self._findings = self._native.findings()
        return self._findings

    @property
    def pickles(self) -> List[Dict[str, Any]]:
        """Each pickle's entry of the JSON report (index, label, start, end, protocol,
        error, findings)."""
        return self.to_dict()["pickles"]

    @property
    def suggested_policy(self) -> Optional[Dict[str, Any]]:
        """For a refused file, the policy lines that would let it through:
        ``{"allow_names": [...], "allow_modules": [...], "unnamed": n}``."""
        return self.to_dict().get("suggested_policy")

    def to_json(self) -> str:
        """The report as JSON: ``{verdict, strict, format, counts, pickles}``."""
        if self._document is None:
            self._document = self._native.to_json()
        return self._document

    def to_sarif(self) -> str:
        """The report as a SARIF 2.1.0 log, as ``picklegraph scan --format sarif`` writes
        it for this one file (GitHub code scanning reads it): a result for each name that
        fails the file, under the path given to :func:`picklegraph.scan` (``-`` for bytes).
        """
        if self._sarif is None:
            self._sarif = self._native.to_sarif()
        return self._sarif

    def to_dict(self) -> Dict[str, Any]:
        """The report as ``json.loads(self.to_json())``."""
        return _json.loads(self.to_json())

    def __repr__(self) -> str:
        return f"<picklegraph.Report verdict={self.verdict!r} findings={len(self.findings)}>"

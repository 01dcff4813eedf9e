"""The examples in the package's docstrings run as written."""

import doctest

import picklegraph
from picklegraph import _errors, _scan, _types


def test_docstring_examples_hold():
    for module in (picklegraph, _errors, _scan, _types):
        failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failed == 0, module.__name__
    assert tried > 0

"""One fingerprint function: every document hash goes through ``simulation.model.loading.canonical_sha256``."""

from __future__ import annotations

import ast
from pathlib import Path

from decisions import report_inputs
from decisions.report_inputs import content_sha256

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("simulation", "planner", "decisions", "workshop")
THE_ONE = "simulation/model/loading.py"
# Hashes that are not fingerprints of documents (e.g. of a secret token) would be listed here, with the reason.
NOT_DOCUMENT_HASHES: dict[str, str] = {
    "planner/services/throttle.py": "a cache key for an e-mail or address: keeps personal data out of the cache"
}


def _sha256_calls(tree: ast.AST) -> list[int]:
    """Lines that call ``hashlib.sha256(...)`` or a ``sha256`` imported from hashlib."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "hashlib"
        for alias in node.names
        if alias.name == "sha256"
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "sha256"
            and isinstance(func.value, ast.Name)
            and func.value.id == "hashlib"
        ) or (isinstance(func, ast.Name) and func.id in imported):
            lines.append(node.lineno)
    return lines


def test_it_hashes_documents_only_through_canonical_sha256():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == THE_ONE or relative in NOT_DOCUMENT_HASHES:
                continue
            found += [f"{relative}:{line}" for line in _sha256_calls(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == []
    assert _sha256_calls(ast.parse((ROOT / THE_ONE).read_text(encoding="utf-8")))  # the scan sees a call


def test_it_fingerprints_a_report_with_the_canonical_hash(draft, monkeypatch):
    hashed = []

    def recording(value):
        hashed.append(value)
        return "digest"

    monkeypatch.setattr(report_inputs, "canonical_sha256", recording)
    assert content_sha256(draft, "json") == "digest"
    assert hashed[0]["format"] == "json" and hashed[0]["updated_at"] == draft.updated_at.isoformat()


def test_it_gives_the_same_fingerprint_to_the_same_input_and_another_to_another_format(draft):
    assert content_sha256(draft, "json") == content_sha256(draft, "json") != content_sha256(draft, "csv")

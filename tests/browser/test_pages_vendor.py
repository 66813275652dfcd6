"""The vendored front-end files are the ones ``static/vendor/README.md`` names, with its
sha256 values, each beside its licence, and none reaches a CDN; the check for outside URLs
in a page's HTML finds them (no browser needed)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.browser.conftest import assert_no_outside_url

VENDOR = Path(__file__).resolve().parents[2] / "api" / "console" / "static" / "vendor"
ROW = re.compile(r"^\| `([a-z0-9-]+)/` \|(.*)$", re.MULTILINE)
FILE = re.compile(r"`([A-Za-z0-9._-]+\.(?:js|css))` `([0-9a-f]{64})`")


def test_every_vendored_file_has_the_documented_sha256_and_a_licence() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    documented: dict[Path, str] = {}
    for folder, rest in ROW.findall(readme):
        assert (VENDOR / folder / "LICENSE").is_file(), f"{folder} has no LICENSE"
        for name, digest in FILE.findall(rest):
            documented[VENDOR / folder / name] = digest
    served = {p for p in VENDOR.rglob("*") if p.suffix in {".js", ".css"}}
    assert served == set(documented), "vendor/README.md and the folder disagree"
    for path, digest in documented.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_redoc_no_longer_fetches_its_logo_from_a_cdn() -> None:
    bundle = (VENDOR / "redoc" / "redoc.standalone.js").read_text(encoding="utf-8")
    assert "cdn.redoc.ly" not in bundle


def test_the_outside_url_check_finds_every_kind_of_outside_reference() -> None:
    outside = (
        '<script src="https://cdn.example.org/x.js"></script>',
        "<link rel=stylesheet href='//cdn.example.org/x.css'>",
        '<img src="http://example.org/logo.png">',
        '<form action="HTTPS://example.org/post">',
        '<div style="background:url(//example.org/a.png)">',
        "<p>see https://example.org</p>",
    )
    for html in outside:
        with pytest.raises(AssertionError, match="outside URL"):
            assert_no_outside_url(html, "sample")
    inside = (
        '<script src="/static/js/public-check.js"></script>',
        '<link rel="icon" href="data:,">',
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        '<a href="#main">跳到正文</a>',
        "<p>a // b</p>",
    )
    for html in inside:
        assert_no_outside_url(html, "sample")

"""``deploy/``: the systemd units, the Prometheus rules and the nginx example fit the code.

Every ``ExecStart`` names a real ``auxledger`` verb with options its parser accepts (and its
``--help`` lists); the units pass ``systemd-analyze verify`` where systemd is installed; every
metric an alert reads is one the code really exports (``/metrics`` of a real app, the textfile
of a real ``verify --textfile`` and of the monitor); nginx replaces ``X-Forwarded-For`` and
talks to the address the API unit serves on, which the example settings trust.
"""

from __future__ import annotations

import configparser
import itertools
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.cli import build_parser, main
from api.settings import ApiSettings
from api.verbs.monitor import Monitor, Outcome, write_metrics
from ledger.config import Settings
from ledger.records import AuxLedger
from tests.api.conftest import api_settings, build_world
from tests.serving import use_environ

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
AUXLEDGER = Path(sys.executable).parent / "auxledger"
INSTALLED = "/opt/auxledger/.venv/bin/auxledger"
LONG_RUNNING = (
    "auxledger-api.service",
    "auxledger-projections.service",
    "auxledger-notifications.service",
)
VERIFY_SERVICES = ("auxledger-verify.service", "auxledger-verify-full.service")


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def _services() -> list[Path]:
    return sorted(UNITS.glob("*.service"))


def test_the_units_are_the_ones_the_issue_asks_for() -> None:
    names = sorted(p.name for p in UNITS.iterdir())
    assert names == sorted(
        [*LONG_RUNNING, *VERIFY_SERVICES, "auxledger-verify.timer", "auxledger-verify-full.timer"]
    )


@pytest.mark.parametrize("path", _services(), ids=lambda p: p.name)
def test_every_exec_start_is_a_real_verb_with_real_options(path: Path) -> None:
    service = _unit(path)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == INSTALLED
    args = argv[1:]
    parsed = build_parser().parse_args(args)  # exits (fails the test) on an unknown option
    assert parsed.func is not None
    verb = list(itertools.takewhile(lambda a: not a.startswith("-"), args))  # verb, sub-verb
    help_text = subprocess.run(
        [str(AUXLEDGER), *verb, "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in (a for a in args if a.startswith("--")):
        assert re.search(rf"(^|[\s\[]){re.escape(option)}\b", help_text), (option, help_text)


@pytest.mark.parametrize("path", _services(), ids=lambda p: p.name)
def test_every_service_is_hardened(path: Path) -> None:
    service = _unit(path)["Service"]
    assert service["User"] and service["User"] != "root"
    assert service["EnvironmentFile"].startswith("/etc/auxledger/")
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "true"
    assert service["ProtectHome"] == "true"
    assert service["UMask"] == "0077"
    assert service["StateDirectoryMode"] == "0700"
    writable = service["ReadWritePaths"].split()
    assert f"/var/lib/{service['StateDirectory']}" in writable
    env = _environment(DEPLOY / _env_file(service["EnvironmentFile"]))
    # The key folder and the witness live in the unit's private 0700 state folder.
    for setting in ("AUXLEDGER_KEY_DIR", "AUXLEDGER_WITNESS_DIR"):
        assert Path(env[setting]).parent == Path(f"/var/lib/{service['StateDirectory']}")
    if path.name in LONG_RUNNING:
        assert service["Restart"] == "always" and service["KillMode"] == "mixed"
    else:
        assert service["Type"] == "oneshot"


def _env_file(installed: str) -> str:
    return {
        "/etc/auxledger/auxledger.env": "auxledger.env.example",
        "/etc/auxledger/audit.env": "audit.env.example",
    }[installed]


def _environment(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    return env


def test_the_example_settings_are_valid_settings(tmp_path: Path) -> None:
    known = set()
    for source in (ROOT / "ledger" / "config.py", ROOT / "api" / "settings.py"):
        known |= set(re.findall(r'"(AUXLEDGER_[A-Z_]+)"', source.read_text(encoding="utf-8")))
    for name in ("auxledger.env.example", "audit.env.example"):
        env = _environment(DEPLOY / name)
        assert set(env) <= known, set(env) - known
        # Valid as given, except that the folders exist here only under tmp_path.
        keys = tmp_path / name / "keys"
        keys.mkdir(parents=True, mode=0o700)
        local = {**env, "AUXLEDGER_KEY_DIR": str(keys)}
        Settings.from_environ(local)
    ApiSettings.from_environ(_environment(DEPLOY / "auxledger.env.example"))


def test_the_timers_run_incremental_every_15_minutes_and_full_weekly() -> None:
    incremental = _unit(UNITS / "auxledger-verify.timer")["Timer"]
    full = _unit(UNITS / "auxledger-verify-full.timer")["Timer"]
    assert incremental["Unit"] == "auxledger-verify.service"
    assert full["Unit"] == "auxledger-verify-full.service"
    assert incremental["OnCalendar"] == "*:0/15"
    assert full["OnCalendar"].startswith("Sun ")
    assert incremental["Persistent"] == full["Persistent"] == "true"
    incremental_args = shlex.split(_unit(UNITS / VERIFY_SERVICES[0])["Service"]["ExecStart"])
    full_args = shlex.split(_unit(UNITS / VERIFY_SERVICES[1])["Service"]["ExecStart"])
    assert "--full" not in incremental_args and "--full" in full_args
    # Each mode its own textfile, so each keeps its own last success time.
    files = {a[a.index("--textfile") + 1] for a in (incremental_args, full_args)}
    assert len(files) == 2 and all(f.endswith(".prom") for f in files)
    if shutil.which("systemd-analyze"):
        for calendar, gap in ((incremental["OnCalendar"], 900), (full["OnCalendar"], 604800)):
            out = subprocess.run(
                ["systemd-analyze", "calendar", "--iterations=3", calendar],
                capture_output=True,
                text=True,
                check=True,
                env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
            ).stdout
            assert "Next elapse" in out and _gaps(out) == {gap}


def _gaps(text: str) -> set[int]:
    from datetime import datetime  # noqa: PLC0415

    stamps = re.findall(
        r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", text
    )
    times = [datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in stamps]
    return {int((b - a).total_seconds()) for a, b in itertools.pairwise(times)}


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """``systemd-analyze verify`` (warnings count as failures), the venv's binary standing in."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed on this machine"
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(INSTALLED, str(AUXLEDGER))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result


# --------------------------------------------------------------------------- Prometheus

PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk",
    "bottomk", "quantile", "count_values", "group",
}  # fmt: skip
PROMETHEUS_LABELS = {"job", "instance"}


def _exported(exposition: str, into: dict[str, set[str]]) -> None:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            into.setdefault(sample.name, set()).update(sample.labels)


def _what_the_code_exports(
    aux_ledger: AuxLedger, settings: Settings, tmp_path: Path
) -> dict[str, set[str]]:
    """Metric name -> label names, from a real app's /metrics and real textfiles."""
    exported: dict[str, set[str]] = {}
    world = build_world(aux_ledger, settings)
    with TestClient(create_app(api_settings(settings))) as client:
        client.get("/healthz")
        client.get("/v1/nowhere")
        answer = client.get("/metrics", headers=world.headers("admin"))
        assert answer.status_code == 200
        _exported(answer.text, exported)
    textfile = tmp_path / "verify.prom"
    with pytest.MonkeyPatch.context() as patch:
        use_environ(settings, patch)
        assert main(["verify", "--json", "--textfile", str(textfile)]) == 0
    _exported(textfile.read_text(encoding="utf-8"), exported)
    monitor = Monitor("https://ledger.example.org/", [], settings.log_origin, [], 0, tmp_path)
    outcome = Outcome(ok=True, reachable=True, tree_size=3)
    write_metrics(tmp_path / "monitor.prom", monitor, outcome, outcome.checked_at)
    _exported((tmp_path / "monitor.prom").read_text(encoding="utf-8"), exported)
    return exported


def _names_in(expr: str) -> tuple[set[str], set[str]]:
    """The metric names and the label names a PromQL expression uses."""
    labels: set[str] = set()
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    for matchers in re.findall(r"\{([^}]*)\}", text):
        labels |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    text = re.sub(r"\{[^}]*\}", " ", text)
    for grouping in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", text):
        labels |= {g.strip() for g in grouping.split(",") if g.strip()}
    text = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    names = {
        m.group(1)
        for m in re.finditer(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", text)
        if m.group(1) not in PROMQL_WORDS
    }
    return names, labels


def test_every_alert_reads_metrics_the_code_exports(
    aux_ledger: AuxLedger, settings: Settings, tmp_path: Path
) -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "auxledger.rules.yml").read_text("utf-8"))
    exported = _what_the_code_exports(aux_ledger, settings, tmp_path)
    all_labels = set().union(*exported.values()) | PROMETHEUS_LABELS
    alerts = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("critical", "warning")
            assert rule["annotations"]["summary"]
            alerts.add(rule["alert"])
            assert re.fullmatch(r"\d+[smhd]", rule.get("for", "0s")), rule
            assert _balanced(rule["expr"]), rule["expr"]
            names, labels = _names_in(rule["expr"])
            assert names, rule["expr"]
            assert names <= set(exported), (rule["alert"], names - set(exported))
            assert labels <= all_labels, (rule["alert"], labels - all_labels)
    assert {
        "AuxledgerVerificationFailed",
        "AuxledgerNoRecentVerification",
        "AuxledgerProjectionStopped",
        "AuxledgerProjectionLagging",
        "AuxledgerHttp5xxRate",
    } <= alerts


def _balanced(expr: str) -> bool:
    """Brackets outside strings pair up (promtool is not installed here to parse it whole)."""
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr):
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def test_the_expression_reader_finds_a_misspelt_metric() -> None:
    assert not _balanced("sum(rate(x[5m])") and not _balanced('x{a="}"}}')

    names, labels = _names_in(
        'sum without (route) (rate(auxledger_http_request_total{status=~"5.."}[5m])) > 0'
    )
    assert names == {"auxledger_http_request_total"} and labels == {"route", "status"}
    names, _ = _names_in("time() - max without (mode) (auxledger_verify_last_success) > 3600")
    assert names == {"auxledger_verify_last_success"}


# --------------------------------------------------------------------------- nginx


def _nginx_blocks(text: str) -> dict[str, str]:
    """``upstream``/``location`` blocks (not nested deeper) by their heading."""
    text = re.sub(r"#[^\n]*", "", text)
    return {
        heading.strip(): body
        for heading, body in re.findall(r"((?:upstream|location)[^{;]*)\{([^{}]*)\}", text)
    }


def test_nginx_replaces_the_forwarded_for_header_of_the_address_the_api_trusts() -> None:
    conf = (DEPLOY / "nginx" / "auxledger.conf").read_text(encoding="utf-8")
    blocks = _nginx_blocks(conf)
    api = shlex.split(_unit(UNITS / "auxledger-api.service")["Service"]["ExecStart"])
    host, port = api[api.index("--host") + 1], api[api.index("--port") + 1]
    assert re.search(rf"\bserver\s+{re.escape(host)}:{port};", blocks["upstream auxledger"])
    locations = [body for heading, body in blocks.items() if heading.startswith("location")]
    assert locations
    for body in locations:
        assert "proxy_pass http://auxledger;" in body
        assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", body)
        assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", body)
    assert "$proxy_add_x_forwarded_for;" not in re.sub(r"#[^\n]*", "", conf)
    assert re.search(r"listen\s+443\s+ssl;", conf) and "ssl_certificate_key" in conf
    assert re.search(r"ssl_protocols\s+TLSv1\.2\s+TLSv1\.3;", conf)
    # The API trusts X-Forwarded-For from nginx's address and from nobody else.
    env = _environment(DEPLOY / "auxledger.env.example")
    trusted = ApiSettings.from_environ(env).trusted_proxies
    assert trusted == (host,)
    # nginx refuses what the API would refuse: AUXLEDGER_API_MAX_BODY_BYTES (its default).
    limit = re.search(r"client_max_body_size\s+(\d+)k;", conf)
    assert limit and int(limit.group(1)) * 1024 == ApiSettings.from_environ(env).max_body_bytes


def test_nginx_does_not_log_tracking_codes() -> None:
    """Paths under /v1/complaints/track/ carry a tracking code: that location logs in a
    format without the path, the query or the request line."""
    conf = (DEPLOY / "nginx" / "auxledger.conf").read_text(encoding="utf-8")
    blocks = _nginx_blocks(conf)
    track = blocks["location ^~ /v1/complaints/track/"]
    used = re.search(r"access_log\s+\S+\s+(\w+);", track)
    assert used, track
    uncommented = re.sub(r"#[^\n]*", "", conf)
    defined = re.search(rf"log_format\s+{used.group(1)}\s+((?:'[^']*'\s*)+);", uncommented)
    assert defined, used.group(1)
    for variable in ("$request", "$request_uri", "$uri", "$args", "$query_string", "$document_uri"):
        assert not re.search(rf"{re.escape(variable)}\b", defined.group(1)), variable


def test_docs_api_points_at_the_one_nginx_example() -> None:
    api_doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = api_doc.split("## Behind nginx", 1)[1].split("\n## ", 1)[0]
    assert "deploy/nginx/auxledger.conf" in section
    assert "upstream auxledger" not in section  # one copy: the file, not a second one here

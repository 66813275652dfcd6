"""``auxledger witness keygen | serve``: an independent C2SP tlog-witness.

``serve`` is its own small HTTP server (standard library, threads): it reads no ledger setting
and opens no database, only its key file, the log's public key(s) and its state folder.
``POST /add-checkpoint`` is the protocol's only call (``ledger.witness``); ``GET /`` answers
the witness's vkey and the size it holds, for operators.
"""

from __future__ import annotations

import argparse
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from api.cli import _Parser
from api.verbs.serve import _port


def _read_key(path: Path) -> Any:
    from ledger.cosignature import CosignatureError, Cosigner  # noqa: PLC0415

    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or e
        raise _RefusedError(f"--key: cannot read {path}: {reason}") from None
    if mode & 0o077:
        raise _RefusedError(f"--key: {path} has mode {mode:04o}; it must be 0600")
    try:
        return Cosigner.from_private_text(text)
    except (CosignatureError, ValueError) as e:
        raise _RefusedError(f"--key: {e}") from None


class _RefusedError(Exception):
    """A configuration the witness will not start with (one line, exit 2)."""


def cmd_keygen(args: argparse.Namespace) -> int:
    """Write a new cosigning key (0600, refusing to overwrite) and print its vkey."""
    from ledger.cosignature import CosignatureError, Cosigner  # noqa: PLC0415

    try:
        cosigner = Cosigner.generate(args.name)
    except CosignatureError as e:
        print(f"auxledger: --name: {e}", file=sys.stderr)  # noqa: T201
        return 2
    path = Path(args.out)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        print(f"auxledger: --out: cannot create {path}: {e.strerror}", file=sys.stderr)  # noqa: T201
        return 2
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(cosigner.private_text())
    os.chmod(path, 0o600)
    vkey = cosigner.key.vkey
    path.with_name(path.name + ".vkey").write_text(vkey + "\n", encoding="ascii")
    print(vkey)  # noqa: T201
    return 0


def make_handler(service: Any) -> type[BaseHTTPRequestHandler]:
    """The request handler bound to one ``WitnessService``."""
    from ledger.witness import MAX_BODY, RefusedError  # noqa: PLC0415

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "auxledger-witness"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return  # requests carry no personal data, but keep stderr for failures only

        def _answer(self, status: int, body: str, content_type: str) -> None:
            raw = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            if self.path.rstrip("/") not in ("", "/"):
                self._answer(404, "not found\n", "text/plain; charset=utf-8")
                return
            state = service.state
            size = 0 if state is None else state.size
            self._answer(
                200,
                f"{service.cosigner.key.vkey}\n{service.origin} {size}\n",
                "text/plain; charset=utf-8",
            )

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
                self._answer(404, "not found\n", "text/plain; charset=utf-8")
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self.close_connection = True
                self._answer(411, "a Content-Length is required\n", "text/plain; charset=utf-8")
                return
            if not 0 <= length <= MAX_BODY:
                self.close_connection = True
                self._answer(413, "the request is too large\n", "text/plain; charset=utf-8")
                return
            body = self.rfile.read(length)
            try:
                lines = service.add_checkpoint(body)
            except RefusedError as e:
                self._answer(e.status, e.body, e.content_type)
                return
            self._answer(200, lines, "text/plain; charset=utf-8")

    return Handler


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the witness until interrupted."""
    from ledger.note import NoteError, parse_vkey  # noqa: PLC0415
    from ledger.witness import WitnessService, WitnessStateError  # noqa: PLC0415

    try:
        cosigner = _read_key(Path(args.key))
        try:
            log_keys = [parse_vkey(v.strip()) for v in args.log_vkey]
        except NoteError as e:
            raise _RefusedError(f"--log-vkey: {e}") from None
        service = WitnessService(cosigner, log_keys, Path(args.state), origin=args.origin)
        service.open()
    except (_RefusedError, WitnessStateError) as e:
        print(f"auxledger: {e}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        server = ThreadingHTTPServer((args.host, args.port), make_handler(service))
    except OSError as e:
        service.close()
        print(f"auxledger: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)  # noqa: T201
        return 2
    server.daemon_threads = True
    size = 0 if service.state is None else service.state.size
    print(  # noqa: T201
        f"witness {cosigner.key.vkey} for {service.origin} (holds size {size}) "
        f"on http://{args.host}:{server.server_address[1]}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        service.close()
    return 0


def register(sub: Any) -> None:
    """Add the ``witness`` verb."""
    p = sub.add_parser("witness", help="an independent C2SP tlog-witness")
    witness_sub = p.add_subparsers(dest="witness_command", required=True, parser_class=_Parser)
    q = witness_sub.add_parser("keygen", help="write a new cosigning key and print its vkey")
    q.add_argument("--name", required=True, help="the witness's name, e.g. jcy.nantong.example/w1")
    q.add_argument("--out", required=True, help="key file to create (mode 0600)")
    q.set_defaults(func=cmd_keygen)
    q = witness_sub.add_parser("serve", help="serve add-checkpoint")
    q.add_argument("--key", required=True, help="the key file from `witness keygen`")
    q.add_argument("--log-vkey", required=True, action="append", help="the log's vkey (repeatable)")
    q.add_argument("--origin", default=None, help="the log's origin (default: the vkey's name)")
    q.add_argument("--state", required=True, help="state folder (this witness's own)")
    q.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    q.add_argument("--port", type=_port, default=7380, help="port (default 7380)")
    q.set_defaults(func=cmd_serve)

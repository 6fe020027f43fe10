"""Per-report cache: what the per-report stages made of a source, kept between builds.

An entry is keyed by the source's bytes, its sidecar, its id, the code of the per-report stages
(``pipeline.codehash``: a change to the site's code keeps the entries) and the versions of
Python and of the libraries that shape the outputs, so that upgrading one of them recomputes
every report. Entries are pickles, and unpickling runs code: each entry is signed
(HMAC-SHA256) with a secret of this checkout, created on first use in the cache folder and
readable by its owner only, and an entry whose signature does not verify is never unpickled.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import json
import os
import pickle
import secrets
import stat
import sys
import unicodedata
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.records import Source

LIBRARIES = (
    "opencc",
    "charset-normalizer",
    "beautifulsoup4",
    "lxml",
    "markdownify",
    "nh3",
    "pyyaml",
    "pdfplumber",
    "pypdf",
    "python-docx",
)
"""Distributions whose version can change what a report's stages produce (those not installed
count as absent)."""

SITE_LIBRARIES = (
    "mkdocs",
    "mkdocs-material",
    "markdown",
    "pymdown-extensions",
    "jinja2",
    "pagefind",
)
"""Distributions whose version can change the site made from the same pages."""

SECRET_NAME = "secret.key"
SECRET_BYTES = 32
_MAGIC = b"GDRC1\n"
_SIG_BYTES = hashlib.sha256().digest_size
PACK_PREFIX = 2
"""A pack's entries are grouped by this many first characters of their (hex) keys: 256 files."""


def library_versions(names: Sequence[str] = LIBRARIES) -> dict[str, str | None]:
    """The installed version of each distribution (None when it is not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment_fingerprint(code: str, libraries: Sequence[str] = LIBRARIES) -> str:
    """``code`` (the pipeline's fingerprint) with the Python, Unicode and library versions."""
    env = {
        "code": code,
        "python": list(sys.version_info[:2]),
        # str.isalnum, NFKC and the like follow Python's Unicode tables.
        "unicode": unicodedata.unidata_version,
        "libraries": library_versions(libraries),
    }
    return hashlib.sha256(json.dumps(env, sort_keys=True).encode()).hexdigest()[:16]


class Cache:
    """Per-report results under ``root/<fingerprint>/``, signed with ``root/secret.key``."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.base = root
        self.root = root / environment_fingerprint(fingerprint)
        self.enabled = True
        self._secret: bytes | None = None

    def key(self, source: Source, report_id: str) -> str:
        return self.key_of(
            hashlib.sha256(source.data).hexdigest(), source.name, report_id, source.sidecar
        )

    @staticmethod
    def key_of(sha256: str, name: str, report_id: str, sidecar: dict[str, str]) -> str:
        """The key of a source known by the SHA-256 (hex) of its bytes: a build that has the
        hash recorded (``build.input_fingerprint``) need not read the source to find its entry."""
        h = hashlib.sha256(bytes.fromhex(sha256))
        h.update(json.dumps([name, report_id, sidecar], sort_keys=True).encode())
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def secret(self) -> bytes:
        """This checkout's signing secret, created (mode 0600) when there is none. A secret file
        that others could read or write, or that is not a plain file of ours, is replaced."""
        if self._secret is not None:
            return self._secret
        self.base.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.base / SECRET_NAME
        value = _read_private(path)
        if value is None:
            path.unlink(missing_ok=True)
            value = secrets.token_bytes(SECRET_BYTES)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another build made it just now
                value = _read_private(path)
                if value is None:
                    raise RuntimeError(f"cannot use the cache secret {path}") from None
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(value)
        self._secret = value
        return value

    def _sign(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self.secret(), key.encode() + b"\0" + payload, hashlib.sha256).digest()

    def _seal(self, label: str, value: Any) -> bytes:
        """``value`` pickled and signed under ``label`` (an entry's key, a pack group's name)."""
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return _MAGIC + self._sign(label, payload) + payload

    def _unseal(self, label: str, blob: bytes) -> Any:
        """The value ``_seal`` made ``blob`` of under ``label``; None when it was not sealed here
        under that label (nothing is unpickled then) or is of an older layout."""
        head = len(_MAGIC) + _SIG_BYTES
        if len(blob) < head or not blob.startswith(_MAGIC):
            return None
        signature, payload = blob[len(_MAGIC) : head], blob[head:]
        if not hmac.compare_digest(signature, self._sign(label, payload)):
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a signed value of an older layout is a miss
            return None

    def get(self, key: str) -> Any:
        """The entry for ``key``, or None when there is none or it was not written here."""
        p = self._path(key)
        if not self.enabled or not p.exists():
            return None
        try:
            return self._unseal(key, p.read_bytes())
        except OSError:
            return None

    def put(self, key: str, value: Any) -> None:
        if not self.enabled:
            return
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_bytes(self._seal(key, value))
        tmp.replace(p)

    def read_pack(self, name: str) -> dict[str, Any]:
        """The entries ``write_pack`` kept together under ``name``: a few hundred files read
        rather than one per report (on a disk whose cache has gone cold, a build that finds
        every report kept would spend seconds per thousand reports opening entries). A group
        whose signature does not verify is not unpickled: its entries are missing."""
        folder = self.root / name
        entries: dict[str, Any] = {}
        if not self.enabled or not folder.is_dir():
            return entries
        # Unpickling makes some hundred objects a report: the collector, which would walk them
        # again and again as they are made, waits (10,000 light reports: 1.8 s with it, 0.5 s).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for path in sorted(folder.iterdir()):
                group = path.name
                if len(group) != PACK_PREFIX:
                    continue
                with contextlib.suppress(OSError):
                    entries.update(self._group(f"{name}/{group}", group, path.read_bytes()))
        finally:
            if collecting:
                gc.enable()
        return entries

    def _group(self, label: str, group: str, blob: bytes) -> dict[str, Any]:
        kept = self._unseal(label, blob)
        ok = isinstance(kept, dict) and all(k[:PACK_PREFIX] == group for k in kept)
        return kept if ok else {}

    def write_pack(self, name: str, entries: dict[str, Any], kept: dict[str, Any]) -> None:
        """Keep ``entries`` (hex keys: values as ``put`` takes them) as the pack ``name``,
        grouped by the first ``PACK_PREFIX`` characters of their keys, each group signed in a
        file of its own. Only the groups whose keys differ from those of ``kept`` (what
        ``read_pack`` gave) are written again: a one-report change writes one group."""
        if not self.enabled:
            return
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        new: dict[str, dict[str, Any]] = {}
        old: dict[str, set[str]] = {}
        for k, v in entries.items():
            new.setdefault(k[:PACK_PREFIX], {})[k] = v
        for k in kept:
            old.setdefault(k[:PACK_PREFIX], set()).add(k)
        for group in sorted(new.keys() | old.keys()):
            path = folder / group
            if group not in new:
                path.unlink(missing_ok=True)
            elif new[group].keys() != old.get(group, set()):
                tmp = path.with_name(group + ".tmp")
                tmp.write_bytes(self._seal(f"{name}/{group}", dict(sorted(new[group].items()))))
                tmp.replace(path)


def _read_private(path: Path) -> bytes | None:
    """The secret in ``path`` if it is a regular file of this user that no one else can read or
    write and holds a whole secret; else None."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
        return None
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return None
    data = path.read_bytes()
    return data if len(data) == SECRET_BYTES else None

"""Safe output folders: never delete or overwrite what the tool did not write.

Every command that writes a folder (``clean``, ``report``, ``score``,
``synth``) goes through :func:`publish_dir`:

1. the target is checked: it must not exist, be empty, or hold only what
   this kind of output writes, with the tool's marker file
   (``.liushou-output``) naming the same kind; a target inside a raw
   dataset (a term folder such as 2024-2025-1 above it), or holding or
   inside the raw dataset being read, is refused with one sentence;
2. a lock file beside the target (``.<name>.lock``) keeps two runs from
   writing one folder: the second stops with a sentence (a lock left by a
   run that no longer exists is taken over);
3. everything is written into a new temporary folder beside the target,
   and swapped in only when complete; an interrupted or failed run leaves
   the previous output as it was and removes its temporary folder.

:func:`write_file_atomically` does the same for a single file
(``inventory --out``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from liushou_analysis.core.errors import UserError
from liushou_analysis.core.terms import Term

MARKER = ".liushou-output"

#: What each kind of output writes, as patterns of paths relative to its folder.
_WRITES: dict[str, tuple[str, ...]] = {
    "clean": (r"[a-z_]+\.parquet", r"manifest\.json", r"quarantine\.xlsx"),
    "report": (r"index\.html", r"\d\d_[a-z_]+\.html", r"payouts\.xlsx", r"figures/[^/]+\.png",
               r"tables/[^/]+\.csv", r"tables/\d\d_[a-z_]+\.counts\.json", r"notebooks/[^/]+\.ipynb", r"fonts/[^/]+"),
    "score": (r"[a-z_]+\.csv", r"[a-z_]+\.xlsx"),
    "export": (r"clean_tables\.xlsx", r"[a-z_]+\.dta", r"[a-z_]+\.sav", r"survey\.csv"),
    "survey": (r"(estimates|reliability|items|tests|models|variables|missing|survey)\.csv",
               r"survey\.(parquet|dta|sav)", r"index\.html", r"figures/[^/]+\.png"),
    "synth": (r".+",),  # a generated county: anything, but only with the generator's marker
}


def _is_ours(rel: str, kind: str) -> bool:
    return rel == MARKER or any(re.fullmatch(p, rel) for p in _WRITES[kind])


_DATA_SUFFIXES = {".xlsx", ".xls", ".xlsm", ".et", ".csv", ".htm", ".html", ".txt"}


def _inside_raw_term(path: Path) -> Path | None:
    """The raw term folder that ``path`` is in (or is), if any: a folder
    named as a term (2024-2025-1, 2025春 ...) that holds data files, directly
    or in a school folder, and no liushou output marker (a report's own
    term folder is not raw)."""
    for part in [path, *path.parents]:
        if not part.is_dir() or Term.from_folder_name(part.name) is None or _read_marker(part) \
                or _legacy_kind(part):
            continue
        if any(p.suffix.lower() in _DATA_SUFFIXES for p in [*part.glob("*"), *part.glob("*/*")] if p.is_file()):
            return part
    return None


def check_target(target: Path, kind: str, raw_dirs: tuple[Path, ...] = ()) -> None:
    """Refuse, with one sentence, a target this command may not replace."""
    target = Path(target).resolve()
    _refuse_raw(target, raw_dirs)
    term = _inside_raw_term(target)
    if term is not None and kind != "synth":
        raise UserError(f"{target} is inside the raw term folder {term}; outputs written there would be read as "
                        "raw data. Choose a folder outside the raw dataset.")
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} is a file, not a folder: choose a folder for the output.")
    if not target.exists() or not any(target.iterdir()):
        return
    marker = _read_marker(target) or _legacy_kind(target)
    if marker != kind:
        raise UserError(f"{target} already holds files that liushou did not write as a {kind} output; choose a new "
                        "or empty folder (a folder is replaced only when it holds an earlier output of the same "
                        "kind and nothing else).")
    strangers = [p.relative_to(target).as_posix() for p in sorted(target.rglob("*"))
                 if p.is_file() and not _is_ours(p.relative_to(target).as_posix(), kind)]
    if strangers:
        raise UserError(f"{target} holds {strangers[0]}"
                        + (f" and {len(strangers) - 1} other file(s)" if len(strangers) > 1 else "")
                        + f" that a {kind} output does not write; move them away or choose another folder.")


def _refuse_raw(target: Path, raw_dirs: tuple[Path, ...]) -> None:
    """An output may not be a dataset being read, lie inside it, or hold it."""
    for raw in raw_dirs:
        raw = Path(raw).resolve()
        if target == raw or raw in target.parents or target in raw.parents:
            raise UserError(f"{target}: the output may not be the raw dataset {raw}, be inside it, or hold it; "
                            "choose a folder outside the raw data.")


def _read_marker(folder: Path) -> str | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def _legacy_kind(folder: Path) -> str | None:
    """An output written before the marker existed: clean tables with their
    manifest, a report with its index page, or score outputs with their
    workbook and rules."""
    try:
        if "package_version" in json.loads((folder / "manifest.json").read_text(encoding="utf-8")):
            return "clean"
    except (OSError, ValueError, TypeError):
        pass
    try:
        if "Made by liushou_analysis" in (folder / "index.html").read_text(encoding="utf-8"):
            return "report"
    except OSError:
        pass
    if (folder / "reward_points.xlsx").is_file() and (folder / "rules.csv").is_file():
        return "score"
    return None


def write_marker(folder: Path, kind: str) -> None:
    """Mark ``folder`` as the tool's output of ``kind``, so a later run may replace it."""
    (Path(folder) / MARKER).write_text(json.dumps({"tool": "liushou", "kind": kind}) + "\n", encoding="utf-8")


@contextmanager
def lock(target: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``target`` for the duration; a second run
    stops with a sentence. A lock whose process is gone is taken over."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _holder_alive(path):
                raise UserError(f"another liushou run is writing {target} (lock {path}); wait for it to finish and "
                                "run again, or delete the lock file if no run is going.") from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _holder_alive(path: Path) -> bool:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publish_dir(target: Path, kind: str, raw_dirs: tuple[Path, ...] = (),
                check: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a new temporary folder beside ``target`` to write the output
    into; when the block ends without error it replaces ``target`` (after
    :func:`check_target`), else it is removed and ``target`` is untouched."""
    target = Path(target).resolve()
    check_target(target, kind, raw_dirs)
    with lock(target):
        check_target(target, kind, raw_dirs)  # again, now that no other run can change it
        work = target.parent / f".{target.name}.writing-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            yield work
            if check:
                check(work)
            write_marker(work, kind)
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            if target.exists():
                os.replace(target, old)
            os.replace(work, target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def write_file_atomically(target: Path, write: Callable[[Path], None], is_ours: Callable[[Path], bool],
                          raw_dirs: tuple[Path, ...] = ()) -> None:
    """Write one file through a temporary file and a rename; an existing file
    is replaced only when ``is_ours`` says the tool wrote it."""
    target = Path(target).resolve()
    _refuse_raw(target, raw_dirs)
    if target.exists() and (target.is_dir() or not is_ours(target)):
        raise UserError(f"{target} already exists and liushou did not write it; choose another file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.writing-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)

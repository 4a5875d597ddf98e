"""History of metrics.yaml: atomic saves, versions, diff, revert, conflicts; and the CLI over them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scorecard.catalog import history as hist
from scorecard.catalog.history import ConflictError, History, HistoryError, InvalidCatalogError, ThreeWay, content_hash
from scorecard.cli.main import main
from scorecard.store.config import DEFAULT_METRICS

ORIGINAL = DEFAULT_METRICS.read_text(encoding="utf-8")
OLD_TARGET = "target: {green: 0.5, amber: 0.35, example: true}"
NEW_TARGET = "target: {green: 0.4, amber: 0.3}"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.yaml"
    path.write_text(ORIGINAL, encoding="utf-8")
    return path


def edited(text: str = ORIGINAL) -> str:
    assert OLD_TARGET in text
    return text.replace(OLD_TARGET, NEW_TARGET)


def test_first_save_keeps_the_file_as_found_then_the_new_version(catalog: Path) -> None:
    history = History(catalog)
    assert history.versions() == []
    version = history.save(edited(), "sales accept target to 40%", "ana", content_hash(ORIGINAL))
    assert catalog.read_text(encoding="utf-8") == edited()
    versions = history.versions()
    assert [(v.number, v.author, v.message) for v in versions] == [
        (1, hist.OUTSIDE_AUTHOR, "the file as found before its first save"),
        (2, "ana", "sales accept target to 40%"),
    ]
    assert version == versions[-1] and version.sha256 == content_hash(edited())
    # readable without the app: a folder beside the file, one file per version, a JSON index
    folder = catalog.parent / ".metrics-history"
    assert (folder / "v0001.yaml").read_text(encoding="utf-8") == ORIGINAL
    assert (folder / "v0002.yaml").read_text(encoding="utf-8") == edited()
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert index["file"] == "metrics.yaml" and [v["file"] for v in index["versions"]] == ["v0001.yaml", "v0002.yaml"]
    assert index["versions"][1]["time"].endswith("Z")


def test_save_refuses_empty_message_invalid_catalog_and_no_change(catalog: Path) -> None:
    history = History(catalog)
    with pytest.raises(HistoryError, match="needs a message"):
        history.save(edited(), "   ", "ana", content_hash(ORIGINAL))
    broken = ORIGINAL.replace(OLD_TARGET, "target: {green: 0.3, amber: 0.35}").replace("of: leads\n", "of: leadz\n", 1)
    with pytest.raises(InvalidCatalogError) as caught:
        history.save(broken, "oops", "ana", content_hash(ORIGINAL))
    messages = [i.message for i in caught.value.issues]
    assert any("thresholds in the wrong order" in m for m in messages)
    assert any("unknown table 'leadz'" in m for m in messages)
    with pytest.raises(HistoryError, match="nothing to save"):
        history.save(ORIGINAL, "same", "ana", content_hash(ORIGINAL))
    assert catalog.read_text(encoding="utf-8") == ORIGINAL and history.versions() == []


def test_conflict_when_the_file_changed_since_it_was_loaded(catalog: Path) -> None:
    history = History(catalog)
    loaded = content_hash(ORIGINAL)
    theirs = ORIGINAL.replace("min_sample: 30", "min_sample: 40", 1)
    catalog.write_text(theirs, encoding="utf-8")  # another analyst, or a git pull
    with pytest.raises(ConflictError) as caught:
        history.save(edited(), "my change", "ana", loaded)
    assert caught.value.theirs == theirs
    assert catalog.read_text(encoding="utf-8") == theirs and history.versions() == []
    both = ThreeWay.of(ORIGINAL, edited(), theirs)
    assert "+    " + NEW_TARGET in both.mine and "+    min_sample: 40" in both.theirs
    assert not both.overlapping
    assert both.merged == edited(theirs)  # different lines: both changes, applied to the base
    clash = ThreeWay.of(ORIGINAL, edited(), ORIGINAL.replace(OLD_TARGET, "target: {green: 0.6, amber: 0.4}"))
    assert clash.overlapping and clash.merged is None
    assert ThreeWay.of(ORIGINAL, edited(), edited()).merged == edited()  # the same change on both sides
    # saving on top of the current file works, and records the outside change first
    history.save(edited(theirs), "my change on theirs", "ana", content_hash(theirs))
    assert [v.author for v in history.versions()] == [hist.OUTSIDE_AUTHOR, "ana"]


def test_a_crash_between_write_and_rename_leaves_the_old_file_whole(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(catalog)
    history.save(edited(), "first", "ana", content_hash(ORIGINAL))
    before = sorted(p.name for p in catalog.parent.rglob("*"))
    index_before = (history.folder / "index.json").read_text(encoding="utf-8")
    real_replace = os.replace

    def crash(src: str, dst: str) -> None:
        if Path(dst) == catalog:
            assert Path(src).read_text(encoding="utf-8") == ORIGINAL  # the new text was fully written...
            raise OSError("disk gone")  # ...and the process dies before the rename
        real_replace(src, dst)

    monkeypatch.setattr(hist.os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        history.save(ORIGINAL, "back", "ana", content_hash(edited()))
    monkeypatch.setattr(hist.os, "replace", real_replace)
    assert catalog.read_text(encoding="utf-8") == edited()
    assert (history.folder / "index.json").read_text(encoding="utf-8") == index_before
    leftovers = sorted(p.name for p in catalog.parent.rglob("*"))
    assert [n for n in leftovers if n.endswith(".tmp")] == []
    # the version file written before the crash is an orphan the index never names; the next save reuses its number
    assert set(leftovers) - set(before) <= {"v0003.yaml"}
    version = history.save(ORIGINAL, "back, again", "ana", content_hash(edited()))
    assert version.number == 3 and history.text(3) == ORIGINAL


def test_diff_and_revert(catalog: Path) -> None:
    history = History(catalog)
    history.save(edited(), "lower the bar", "ana", content_hash(ORIGINAL))
    diff = history.diff(1, 2)
    assert diff.startswith("--- v1\n+++ v2\n")
    assert "-    " + OLD_TARGET + "\n" in diff and "+    " + NEW_TARGET + "\n" in diff
    assert history.diff(2) == ""  # v2 is the file on disk
    reverted = history.revert(1, "the old bar was right", "bo", content_hash(edited()))
    assert reverted.number == 3 and reverted.reverts == 1 and reverted.message == "revert to v1: the old bar was right"
    assert catalog.read_text(encoding="utf-8") == ORIGINAL
    with pytest.raises(HistoryError, match=r"no version 9 of metrics.yaml \(versions: v1..v3\)"):
        history.revert(9, "x")
    with pytest.raises(HistoryError, match="not a version"):
        hist.parse_ref("latest")


def test_cli_history_diff_revert_record(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = ["--metrics", str(catalog)]
    assert main(["history", *m]) == 0
    assert "no saved versions yet" in capsys.readouterr().out
    assert main(["record", "-m", "as shipped", "--author", "ana", *m]) == 0
    catalog.write_text(edited(), encoding="utf-8")  # a hand edit
    assert main(["record", "-m", "lower the bar", "--author", "bo", *m]) == 0
    capsys.readouterr()
    assert main(["diff", "1", "2", *m]) == 0
    out = capsys.readouterr().out
    assert "-    " + OLD_TARGET in out and "+    " + NEW_TARGET in out
    assert main(["revert", "v1", "--message", "too low", "--author", "cy", *m]) == 0
    assert "now v3 (revert to v1: too low) by cy" in capsys.readouterr().out
    assert catalog.read_text(encoding="utf-8") == ORIGINAL
    assert main(["history", *m]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:4]] == ["v1", "v2", "v3"]
    assert "metrics.yaml on disk is v3" in out
    assert main(["history", "--format", "json", *m]) == 0
    assert [v["author"] for v in json.loads(capsys.readouterr().out)] == ["ana", "bo", "cy"]
    assert main(["revert", "7", "-m", "x", *m]) == 1
    assert "error: no version 7" in capsys.readouterr().err
    catalog.write_text(ORIGINAL.replace("of: leads\n", "of: leadz\n", 1), encoding="utf-8")
    assert main(["record", "-m", "broken", *m]) == 1
    err = capsys.readouterr().err
    assert "unknown table 'leadz'" in err and "fix them before recording" in err

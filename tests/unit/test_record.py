"""The historical record ships as data, and every citation in the scenario files resolves."""

from __future__ import annotations

import ast
import subprocess
import tomllib
from pathlib import Path

import pytest

from model import record
from model.cli import main

ROOT = Path(__file__).resolve().parents[2]

# Counted from FACTS.md and STOCKS.md when the record was transcribed.
N_ROWS = {"FACTS": 144, "STOCKS": 104}
KEPT_BACK = {
    "FACTS": ["86", "92", "93", "94", "95", "96", "97"],
    "STOCKS": ["O37", "O40", "O41", "O50"],
}

# Citations in the scenario files that do not resolve today, as (file, line, citation).
# None did when the record was added; list one here (with the reason) only while the
# scenario file is being fixed, never to silence a new mistake.
KNOWN_UNRESOLVED: set[tuple[str, int, str]] = set()


def scenario_files() -> list[Path]:
    """Every scenario file the project ships (tracked by git; a user's own file does not count)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "scenarios"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    paths = [ROOT / p for p in out if p.endswith(".toml")]
    return sorted(paths) or sorted((ROOT / "scenarios").rglob("*.toml"))


def all_citations() -> list[tuple[str, int, str]]:
    found = []
    for path in scenario_files():
        text = path.read_text(encoding="utf-8")
        for offset, citation in record.citation_spans(text):
            line = text.count("\n", 0, offset) + 1
            found.append((str(path.relative_to(ROOT)), line, citation))
    return found


def test_the_record_has_every_row_of_both_tables():
    for table, n in N_ROWS.items():
        assert len(record.rows(table)) == n, table
    ids = [r.id for r in record.rows()]
    assert len(ids) == len(set(ids))
    assert all(r.status for r in record.rows()), "every row has a reliability tag"


def test_columns_did_not_shift():
    # one row per table layout: 8 columns with "What it measures", 7 without, STOCKS
    r = record.lookup("63")
    assert (r.quantity, r.value, r.unit, r.status) == (
        "Oil products",
        "1.0 Mt; 95 M RM",
        "t; RM",
        "S",
    )
    assert r.period.startswith("Dec 1939 – end May 1941") and r.source.startswith("Sipols 1997")
    r = record.lookup(41)
    assert (r.value, r.unit, r.period, r.status) == ("900,000", "t", "agreement year", "P")
    assert r.measures.startswith("Crude, refinery") and r.source.startswith("FRUS 1940")
    r = record.lookup("76")  # a 1e row printed with a measures cell its header lacks
    assert (r.value, r.unit, r.period, r.source, r.status) == (
        "657,000", "t", "1940", "rulit.me, *СССР и второй фронт* p. 33", "S"
    )  # fmt: skip
    r = record.lookup("U4")
    assert (r.unit, r.period, r.status, r.table) == ("Mt", "1938–41", "U", "STOCKS")
    assert r.section == "1e. Soviet side"
    assert record.lookup("O1").status == "S (press)"
    assert record.lookup("R12").status == "W/S"
    assert record.lookup("1").section == "1a. Long-run German–Soviet trade (values)"


def test_tags_have_meanings():
    assert set(record.tags("FACTS")) == set("PSWFUD") == set(record.tags("STOCKS"))
    for r in record.rows():
        assert "unknown tag" not in r.status_meaning, (r.id, r.status)
    assert "press" in record.tag_meaning("S (press)", "STOCKS")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# row 63: 95 M RM / 1.0 Mt", ["row 63"]),
        ("rows 63-73", ["rows 63-73"]),
        ("rows 63–73", ["rows 63-73"]),
        ("rows 37-38, 51-54", ["rows 37-38", "rows 51-54"]),
        ("history row 41", ["row 41"]),
        ("Row 52: 73 M RM; row 105/107: 45 %", ["row 52", "row 105", "row 107"]),
        ("rows 9, 12 (see above)", ["row 9", "row 12"]),
        ("Flax (row 67, 10 kt, 14.7 M RM)", ["row 67"]),
        ("row 80: 109,978 t", ["row 80"]),
        ("the row-37 ratio", ["row 37"]),
        ("O34's drawdown; STOCKS U4; G8/G9", ["O34", "U4", "G8", "G9"]),
        ("= H129; H144–145", ["row 129", "rows 144-145"]),
        ("row 14: H1 1941 a record half-year; ~40 RM/m3; [U]; FACTS §2", ["row 14"]),
    ],
)
def test_find_citations(text, expected):
    assert record.find_citations(text) == expected


def test_resolve_and_its_errors():
    assert [r.id for r in record.resolve("rows 63–65")] == ["63", "64", "65"]
    assert [r.id for r in record.resolve("rows 85-98")] == [
        "85",
        "87",
        "88",
        "89",
        "90",
        "91",
        "98",
    ]
    assert [r.id for r in record.resolve("STOCKS U4")] == ["U4"]
    assert [r.id for r in record.resolve("H129")] == ["129"]
    assert [r.id for r in record.resolve(63)] == ["63"]
    for table, ids in KEPT_BACK.items():
        for row_id in ids:
            with pytest.raises(KeyError, match=f"{table} row {row_id} is not in the record"):
                record.resolve(row_id)
    with pytest.raises(KeyError, match="does not exist"):
        record.lookup("152")
    with pytest.raises(KeyError, match="does not exist"):
        record.resolve("rows 150-160")
    with pytest.raises(KeyError, match="not a row id"):
        record.resolve("the Lutzow")


def test_every_citation_in_the_scenario_files_resolves():
    citations = all_citations()
    assert len(citations) > 300, "the citation parser found too few citations"
    assert any(f.endswith("validation/targets.toml") for f, _, _ in citations)
    unresolved = []
    for file, line, citation in citations:
        try:
            record.resolve(citation)
        except KeyError as err:
            if (file, line, citation) not in KNOWN_UNRESOLVED:
                unresolved.append(f"{file}:{line}: {citation}: {err}")
    assert not unresolved, "citations that name no row of the record:\n" + "\n".join(unresolved)


def test_each_validation_target_takes_its_tag_from_its_first_row():
    targets = tomllib.loads((ROOT / "scenarios/validation/targets.toml").read_text())["target"]
    for target in targets:
        first = record.resolve(target["rows"][0])[0]
        assert first.status == target["tag"], (target["id"], first.label, first.status)


def test_sources_command_prints_a_row(capsys):
    assert main(["sources", "63"]) == 0
    out = capsys.readouterr().out
    assert "FACTS row 63" in out and "1.0 Mt; 95 M RM" in out and "Sipols 1997" in out
    assert "secondary source" in out  # the tag's meaning beside it


def test_sources_command_reports_a_missing_row(capsys):
    assert main(["sources", "63", "92"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "pactsim sources: error: FACTS row 92 is not in the record: FACTS.md keeps it back"
        " as an out-of-sample validation target (or the citation is wrong)"
    ]
    assert captured.out == ""


def test_sources_command_searches(capsys):
    assert main(["sources", "--search", "Sipols"]) == 0
    out = capsys.readouterr().out
    assert "FACTS row 72" in out and "STOCKS G16" in out
    assert main(["sources", "--search", "no such word anywhere"]) == 1


def test_the_record_is_the_lowest_layer():
    """model.record imports nothing from the rest of model (its command only model.record)."""
    for path in (ROOT / "model/record").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        inside = [m for m in names if m.startswith("model") and m != "model.record"]
        assert not inside, (path.name, inside)


def test_search_ignores_accents_and_finds_the_prose_of_section_2(capsys):
    for word in ("Lutzow", "Lützow", "LUTZOW"):
        hits = record.search(word)
        assert [r.label for r in hits] == ["FACTS §2.48"], word
        assert "106.5" in hits[0].value and hits[0].section.startswith("2. ")
    assert main(["sources", "--search", "Lutzow"]) == 0
    assert "FACTS §2.48" in capsys.readouterr().out


def test_section_citations_as_the_scenarios_write_them_resolve(capsys):
    whole = record.resolve("FACTS §2")
    assert len(whole) > 20 and all(r.id.startswith("§2.") for r in whole)
    assert record.resolve("§2") == whole
    assert [r.label for r in record.resolve("FACTS §2.48")] == ["FACTS §2.48"]
    with pytest.raises(record.UnknownRow, match="FACTS §2"):
        record.resolve("FACTS §9")
    cited = [
        line
        for path in sorted((ROOT / "scenarios").glob("*.toml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if "FACTS §2" in line
    ]
    assert cited  # the baseline cites the section (nickel, tungsten, fats, the Lützow)
    assert main(["sources", "FACTS §2"]) == 0
    out = capsys.readouterr().out
    assert out.count("FACTS §2.") == len(whole) and "Lützow" in out

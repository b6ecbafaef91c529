"""Countries in focus: gazetteer forms, Bolivian places, weighting of passing mentions."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.analyze import Analyzer
from narratives.countries import load_gazetteer
from narratives.errors import ConfigError

from .nlp_fixtures import analyze_one, shared_analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return shared_analyzer()

LATIN_AMERICA = {"AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "HT", "MX",
                 "NI", "PA", "PE", "PY", "SV", "UY", "VE"}


def countries(analyzer: Analyzer, text: str, title: str = "") -> dict[str, tuple[int, bool]]:
    a = analyze_one(analyzer, text, title)
    return {c.code: (c.mentions, c.focus) for c in a.countries}


def test_gazetteer_covers_latin_america_and_bolivia_in_depth() -> None:
    g = load_gazetteer()
    assert g.version
    assert LATIN_AMERICA | {"US", "CN", "RU", "TW", "HK"} <= set(g.countries)
    assert g.countries["BO"].es == "Bolivia" and g.countries["MX"].es == "México"
    bolivia = {t for t, code, _ in g.forms if code == "BO"}
    for place in ("La Paz", "El Alto", "Santa Cruz de la Sierra", "Cochabamba", "Sucre",
                  "Potosí", "Oruro", "Tarija", "Beni", "Pando", "Uyuni", "Chapare", "Bolivian"):
        assert place in bolivia, place


@pytest.mark.parametrize(
    "text, code",
    [
        ("Protesters marched from El Alto to La Paz.", "BO"),
        ("Output rose at the Potosi and Oruro mines.", "BO"),  # accents are optional
        ("Bolivian exporters met in Santa Cruz de la Sierra.", "BO"),
        ("Officials in Beijing and Shanghai approved it.", "CN"),
        ("Brasília and São Paulo disagreed.", "BR"),
        ("Flights from Lima to Cusco resumed.", "PE"),
    ],
)
def test_places_and_demonyms_map_to_countries(analyzer: Analyzer, text: str,
                                              code: str) -> None:
    assert code in countries(analyzer, text)


def test_longest_place_wins_and_counts_once(analyzer: Analyzer) -> None:
    found = countries(analyzer, "Traders in Santa Cruz de la Sierra waited.")
    assert found["BO"][0] == 1


def test_ambiguous_names_are_not_countries(analyzer: Analyzer) -> None:
    found = countries(analyzer, "Tourists drove from New Mexico to Washington State, "
                                "then sailed the South China Sea.")
    assert "MX" not in found
    assert "CN" not in found
    assert found.get("US", (0, False))[0] >= 1  # New Mexico is in the US


def test_passing_mention_is_not_focus(analyzer: Analyzer) -> None:
    body = " ".join([
        "Bolivia's lithium agency signed a new contract for the salt flats near Uyuni.",
        "Officials in La Paz said the plant would start next year.",
        "Workers in Potosí welcomed the news but asked for guarantees.",
        "Cochabamba business leaders expect new suppliers.",
        "The Bolivian government will publish the terms.",
        "Analysts compared the deal with one signed in Chile years ago.",
    ])
    found = countries(analyzer, body, title="Bolivia signs lithium deal")
    assert found["BO"][1] is True
    assert found["CL"] == (1, False)


def test_a_lead_mention_in_a_short_item_is_focus(analyzer: Analyzer) -> None:
    found = countries(analyzer, "Peru opened the port of Chancay. Ships arrived.")
    assert found["PE"][1] is True


def test_weights_sum_to_one_and_are_ordered(analyzer: Analyzer) -> None:
    a = analyze_one(analyzer, "Bolivia and Bolivia again, then Peru and Chile.")
    weights = [c.weight for c in a.countries]
    assert weights == sorted(weights, reverse=True)
    assert abs(sum(weights) - 1) < 0.01
    assert a.countries[0].code == "BO" and a.countries[0].name == "Bolivia"


def test_gazetteer_rejects_a_form_of_two_countries(tmp_path: Path) -> None:
    path = tmp_path / "countries.yaml"
    path.write_text("version: '1'\ncountries:\n  BO: {name: Bolivia, places: [Santa Cruz]}\n"
                    "  US: {name: United States, places: [Santa Cruz]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"countries\.US\.places\[0\].*already a form of BO"):
        load_gazetteer(path)


def test_gazetteer_rejects_a_bad_code(tmp_path: Path) -> None:
    path = tmp_path / "countries.yaml"
    # unquoted NO is read by YAML as false: the error must say so clearly
    path.write_text("version: '1'\ncountries:\n  NO: {name: Norway}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="two-letter ISO"):
        load_gazetteer(path)

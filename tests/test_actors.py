"""The actor registry and matching: aliases, metonyms, possessives, ambiguities."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.actors import KINDS, load_registry
from narratives.analyze import Analyzer
from narratives.errors import ConfigError

from .nlp_fixtures import actors_in, analyze_one, shared_analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return shared_analyzer()


def test_shipped_registry_is_valid_and_large_enough() -> None:
    reg = load_registry()
    assert reg.version
    for actor in ("US", "China"):
        aliases = reg.actors[actor].aliases
        assert len(aliases) >= 150, actor
        assert {a.kind for a in aliases} == set(KINDS), actor
    for actor in ("Russia", "EU", "Taiwan", "Hong Kong", "Bolivia", "Brazil", "Mexico"):
        assert actor in reg.actors
    assert "Washington" in reg.personal_names


@pytest.mark.parametrize(
    "text, present, absent",
    [
        ("Beijing said the loan terms were fair.", {"China"}, {"US"}),
        ("Washington's sanctions worry exporters in La Paz.", {"US"}, {"China", "Bolivia"}),
        ("China's ambassador visited the salt flats.", {"China"}, set()),
        ("Americans and Chinese nationals queued at the consulate.", {"US", "China"}, set()),
        ("U.S.-led talks stalled while U.S.-China tension grew.", {"US", "China"}, set()),
        ("A Sino-Bolivian venture will build the plant.", {"China", "Bolivia"}, set()),
        ("Xinhua reported the deal; Voice of America questioned it.", {"China", "US"}, set()),
        ("Huawei and CATL opened offices; ExxonMobil left.", {"China", "US"}, set()),
        ("The PLA Navy and SOUTHCOM held separate drills.", {"China", "US"}, set()),
        ("Wang Yi met Marco Rubio in New York.", {"China", "US"}, set()),
        ("CHINA AND BOLIVIA SIGN LITHIUM PACT", {"China", "Bolivia"}, {"US"}),
        ("Miguel Diaz-Canel thanked his hosts.", {"Cuba"}, set()),
        # ambiguities: not the US, not China
        ("Fishing fleets crowd the South China Sea.", set(), {"China"}),
        ("Latin America and the Americas need roads; South American leaders agree.",
         set(), {"US"}),
        ("The Inter-American Development Bank approved the loan.", set(), {"US"}),
        ("The Organization of American States sent observers.", set(), {"US"}),
        ("Pupils now take classes in Chinese.", set(), {"China"}),
        ("She is fluent in Spanish and Chinese.", set(), {"China"}),
        ("Chinese lessons are popular in Cochabamba.", set(), {"China"}),
        ("Denzel Washington attended the premiere.", set(), {"US"}),
        ("Apple growers in Washington state expanded.", set(), {"US"}),
        ("Washington Irving wrote it; Washington Quiroga, the mayor, read it.", set(), {"US"}),
        ("LET US VOTE, SAY PROTESTERS — WHAT IT MEANS FOR US", set(), {"US"}),
        ("US SANCTIONS HIT CHINESE LENDERS", {"US", "China"}, set()),
        ("The novel was translated into Chinese, Korean and Japanese.", set(), {"China"}),
        ("A newspaper printed in Chinese has survived a century.", set(), {"China"}),
        ("EXIM's board approved it; the old Ford plant closed.", {"US"}, set()),
        ("Officials in Washington DC said so.", {"US"}, set()),
        ("Rain fell across Washington State on Monday.", set(), {"US"}),
        ("The Washington Post reported the meeting.", set(), {"US"}),
        ("A Washington-based think tank published a survey.", set(), {"US"}),
        ("They opened an American-style diner and a Chinese restaurant.", set(),
         {"US", "China"}),
        ("Families celebrated Chinese New Year in Santa Cruz.", set(), {"China"}),
        ("She collects fine china and porcelain.", set(), {"China"}),
        ("Give us the data, they told us.", set(), {"US"}),
        ("TSMC and Foxconn expanded, said the Republic of China's envoy.", {"Taiwan"},
         {"China"}),
        ("CK Hutchison runs the Panama Ports Company terminals.", {"Hong Kong"}, {"China"}),
        ("The South China Morning Post cited officials in Taipei.", {"Taiwan"}, {"China"}),
        # false positives once found in real feeds (bench/real_world_eval.py)
        ("African-American voters in Georgia lined up for hours.", set(), {"US"}),
        ("Native American tribes in Oklahoma sued the county.", set(), {"US"}),
        ("Fed-up voters put Latin American leaders on thin ice.", set(), {"US"}),
        ("The clinic at 1300 Albemarle St. NW offers free screenings.", set(), {"US"}),
        ("CCTV cameras were installed at the municipal market.", set(), {"China"}),
        ("Al Jazeera America closed its doors on Friday.", set(), {"US"}),
        ("The Fed raised rates and Albemarle bid for the lithium contract.", {"US"}, set()),
        ("State broadcaster CCTV said the talks went well.", {"China"}, set()),
    ],
)
def test_actor_presence(analyzer: Analyzer, text: str, present: set[str],
                        absent: set[str]) -> None:
    found = actors_in(analyzer, text)
    assert present <= found, (text, found)
    assert not (absent & found), (text, found)


def test_washington_state_alone_is_not_the_us(analyzer: Analyzer) -> None:
    assert "US" not in actors_in(analyzer, "Farmers in Washington state harvested wheat.")
    assert "US" not in actors_in(analyzer, "Harrison Ford visited the salt flats.")


def test_the_language_rule_does_not_hide_the_nation(analyzer: Analyzer) -> None:
    assert "China" in actors_in(analyzer, "The brochure was printed in Chinese and "
                                          "handed to Chinese engineers.")
    assert "China" in actors_in(analyzer, "Investment poured in Chinese factories.")


def test_mentions_entities_and_sentences(analyzer: Analyzer) -> None:
    a = analyze_one(analyzer, "The Chinese Foreign Ministry protested. Nothing else happened. "
                              "Beijing's envoy and China's embassy repeated it.")
    china = next(m for m in a.actors if m.actor == "China")
    assert china.mentions == 3
    assert china.sentences == (0, 2)
    surfaces = [s for s, _ in china.entities]
    assert "Chinese Foreign Ministry" in surfaces
    assert "Beijing" in surfaces
    assert all(kind in KINDS for _, kind in china.entities)


def test_entities_resolve_to_actor_and_kind(analyzer: Analyzer) -> None:
    a = analyze_one(analyzer, "Chinese President Xi Jinping spoke with Bolivian President "
                              "Luis Arce about the Inter-American Development Bank.")
    by_text = {e.text: e for e in a.entities}
    assert by_text["Xi Jinping"].actor == "China"
    assert by_text["Xi Jinping"].actor_kind == "person"
    assert by_text["Luis Arce"].actor == "Bolivia"
    idb = next(e for e in a.entities if "Inter-American" in e.text)
    assert idb.actor is None


# --- validation errors name the file, entry and field --------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "actors.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_kind_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "version: '1'\nactors:\n  US:\n    name: United States\n"
                           "    country: US\n    agency: [USAID]\n")
    with pytest.raises(ConfigError) as err:
        load_registry(path)
    assert str(path) in str(err.value) and "actors.US.agency" in str(err.value)
    assert "government" in str(err.value)


def test_duplicate_alias_names_both_places(tmp_path: Path) -> None:
    path = write(tmp_path, "version: '1'\nactors:\n  US:\n    name: United States\n"
                           "    country: US\n    government: [Washington]\n"
                           "  X:\n    name: X\n    country: XX\n    person: [Washington]\n")
    with pytest.raises(ConfigError, match=r"actors\.X\.person\[0\].*actors\.US\.government"):
        load_registry(path)


def test_missing_version_and_bad_entry(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="version"):
        load_registry(write(tmp_path, "actors:\n  US: {name: U, country: US, "
                                      "government: [US]}\n"))
    with pytest.raises(ConfigError, match=r"actors\.US\.government\[1\]"):
        load_registry(write(tmp_path, "version: 1\nactors:\n  US: {name: U, country: US, "
                                      "government: [US, 3]}\n"))


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "version: '1'\nactors:\n  US: [unclosed\n")
    with pytest.raises(ConfigError, match=r"line \d+"):
        load_registry(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_registry(tmp_path / "nope.yaml")


def test_bad_blocker_pattern_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "version: '1'\nactors:\n  US: {name: U, country: US, "
                           "government: [US]}\nblockers:\n  patterns:\n"
                           "    - name: broken\n      pattern: [{NOT_AN_ATTR: x}]\n")
    with pytest.raises(ConfigError, match=r"blockers\.patterns\[0\] \(broken\)"):
        load_registry(path)


def test_custom_registry_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 'test-7'\nactors:\n  Mars:\n    name: Mars\n"
                           "    country: MA\n    government: [Martian Council]\n")
    a = Analyzer(registry=path)
    [res] = a.analyze([("1", "", "The Martian Council met. China was absent.")])
    assert [m.actor for m in res.actors] == ["Mars"]
    assert res.provenance["actor_registry"] == "test-7"


def test_match_index_resolves_like_a_scan_of_every_match() -> None:
    """The bisection index picks the same match as `resolve` over all matches, for
    every span, with overlapping and nested matches of several lengths."""
    import random

    import spacy
    from spacy.tokens import Span

    from narratives.actors import Match, MatchIndex, resolve

    rng = random.Random(0)
    doc = spacy.blank("en")(" ".join(f"w{i}" for i in range(60)))
    matches = []
    for _ in range(40):
        start = rng.randrange(58)
        end = start + rng.choice((1, 1, 2, 3, 5))
        matches.append(Match(start, min(end, 60), rng.choice(("US", "China")), "government",
                             "x"))
    index = MatchIndex(matches)
    spans = [Span(doc, s, e) for s in range(60) for e in range(s + 1, min(s + 8, 61))]
    assert any(resolve(span, matches) is not None for span in spans)
    assert all(index.resolve(span) is resolve(span, matches) for span in spans)
    assert MatchIndex([]).resolve(spans[0]) is None

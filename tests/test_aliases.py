"""extract.v10's article_aliases rule: within one article, one actor under one name."""

from __future__ import annotations

from pathlib import Path

from service.extraction.aliases import alias_groups
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app


def test_acronyms_defined_in_parentheses() -> None:
    text = (
        "The Rapid Support Forces (RSF) shelled the camp. Fighters of the Islamic State in "
        "West Africa Province (ISWAP) raided Gwoza, said the Syrian Observatory for Human "
        "Rights (SOHR). Hayat Tahrir al-Sham (HTS) advanced."
    )
    groups = alias_groups(text)
    assert groups["rsf"] == "rapid support forces"
    assert groups["iswap"] == "islamic state in west africa province"
    assert groups["sohr"] == "syrian observatory for human rights"
    assert groups["hts"] == "hayat tahrir al-sham"


def test_parentheses_that_spell_nothing_are_no_acronym() -> None:
    groups = alias_groups("Fighting in Kidal (Mali) spread. Gao Regional Council (GRC) met.")
    assert "mali" not in groups
    assert groups["grc"] == "gao regional council"


def test_a_name_that_begins_a_longer_one() -> None:
    text = (
        "The Syrian Observatory for Human Rights said 12 died. The Syrian Observatory added "
        "that Jaysh al-Islam fired shells."
    )
    groups = alias_groups(text)
    assert groups["syrian observatory"] == "syrian observatory for human rights"
    assert "jaysh al-islam" not in groups


def test_one_record_per_actor_end_to_end(tmp_path: Path) -> None:
    text = (
        "Published: Sun, May 12, 2024\n"
        "The Rapid Support Forces (RSF) shelled Abu Shouk camp on Saturday, killing 7 people.\n"
        "Later RSF fighters stormed Tawila, killing 3 people.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("The Rapid"):
            side = [("Rapid Support Forces", "rebel group")]
            strike = event("Shelling/artillery/missile attack", by=side, location="Abu Shouk")
            return facts(events=[strike], figures=["killed"])
        if sentence.startswith("Later"):
            side = [("RSF", "rebel group")]
            return facts(events=[event("Attack", by=side, location="Tawila")], figures=["killed"])
        return facts()

    for version, expected in (("extract.v9", 2), ("extract.v10", 1)):
        with running_app(
            tmp_path / version, FakeLLM(script=script), prompt_version=version
        ) as client:
            body = client.post("/articles?wait=10", json={"text": text}).json()
        assert body["run"]["status"] == "succeeded", body["run"]
        assert len(body["article"]["actors"]) == expected, body["article"]["actors"]

"""The treatment catalogue: its content, its API and how a bad catalogue file is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openimr.errors import LibraryError
from openimr.request import CATEGORIES, catalogue, check_catalogue, load_catalogue
from openimr.request.catalogue import CATALOGUE_PATH, synonym_regex

ROOT = Path(__file__).resolve().parents[1]

#: ids other parts of openimr (the engine's criteria files) are written against
CORE_IDS = re.findall(
    r"\S+",
    """
physical-therapy occupational-therapy postoperative-physical-therapy chiropractic acupuncture
massage-therapy aquatic-therapy biofeedback infrared-therapy therapeutic-ultrasound
electrical-stimulation tens h-wave interferential-stimulation traction shockwave-therapy
therapeutic-exercise manual-therapy epidural-steroid-injection facet-joint-injection
medial-branch-block radiofrequency-ablation trigger-point-injection sacroiliac-joint-injection
prp-injection joint-corticosteroid-injection mri-lumbar-spine mri-cervical-spine
mri-thoracic-spine mri-shoulder mri-knee mri-other mr-arthrogram ct-scan xray-lumbar-spine
xray-cervical-spine xray-thoracic-spine xray-shoulder xray-knee xray-other emg ncv emg-ncv
functional-capacity-evaluation range-of-motion-testing grip-strength-testing urine-drug-test
opioid tramadol nsaid proton-pump-inhibitor h2-blocker muscle-relaxant topical-nsaid
lidocaine-patch topical-compound topical-analgesic sleep-aid benzodiazepine antidepressant
anticonvulsant stool-softener medication-other office-visit specialist-consultation
psychological-evaluation psychological-testing psychotherapy functional-restoration-program
work-conditioning home-health-care inpatient-rehabilitation partial-hospitalization dme-brace
cold-therapy-unit continuous-passive-motion dme-other knee-arthroscopy shoulder-arthroscopy
spine-surgery carpal-tunnel-release surgery-other preoperative-clearance preoperative-labs
preoperative-xray preoperative-ekg surgical-assistant laboratory-test
""",
)


def test_core_ids_are_in_the_catalogue() -> None:
    assert set(CORE_IDS) - set(catalogue().ids) == set()


def test_entries_are_well_formed() -> None:
    cat = catalogue()
    assert len(cat) == len(set(cat.ids)) > 100
    for e in cat:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", e.id)
        assert e.category in CATEGORIES
        assert e.name and e.name == e.name.strip()


def test_catalogue_is_loaded_once() -> None:
    assert catalogue() is catalogue()


def test_get_and_contains() -> None:
    cat = catalogue()
    pt = cat.get("physical-therapy")
    assert pt is not None and pt.name == "physical therapy" and pt.category == "physical-medicine"
    assert cat.get("no-such-treatment") is None
    assert "tens" in cat and "no-such-treatment" not in cat
    assert cat["tens"].category == "physical-medicine"


def test_drug_entries_carry_generic_brand_and_class() -> None:
    cat = catalogue()
    opioid = cat["opioid"]
    norco = next(d for d in opioid.drugs if "Norco" in d.brand_names)
    assert norco.generic == "hydrocodone/acetaminophen" and norco.drug_class == "opioid"
    relaxants = {d.generic for d in cat["muscle-relaxant"].drugs}
    assert {"cyclobenzaprine", "orphenadrine", "baclofen", "tizanidine", "carisoprodol",
            "methocarbamol"} <= relaxants  # fmt: skip
    assert {d.generic for d in cat["anticonvulsant"].drugs} >= {"gabapentin", "pregabalin"}


@pytest.mark.parametrize(
    ("name", "generic"),
    [("Norco", "hydrocodone/acetaminophen"), ("ultram", "tramadol"), ("MOBIC", "meloxicam"),
     ("Hydrocodone-APAP", "hydrocodone/acetaminophen"), ("Voltaren Gel", "diclofenac"),
     ("Ambien", "zolpidem")],
)  # fmt: skip
def test_drug_lookup_by_any_name(name: str, generic: str) -> None:
    drug = catalogue().drug(name)
    assert drug is not None and drug.generic == generic


def test_unknown_drug_lookup() -> None:
    assert catalogue().drug("notadrug") is None


def test_synonym_regex_allows_spacing_hyphens_and_plural() -> None:
    rx = re.compile(synonym_regex("post op"), re.I)
    for text in ("post-op", "Post op", "postop", "post-ops"):
        assert rx.search(text), text
    assert not rx.search("postoperative")
    assert not re.search(synonym_regex("face"), "facet")


def test_regions_in_order_and_generic_spine_gives_way() -> None:
    cat = catalogue()
    assert cat.find_regions("right shoulder, right wrist and right hand") == [
        "shoulder",
        "wrist",
        "hand",
    ]
    assert cat.find_regions("lumbar spine") == ["lumbar-spine"]
    assert cat.find_regions("the spine") == ["spine"]


def test_docs_table_is_current() -> None:
    docs = (ROOT / "docs" / "requests.md").read_text(encoding="utf-8")
    assert catalogue().markdown_table() in docs, (
        "regenerate with: openimr request catalogue --format markdown"
    )


def test_shipped_catalogue_checks_clean() -> None:
    assert check_catalogue(CATALOGUE_PATH) == []


# -- refusing a bad catalogue --------------------------------------------------------------

GOOD = """\
version: 1
regions:
  - id: knee
    name: knee
    synonyms: [knee]
treatments:
  - id: physical-therapy
    name: physical therapy
    category: physical-medicine
    synonyms: [physical therapy]
  - id: mri-knee
    name: MRI of the knee
    category: diagnostic-imaging
    requires: {regions: [knee]}
    synonyms: [mri]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "treatments.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_catalogue_loads(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, GOOD))
    assert cat.ids == ("physical-therapy", "mri-knee")
    assert [m.entry.id for m in cat.find_treatments("MRI knee", regions=["knee"])] == ["mri-knee"]
    assert cat.find_treatments("MRI hip", regions=[]) == []


BAD = [
    (GOOD.replace("    synonyms: [physical therapy]", "    synonym: [physical therapy]"),
     10, "unknown key 'synonym'"),
    (GOOD.replace("  - id: mri-knee", "  - id: physical-therapy"), 11, "duplicate treatment id"),
    (GOOD.replace("    synonyms: [mri]", "    patterns: ['mri(']"), 15, "bad regular expression"),
    (GOOD.replace("{regions: [knee]}", "{regions: [elbow]}"), 14, "unknown region 'elbow'"),
    (GOOD.replace("category: physical-medicine", "category: physio"), 9, "unknown category"),
    (GOOD.replace("  - id: mri-knee", "  - id: MRI_knee"), 11, "not kebab-case"),
    (GOOD.replace("    name: MRI of the knee\n", ""), 11, "missing required key 'name'"),
    (GOOD.replace("version: 1", "version: 2"), 1, "version"),
    (GOOD.replace("    name: knee", "    name: knee\n    name: knee"), 5, "duplicate key"),
    (GOOD.replace("    synonyms: [mri]", "    synonyms: [mri"), None, "not valid YAML"),
    (GOOD + "  - id: opioid\n    name: opioid\n    category: medications-opioids\n"
     "    drugs:\n      - generic: oxycodone\n        klass: opioid\n",
     20, "missing required key 'class'"),
    (GOOD + "  - id: opioid\n    name: opioid\n    category: medications-opioids\n"
     "    drugs:\n      - generic: oxycodone\n        class: opioid\n        topical: nope\n",
     22, "unknown treatment id 'nope'"),
    (GOOD + "  - id: opioid\n    name: opioid\n    category: medications-opioids\n"
     "    drugs:\n      - {generic: oxycodone, class: opioid, brands: [Roxy]}\n"
     "      - {generic: morphine, class: opioid, brands: [roxy]}\n",
     None, "already used by 'oxycodone'"),
    ("- just a list\n", None, "expected a mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_catalogue_is_refused_naming_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LibraryError) as info:
        load_catalogue(path)
    err = info.value
    assert message in str(err)
    assert err.file == str(path)
    if line is not None:
        assert err.line == line
        assert f"{path}:{line}:" in str(err)
    assert any(message in str(e) for e in check_catalogue(path))


def test_check_reports_every_problem(tmp_path: Path) -> None:
    text = GOOD.replace("category: physical-medicine", "category: physio").replace(
        "{regions: [knee]}", "{regions: [elbow]}"
    )
    errors = check_catalogue(write(tmp_path, text))
    assert len(errors) == 2


def test_missing_catalogue_file(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="cannot read"):
        load_catalogue(tmp_path / "nope.yaml")


#: catalogue ids with no criteria set: their items go to a person (docs/library.md, "What is
#: not covered"); a new id needs a set or a place in this list and in that section
WITHOUT_A_SET = {"bone-density-scan", "inpatient-stay", "interpreter"}


def test_every_treatment_but_the_listed_few_has_a_criteria_set() -> None:
    from openimr.library.loader import default_library

    covered = {t for s in default_library().sets.values() for t in s.treatments}
    assert set(catalogue().ids) - covered == WITHOUT_A_SET
    doc = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    n_ids, n_covered = len(catalogue().ids), len(set(catalogue().ids) & covered)
    assert f"cover {n_covered} of the {n_ids} treatment ids" in doc


def test_a_word_index_gives_each_regex_of_a_text_once_whatever_it_met_before() -> None:
    """The index finds a text's regexes by the keys that begin its words (each word's keys
    kept once found): the same regexes, once each, as looking up every prefix of every word,
    on texts whose words recur."""
    cat = catalogue()
    texts = [
        *(e.name for e in cat),
        *(s for e in cat for s in e.synonyms),
        "PT 2x6 lumbar spine; post-op physical therapy, Norco 10/325 #60, MRI L-spine",
        "right knee arthroscopy, postop PT 12 visits",
        "",
        "!!!",
    ]
    for finder in (cat._treatments, cat._regions, cat._specialties):
        index = finder._index
        for text in [*texts, *reversed(texts)]:
            fast = index.candidates_any_order(text)
            assert len(fast) == len(set(fast))
            assert sorted(fast, key=repr) == sorted(index.candidates(text), key=repr)

"""The shipped claim judge: its manifest matches what it names; one door for graders."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pytest

from interviewer.grading.judge import MANIFEST_FILE, MODEL_FILE

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "grading"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def manifest() -> dict:
    assert MODEL_FILE.exists(), "the claim judge must ship in the repository"
    return json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))


def test_manifest_matches_the_model_file(manifest):
    assert manifest["model"]["sha256"] == sha256(MODEL_FILE)
    assert manifest["model"]["bytes"] == MODEL_FILE.stat().st_size
    # int8 weights: small enough to ship in the repository.
    assert MODEL_FILE.stat().st_size < 30_000_000


def test_manifest_names_its_data_command_seed_and_settings(manifest, repo):
    assert manifest["command"].startswith("python -m evals.train_grader --data ")
    assert isinstance(manifest["seed"], int)
    assert {"layers", "epochs", "lr", "batch"} <= set(manifest["settings"])
    names = {d["file"]: d for d in manifest["data"]}
    assert {"mohler_dev.jsonl", "beetle_train.jsonl", "grader_train_authored.jsonl"} <= set(names)
    # Every project-made file it names is the one in the repository, row for row.
    ours = [n for n in names if (repo / "evals" / "data" / n).exists()]
    assert {"grader_train_authored.jsonl", "grader_train_natural.jsonl",
            "grader_train_short.jsonl"} <= set(ours)
    for name in ours:
        path = repo / "evals" / "data" / name
        assert names[name]["sha256"] == sha256(path), name
        assert names[name]["rows"] == sum(1 for _ in path.open()), name


@pytest.mark.skipif(not SHARED.exists(), reason="the development data lives in ../shared, "
                    "which a user's checkout does not have")
def test_manifest_matches_the_development_data(manifest):
    names = {d["file"]: d for d in manifest["data"]}
    for name in ("mohler_dev.jsonl", "beetle_train.jsonl"):
        assert names[name]["sha256"] == sha256(SHARED / name), name


def test_calibration_was_fitted_out_of_fold(repo):
    from interviewer.grading.judged import CALIBRATION_PATH

    data = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    meta = data["meta"]
    assert "out-of-fold" in meta["judge_features"]
    assert set(data["weights"]) >= {"js", "jc"}
    cv = meta["cross_validated"]["unseen_questions"]
    assert {"mohler_dev", "beetle_train"} <= set(cv)


def test_full_strength_is_stretched_above_covered_and_nothing_changes_below():
    from interviewer.grading.features import Calibration
    from interviewer.grading.offline import COVERED_AT, PARTLY_AT

    plain = Calibration(weights={"x": 1.0}, bias=0.0, meta={"band": [0.4, 0.8]})
    knee = Calibration(weights={"x": 1.0}, bias=0.0, meta={"band": [0.4, 0.8], "full_at": 1.0})
    below = [0.3, 0.45, 0.5, 0.55, 0.6]
    # Verdicts (and the contradiction model, which reads strength) see the same numbers.
    assert [knee.point_strength({"x": z}) for z in below] == \
        [plain.point_strength({"x": z}) for z in below]
    assert plain.point_strength({"x": 0.5}) == pytest.approx(PARTLY_AT)
    assert plain.point_strength({"x": 0.6}) == pytest.approx(COVERED_AT)
    # Above covered, a point stated as well as the average correct answer is no longer
    # full strength: a better statement still earns more.
    assert plain.point_strength({"x": 0.8}) == plain.point_strength({"x": 0.9}) == 1.0
    assert knee.point_strength({"x": 0.8}) == pytest.approx(0.75)
    assert knee.point_strength({"x": 0.8}) < knee.point_strength({"x": 0.9}) < 1.0
    assert knee.point_strength({"x": 1.2}) == 1.0


def test_in_domain_eval_questions_never_train_the_judge(repo):
    from evals.grader_data import load_authored
    from evals.splits import eval_question_ids
    from interviewer.guide import load_guide
    from interviewer.notes import load_notes

    notes = load_notes(repo / "knowledge" / "notes", relative_to=repo / "knowledge")
    held = eval_question_ids(notes.keys, load_guide(repo / "knowledge" / "guide.md"))
    assert len(held) >= 100
    assert not held & {p["question_id"] for p in load_authored()}
    for name in ("grader_train_natural.jsonl", "grader_train_short.jsonl"):
        trained = {r["question_id"] for r in load_authored(repo / "evals" / "data" / name)}
        assert trained and not held & trained, name
    short = [json.loads(line) for line in
             (repo / "evals" / "data" / "indomain_short.jsonl").open()]
    assert {a["question_id"] for a in short} <= held
    answers = [json.loads(line) for line in
               (repo / "evals" / "data" / "indomain_answers.jsonl").open()]
    assert {a["question_id"] for a in answers} <= held
    assert len({a["question_id"] for a in answers}) >= 100


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_llm_and_offline_graders_do_not_import_each_other(repo):
    grading = repo / "interviewer" / "grading"
    assert not {m for m in _imports(grading / "llm.py") if m.endswith("offline")}
    assert not {m for m in _imports(grading / "offline.py") if m.endswith("llm")}


def test_every_grader_has_one_grade_and_capabilities():
    from interviewer.grading.base import Grader
    from interviewer.grading.judged import JudgeGrader
    from interviewer.grading.llm import LLMGrader
    from interviewer.grading.offline import EmbeddingGrader

    for cls in (EmbeddingGrader, JudgeGrader, LLMGrader):
        assert issubclass(cls, Grader) and "grade" in dir(cls)
        for cap in ("offline", "deterministic", "streams", "judges_claims"):
            assert isinstance(getattr(cls, cap), bool)
    assert JudgeGrader.judges_claims and not EmbeddingGrader.judges_claims
    assert not LLMGrader.offline and LLMGrader.streams


@pytest.mark.skipif(not SHARED.exists(), reason="the development data lives in ../shared")
def test_the_calibration_rows_were_never_seen_by_the_judge():
    """Every judgement the calibration reads is of a row the shipped judge did not train on."""
    from evals.splits import is_unseen_answer, question_fold

    held = MODEL_FILE.parent / "oof-ship.jsonl"
    rows = {}
    for name in ("mohler_dev.jsonl", "beetle_train.jsonl"):
        for line in (SHARED / name).open():
            r = json.loads(line)
            rows[r["id"]] = r
    judged = [json.loads(line) for line in held.open() if '"row"' in line]
    assert len(judged) > 1000
    for rec in judged:
        r = rows[rec["id"]]
        in_fold0 = question_fold(r["dataset"], r["question_id"]) == 0
        assert in_fold0 or is_unseen_answer(r["id"]), rec["id"]
        assert rec["job"] == ("f0" if in_fold0 else "ua")


def test_a_text_is_judged_the_same_whatever_is_judged_beside_it():
    """An answer and its sentences read together give each the judgements it gets
    alone, first time or second: the int8 model must not be batched into other texts
    (its activation scale is per batch, which once made one answer get two grades)."""
    from interviewer.grading.judge import Judge

    judge = Judge()
    points = ["LoRA freezes the pretrained weights and trains two low-rank matrices.",
              "B is initialised to zero, so training starts from the original model."]
    texts = ["LoRA updates every weight of the model with a lower learning rate.",
             "LoRA keeps the base model frozen and learns a low-rank update BA.",
             "Both matrices start random."]
    first = judge.judge(texts[0], points)  # the key is new: its self-scores join this read
    together = judge.judge_texts(texts, points, [None, None, [1]])
    assert len(together) == len(texts)
    for text, batched in zip(texts[:2], together):
        alone = judge.judge(text, points)
        for a, b in zip(alone, batched):
            assert a.support_logit == pytest.approx(b.support_logit, abs=1e-5)
            assert a.contradiction_logit == pytest.approx(b.contradiction_logit, abs=1e-5)
    assert [j.support_logit for j in first] == [j.support_logit for j in together[0]]
    # A text read against some points only has judgements for those.
    assert together[2][0] is None and together[2][1] is not None
    # The sentence that states the first point supports it more than the one that denies it.
    assert together[1][0].support_logit > together[0][0].support_logit


def test_contradiction_threshold_is_the_lowest_that_spares_correct_text():
    """The threshold flags at most 0.5% of correct answers and 5% of paraphrases,
    and is the lowest grid value that does; it is recorded with the calibration."""
    import math

    from evals.judge_calibration import contradiction_threshold

    def logit(p):
        return math.log(p / (1 - p))

    # 200 correct Beetle answers, one of them read as contradicting at p=0.72;
    # 20 paraphrases, two at p=0.62 (10%) and none above; contradictions at 0.9.
    rows = [{"id": f"b{i}", "dataset": "beetle", "label_2way": "correct"} for i in range(200)]
    records = [{"type": "row", "job": "ua", "id": f"b{i}", "c": logit(0.72 if i == 0 else 0.1)}
               for i in range(200)]
    records += [{"type": "pair", "kind": "paraphrase", "c": logit(0.62 if i < 2 else 0.2)}
                for i in range(20)]
    records += [{"type": "pair", "kind": "contradiction", "c": logit(0.9)} for _ in range(20)]
    chosen = contradiction_threshold(records, rows)
    # 0.5% of 200 is one answer: 0.5 passes on correct answers but flags 10% of
    # paraphrases; 0.65 is the first grid value that spares both.
    assert chosen["at"] == 0.65
    assert chosen["beetle_correct_flagged"] == 0.005 and chosen["paraphrases_flagged"] == 0.0
    assert chosen["contradictions_flagged"] == 1.0

    cal = json.loads((Path(__file__).parents[2] / "interviewer" / "grading" / "model"
                      / "calibration.json").read_text())
    assert cal["meta"]["contradicted_at"] == cal["meta"]["contradiction_threshold"]["at"]


def test_natural_answers_label_every_point_of_their_key(repo):
    import random

    from evals.grader_data import load_natural, natural_examples

    class Key:
        def __init__(self, qid, points):
            self.question_ids, self.key_points = [qid], points

    rows = load_natural()
    assert len(rows) >= 200 and all("points_stated" in r for r in rows)
    first = rows[0]
    key = Key(first["question_id"], [f"point {i}" for i in range(8)])
    other = Key("q99-000000", ["another key's point"])
    out = natural_examples([first, {**first, "question_id": "q00-unknown"}],
                           {first["question_id"]: key}, [key, other], random.Random(0))
    assert len(out) == 1  # a row whose key is not in training is left out
    ex = out[0]
    assert ex.points[:8] == key.key_points and ex.answer == first["answer"]
    assert [i for i, s in enumerate(ex.support[:8]) if s == 1.0] == sorted(first["points_stated"])
    assert ex.support[8:] == [0.0] * (len(ex.points) - 8)  # the distractor is never stated

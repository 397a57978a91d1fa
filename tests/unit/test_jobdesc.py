"""Requirements read from a job description (no model)."""

from __future__ import annotations

import pytest

from interviewer.jobdesc import JobDescriptionError, requirements

JD = """Senior GenAI Engineer

About us: we are a fast-growing startup on a mission to fix healthcare.

Responsibilities
- Build retrieval-augmented generation pipelines over clinical documents
- Evaluate LLM outputs with automated metrics and human review
* Fine-tune open models with LoRA for domain adaptation
1. Deploy and monitor LLM services with low latency and controlled cost
- Python

Benefits
- Health insurance, 401k and parental leave
- Build retrieval-augmented generation pipelines over clinical documents
"""


def test_bullets_become_requirements_without_boilerplate_or_repeats():
    reqs = requirements(JD)
    assert reqs == ["Build retrieval-augmented generation pipelines over clinical documents",
                    "Evaluate LLM outputs with automated metrics and human review",
                    "Fine-tune open models with LoRA for domain adaptation",
                    "Deploy and monitor LLM services with low latency and controlled cost"]


def test_a_description_in_prose_is_read_sentence_by_sentence():
    prose = ("Requirements:\nYou will design retrieval systems for our search product. You have "
             "shipped LLM features to production and measured their quality. We offer a "
             "competitive salary and great benefits.")
    reqs = requirements(prose)
    assert reqs == ["You will design retrieval systems for our search product",
                    "You have shipped LLM features to production and measured their quality"]


@pytest.mark.parametrize("text,reason", [
    ("   ", "empty"),
    ("Wir suchen einen Entwickler mit Erfahrung in Python und maschinellem Lernen, der "
     "Modelle trainiert und bereitstellt und mit unseren Teams zusammenarbeitet.", "German"),
    ("- Python\n- Go\n- SQL", "no requirements"),
    ("- Build RAG systems for search\n" * 4000, "limit"),
])
def test_a_description_that_cannot_tailor_says_why(text, reason):
    with pytest.raises(JobDescriptionError, match=reason):
        requirements(text)

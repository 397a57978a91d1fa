"""What a candidate's message is: an answer, or a request to the interviewer.

In a mock interview people also talk to the interviewer: "could you clarify?",
"say that again?", "any hint?", "I don't know", "let's skip this one". None of
these is an answer, and grading one as an answer gives a meaningless score.

Recognition is offline and cheap, in three steps:
1. phrase patterns, one family per request;
2. for a short message no pattern matched, similarity (the packaged MiniLM) to
   example requests;
3. a guard that keeps answers answers: a message that says more than a request
   needs (content words beyond the request's own words and the question's
   terms) is an answer, whatever it starts with ("I don't know the exact
   number, but LoRA adds two low-rank matrices…").

A message that only resembles a request is read as an answer and carries the
request it might be (`maybe`), so the UI can offer to take it back.
Thresholds were set on the project's own messages (evals/data/intents_dev.json);
`python -m evals.intents` also reports a blind set written without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from .grading.text import STOPWORDS, stem, words

Intent = Literal["answer", "clarify", "repeat", "hint", "dont_know", "skip"]
REQUESTS: tuple[Intent, ...] = ("clarify", "repeat", "hint", "dont_know", "skip")

# Requests are short. Of the dev set's requests the longest has 17 words; an
# answer that long is read as an answer even when it opens with "not sure".
MAX_REQUEST_WORDS = 24
# Content words a request may carry besides its phrase and the question's own
# terms ("what do you mean by utilization, GPU or memory?" carries one). Three
# or more is someone explaining something: an answer.
MAX_EXTRA_CONTENT = 2
# A clarifying question names the alternatives it asks about ("should I focus
# on data loading or the model side?"): one that is a single question may carry
# this many. A message that goes on after its question is an answer.
MAX_EXTRA_CONTENT_QUESTION = 5
# A short single question that offers alternatives ("… or …?") asks which one
# is meant. Longer than this, it is more likely an answer put as a question.
MAX_ALTERNATIVES_WORDS = 18
_ALTERNATIVES_RE = re.compile(r"\w\W+or\W+\w", re.IGNORECASE)
# Cosine to the nearest example request at which a short message with no
# pattern counts as that request; between MAYBE_AT and this, it is an answer
# the UI offers to take back. Set on the dev set (see evals/intents.py).
SIMILAR_AT = 0.70
MAYBE_AT = 0.55

_F = re.IGNORECASE

# Checked in this order: "I don't know, can I get a hint?" is a hint request,
# "not sure what you're asking" a clarification.
PATTERNS: dict[str, re.Pattern] = {
    "repeat": re.compile(
        r"\b(repeat|say (that|it|the question) again|come again|(say|ask|read|give|type|post) "
        r"(it|that|the question|me the question)( out)? again|once again|one more time|"
        r"once more|what (is|was) (it|that|the question) again|what was the question|"
        r"what('s| is) the question( again)?|(missed|lost) (it|that|the question|track)|"
        r"(didn'?t|did not|couldn'?t) (catch|get|hear|see|read) (that|it|the question|what you)|"
        r"pardon( me)?|what was that)\b|^(sorry|huh|what|again)\W*$", _F),
    "clarify": re.compile(
        r"\b(clarify|clarification|what do(es)? (you|it|that|this) mean|what(?:'s| is) meant|"
        r"(you|do you) mean|are you asking|what exactly|rephrase|reword|"
        r"elaborate on (the|your) question|(be|more) specific|more context|referring to|"
        r"what (kind|sort|type|aspect|part|level) of|"
        r"which (one|kind|aspect|part|sense|context|version|way|level)\b|"
        r"which \w+ (are|do|did|should|would) (you|we|i)|"
        r"in what (sense|context|way)|in the [\w\- ]{1,30}sense|as in\b|"
        r"(not sure|unsure) what (you'?re|you are) asking|"
        r"(don'?t|do not|didn'?t) (understand|get) (the|your|this) question|"
        r"what are you looking for|how (detailed|deep|technical|much detail|long)|"
        r"high[- ]level|go into (the )?(details|math|detail)|"
        r"should i (focus|talk|cover|explain|discuss|answer|describe|assume|include|mention|go)|"
        r"do you want me to|(do|would) you (want|like) (me|it|the answer)|scope|"
        r"(is|was) (this|it|that|the question) (about|for|in|limited to|specific to|asking)|"
        r"(are we|you'?re|you are) talking about|are you thinking of|(should|do|can) i assume|"
        r"just to (be sure|confirm|check|clarify)|to confirm|"
        r"(does|do) (it|i|this|the answer) (have|need) to|can it be|or (something else|both)|"
        r"right\?$)", _F),
    "hint": re.compile(
        r"\b(hints?|nudge|pointers?|(a|any|some|one|me a) (tip|clue|direction)|point me|"
        r"help me (get )?start(ed)?|get me started|get (me )?going|kick ?start|"
        r"where (should|do|would|can|to) i? ?(start|begin)|where to (start|begin)|"
        r"(a|some) starting point|"
        r"(a little|some|a bit of|any) help|help me( out)?|can you help|i'?m stuck|stuck|"
        r"unstuck|something to go on|what should i (think|be thinking) about|lifeline)\b"
        r"|^help\W*$", _F),
    "skip": re.compile(
        r"(\bskip\b(?! connection)|\bnext( one| question)?\W*(please)?\W*$|\bnext question\b|"
        r"\bmove on\b|\bmoving on\b|\bgo (on )?to the next\b|"
        r"\b(another|a different|different|the next) (one|question)\b|"
        r"\b(rather not|prefer not to) (answer|do|talk)|\bcome back to (it|this|that)\b|"
        r"\bnot this one\b|\blet'?s (continue|go on|keep going)\b|"
        r"^(i'?ll |i will |let me |can i |i )?pass( on (this|that|it)( one)?)?\W*( please)?\W*$)",
        _F),
    "dont_know": re.compile(
        r"\b((i )?(don'?t|do not|didn'?t) (really |actually )?(know|remember|recall)|dunno|idk|"
        r"no idea|not sure|(no|not a|haven'?t a|have no) clue|clueless|beats me|"
        r"(don'?t|do not) have (an|any|the) (idea|answer|clue)|"
        r"(can'?t|cannot|could not|couldn'?t) (answer|remember|recall|say|think of|come up)|"
        r"never (heard|used|worked|done|touched|came across|come across|encountered|seen)|"
        r"haven'?t (heard|used|worked|done|seen|touched|come across)|"
        r"not familiar|unfamiliar|(mind is|going|drawing a|i'?m) blank(ing)?|beyond me|"
        r"i give up|out of my depth|no (real )?experience|(i'?m|i am) (lost|stumped)|stumped|"
        r"nothing comes to mind|forgot(ten)?|not my (area|field)|outside my (area|experience|"
        r"expertise)|i have nothing)\b", _F),
}

# Chat spellings, rewritten before matching so the patterns stay readable.
_CHAT = [(re.compile(p, _F), r) for p, r in (
    (r"\bu\b", "you"), (r"\bur\b", "your"), (r"\b(pls|plz|pleas)\b", "please"),
    (r"\bdont\b", "don't"), (r"\bcant\b", "can't"), (r"\bim\b", "i'm"), (r"\bive\b", "i've"),
    (r"\b(wat|wut)\b", "what"), (r"\bnxt\b", "next"), (r"\bgimme\b", "give me"),
    (r"\bwanna\b", "want to"), (r"\b(qn|q)\b", "question"), (r"\bthx\b", "thanks"),
    (r"\bi\s*d\s*k\b", "idk"), (r"\btbh\b", ""),
)]

# A hedge followed by anything is an attempt: "no idea, but I'd guess attention".
_ATTEMPT_RE = re.compile(r"\b(but|though|however|although|i think|i guess|i'?d guess|maybe|"
                         r"probably|i believe|i'?d say|i would say|perhaps|my guess)\b", _F)

# Words that belong to talking about a question, not to answering it: they
# never count as content.
_TALK_WORDS = frozenset(stem(w) for w in """
question questions answer answers mean meant means meaning sorry please thanks thank okay ok
yes yeah hmm hm um uh well honestly really actually sure exactly bit little kind sort part
want wanted like know knew think sure idea clue start started begin help get give go let
could would should need talk looking look asking ask asked say said again tell explain
more detail details context specific focus cover include mention right now here there one
time interviewer sir madam mate pls plz thx lol
""".split())

EXAMPLES: dict[str, tuple[str, ...]] = {
    "clarify": (
        "Could you clarify the question?", "What do you mean by that?",
        "Can you rephrase the question?", "I'm not sure what you're asking.",
        "Do you mean during training or at inference time?",
        "Which aspect should I focus on?", "How much detail do you want?",
        "Is this about a specific framework?", "What is the context for this question?",
    ),
    "repeat": (
        "Could you repeat the question?", "Sorry, can you say that again?",
        "What was the question again?", "I missed that, one more time please.",
        "Can you read the question again?", "Pardon?",
    ),
    "hint": (
        "Can I get a hint?", "Could you give me a nudge?", "I'm stuck, any pointers?",
        "Where should I start?", "Give me a clue please.", "Can you help me get started?",
    ),
    "dont_know": (
        "I don't know.", "I have no idea.", "I'm not sure, sorry.",
        "I've never worked with that.", "I can't remember.", "No clue, honestly.",
        "This is outside what I know.",
    ),
    "skip": (
        "Let's skip this one.", "Can we move on?", "Next question please.",
        "I'd like to pass on this one.", "Can I skip?", "Let's go to the next one.",
    ),
}


@dataclass(frozen=True)
class Reading:
    """How a message was read: its intent, why, and a request it may have been."""

    intent: Intent
    via: Literal["pattern", "similarity", "content", "length", "default", "llm"]
    score: float = 0.0  # similarity to the nearest example request (0 for patterns)
    maybe: Intent | None = None  # for an answer: the request it resembles

    @property
    def unsure(self) -> bool:
        """Whether the reading rests on weak evidence: an answer that resembles a request,
        or a request found by similarity alone (an LLM, if one is set up, decides these)."""
        return self.maybe is not None or self.via == "similarity"

    @property
    def is_request(self) -> bool:
        """Whether the message is a request to the interviewer, not an answer."""
        return self.intent != "answer"


def extra_content(message: str, question: str, span: tuple[int, int] | None = None) -> int:
    """Content words of a message beyond a request phrase (`span`) and the question's terms."""
    text = message if span is None else message[:span[0]] + " " + message[span[1]:]
    asked = {stem(w) for w in words(question)}
    return sum(1 for w in words(text)
               if w not in STOPWORDS and len(w) > 2 and stem(w) not in asked
               and stem(w) not in _TALK_WORDS)


def _one_question(text: str) -> bool:
    """A message that is one question and nothing after it."""
    body = text.rstrip().rstrip("?!. ")
    return text.rstrip().endswith("?") and not re.search(r"[.!?]\s", body)


class IntentReader:
    """Reads messages; `encode` (texts -> unit vectors) enables the similarity step."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray] | None = None):
        self.encode = encode
        self._examples: tuple[np.ndarray, list[str]] | None = None

    def _example_vectors(self) -> tuple[np.ndarray, list[str]]:
        if self._examples is None:
            labels = [k for k, texts in EXAMPLES.items() for _ in texts]
            texts = [t for ts in EXAMPLES.values() for t in ts]
            self._examples = (np.asarray(self.encode(texts)), labels)
        return self._examples

    def nearest(self, message: str) -> tuple[Intent | None, float]:
        """The example request nearest the message, and its cosine (None without a model)."""
        if self.encode is None:
            return None, 0.0
        vectors, labels = self._example_vectors()
        sims = vectors @ np.asarray(self.encode([message]))[0]
        best = int(np.argmax(sims))
        return labels[best], float(sims[best])  # type: ignore[return-value]

    def read(self, message: str, question: str = "") -> Reading:
        """Read one message sent while `question` is waiting for an answer."""
        text = " ".join(message.split())
        for pattern, replacement in _CHAT:
            text = pattern.sub(replacement, text)
        text = " ".join(text.split())
        n_words = len(words(text))
        if not text or n_words == 0:
            return Reading("answer", "default")
        for intent, pattern in PATTERNS.items():
            match = pattern.search(text)
            if not match:
                continue
            if n_words > MAX_REQUEST_WORDS:
                return Reading("answer", "length", maybe=intent)  # type: ignore[arg-type]
            allowed = MAX_EXTRA_CONTENT_QUESTION if intent == "clarify" and _one_question(text) \
                else MAX_EXTRA_CONTENT
            if extra_content(text, question, match.span()) > allowed:
                return Reading("answer", "content", maybe=intent)  # type: ignore[arg-type]
            if intent == "dont_know" and _ATTEMPT_RE.search(text[match.end():]) \
                    and extra_content(text[match.end():], question) > 0:
                return Reading("answer", "content", maybe=intent)
            return Reading(intent, "pattern")  # type: ignore[arg-type]
        if _one_question(text) and _ALTERNATIVES_RE.search(text) \
                and n_words <= MAX_ALTERNATIVES_WORDS:
            # "1M users total or 1M concurrent?": a choice put back to the interviewer.
            return Reading("clarify", "pattern")
        if n_words > MAX_REQUEST_WORDS or extra_content(text, question) > MAX_EXTRA_CONTENT:
            return Reading("answer", "content")
        intent, sim = self.nearest(text)
        if intent is not None and sim >= SIMILAR_AT:
            return Reading(intent, "similarity", score=sim)
        if intent is not None and sim >= MAYBE_AT:
            return Reading("answer", "similarity", score=sim, maybe=intent)
        return Reading("answer", "default", score=sim)


__all__ = ["Intent", "IntentReader", "Reading", "REQUESTS", "EXAMPLES", "PATTERNS",
           "extra_content", "MAX_REQUEST_WORDS", "MAX_EXTRA_CONTENT", "MAX_EXTRA_CONTENT_QUESTION", "SIMILAR_AT", "MAYBE_AT"]

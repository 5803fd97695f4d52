"""Drug names heard right (scribe.asr.correction) and no note from nothing (scribe.asr.content), without a model.

The acoustic check is replaced here by a scorer that says which text the audio "fits" (tests of the real
check, with Whisper listening to speech, are in test_asr.py); what is tested is what the module decides
around it: which heard words are candidates, what is never touched, how a correction is written into
the segment and that the heard words are kept.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from scribe.asr.content import (
    NO_CLINICAL_CONVERSATION,
    clinical_content,
    collapse_repeats,
    is_phantom,
    require_clinical_content,
)
from scribe.asr.correction import (
    DEFAULT_MARGIN,
    SELF_PROMPT_SLACK,
    Candidate,
    TermIndex,
    accepted,
    correct,
    propose,
    sound_key,
    withdraw_lone_guesses,
)
from scribe.domain import Segment, Transcript, Word
from scribe.errors import TranscriptError


@pytest.fixture(scope="module")
def index() -> TermIndex:
    return TermIndex.from_vocabulary([])


def segment(text: str, seg_id: int = 0, start: float = 0.0) -> Segment:
    words, t = [], start
    for w in text.split():
        words.append(Word(start=round(t, 2), end=round(t + 0.3, 2), word=w, probability=0.6))
        t += 0.4
    return Segment(id=seg_id, start=start, end=round(t, 2), text=text, words=words)


def ear(truth: str):
    """A scorer that hears ``truth``: texts closer to it (in words) score higher, whatever the prompt."""

    def norm(text):
        return re.findall(r"[a-z0-9]+", text.lower())

    calls = []

    def score(seg, requests):
        calls.append((seg.id, requests))
        return [[-5.0 * Levenshtein.distance(norm(t), norm(truth)) for t in texts] for _prompt, texts in requests]

    score.calls = calls
    return score


def candidates(index, text, context=(), unsure=None, after=()):
    """(heard words, term) of the candidates in ``text``; with ``unsure`` (a stretch of it), the recogniser
    was sure of every other word, as Whisper is of the words around one it mishears."""
    words = text.split()
    confidence = None
    if unsure is not None:
        at = len(text[: text.index(unsure)].split())
        confidence = [0.4 if at <= k < at + len(unsure.split()) else 0.95 for k in range(len(words))]
    return {
        (" ".join(words[c.first : c.last + 1]).strip(",."), c.term.text)
        for c in propose(words, index, None, context, confidence, after)
    }


def test_sound_key_hears_drug_names_in_common_words():
    assert sound_key("lisinopril") == "LSNPRL"
    assert sound_key("list in April") == "LSTNPRL"
    assert sound_key("metformin")[:5] == sound_key("met for me")
    assert sound_key("cardiology") == "KRTLX" and sound_key("cardinology") == "KRTNLX"  # one letter apart


@pytest.mark.parametrize(
    "heard, span, term, context",
    [
        ("increase your list of upro from 10 mg to 20 mg", "list of upro", "lisinopril", ()),
        ("continue the adornastatin 20 mg at night", "adornastatin", "atorvastatin", ()),
        ("Yes, sealin. It gave me a rash", "sealin", "penicillin", "Any allergies to medications?".split()),
        ("I'm going to refer you to cardinology for a stress test", "cardinology", "cardiology", ()),
        ("which makes me concerned about table and gyna.", "table and gyna", "stable angina", ()),
        ("I take met for me 500 milligrams twice a day", "met for me", "metformin", ()),
        ("Continue the metform in 500 mg twice a day.", "metform in", "metformin", ()),
    ],
)
def test_the_issues_mishearings_are_candidates(index, heard, span, term, context):
    assert (span, term) in candidates(index, heard, context, unsure=span)


def test_numbers_units_laterality_and_negation_are_never_candidates(index):
    words = "your left calf is soft and not tender, take 10 mg twice daily".split()
    for c in propose(words, index):
        span = [w.strip(",.").lower() for w in words[c.first : c.last + 1]]
        assert not {"left", "not", "10", "mg", "twice", "daily"} & set(span), (span, c.term.text)
        assert c.term.text not in ("non-tender", "tenderness"), c  # "tender" was heard right
    # words that already are drug names (bundled list or the lexicon's dictionary) stay as heard
    assert not candidates(index, "I take Norvasc and lisinopril and Zestril daily")


def test_correction_replaces_heard_words_and_keeps_them(index):
    seg = segment("I'm going to increase your list of upro from 10 mg to 20 mg once a day.", seg_id=7, start=223.0)
    score = ear("I'm going to increase your lisinopril from 10 mg to 20 mg once a day.")
    [fixed], changes = correct([seg], index, score)
    assert fixed.text == "I'm going to increase your lisinopril from 10 mg to 20 mg once a day."
    assert [(c.original, c.replacement, c.kind) for c in changes] == [("list of upro", "lisinopril", "medication")]
    marked = [w for w in fixed.words if w.original]
    assert [(w.word, w.original) for w in marked] == [("lisinopril", "list of upro")]
    # the corrected word spans the heard words' time; the rest of the segment is untouched
    heard = seg.words[5:8]
    assert marked[0].start == heard[0].start and marked[0].end == pytest.approx(heard[-1].end)
    assert [w.word for w in fixed.words if not w.original] == [
        w.word for w in seg.words if w.word not in heard_words(heard)
    ]
    assert fixed.id == 7 and fixed.start == seg.start and fixed.end == seg.end
    assert seg.text.startswith("I'm going to increase your list of upro")  # the input is not modified


def corrected(index, heard: str, truth: str, seg_id: int = 0, start: float = 0.0) -> Segment:
    """``heard`` with the correction an ear that hears ``truth`` makes of it."""
    [fixed], changes = correct([segment(heard, seg_id, start)], index, ear(truth))
    assert changes, heard
    return fixed


def test_a_lone_drug_corrected_from_plain_words_is_withdrawn_at_the_end_of_the_visit(index):
    """Voiced train D2N066 (stop 35's fresh set): "we have you on the northwest" became Entresto in a visit that names
    no Entresto anywhere else (Norvasc was said). Once the recording is over, a drug written over ordinary English
    words that the visit names nowhere else is taken back and the heard words return."""
    guess = corrected(
        index,
        "I take that medication on the northwest every day.",
        "I take that medication Entresto every day.",
        4,
        10.0,
    )
    assert "Entresto" in guess.text
    visit = [segment("How is the blood pressure?", 3, 5.0), guess, segment("It has been fine.", 5, 14.0)]
    settled, withdrawn = withdraw_lone_guesses(visit, index)
    assert settled[1].text == "I take that medication on the northwest every day."
    assert not any(w.original for w in settled[1].words)  # no longer a correction: grounding reads the heard words
    assert [(w.segment_id, w.original, w.replacement) for w in withdrawn] == [(4, "on the northwest", "Entresto")]
    assert withdrawn[0].start == pytest.approx(guess.words[4].start)
    assert settled[0] is visit[0] and settled[2] is visit[2] and visit[1] is guess  # nothing else touched
    # the restored words share the corrected word's time
    restored = settled[1].words[4:7]
    assert restored[0].start == guess.words[4].start and restored[-1].end == pytest.approx(guess.words[4].end)


def test_a_contraction_is_an_ordinary_word(index):
    """Voiced train D2N022: "they didn't win," became Dilantin, never said; read a letter run at a time "didn" was
    no English word, so the run was not ordinary and the guess stayed at the end of the visit."""
    guess = corrected(index, "she takes they didn't win, for fits", "she takes Dilantin, for fits", 1, 10.0)
    assert "Dilantin" in guess.text
    settled, withdrawn = withdraw_lone_guesses([guess], index)
    assert settled[0].text == "she takes they didn't win, for fits"
    assert [w.replacement.strip(",") for w in withdrawn] == ["Dilantin"] and "didn't" in withdrawn[0].original


def test_a_corrected_drug_the_visit_names_elsewhere_or_a_misheard_non_word_stays(index):
    guess = corrected(
        index, "I take that medication on the northwest every day.", "I take that medication Entresto every day.", 4
    )
    # named again later (heard right, or another correction): the visit bears it out
    for later in ["We will keep the Entresto as it is.", "Keep the ENTRESTO, then."]:
        settled, withdrawn = withdraw_lone_guesses([guess, segment(later, 5)], index)
        assert not withdrawn and settled[0] is guess, later
    # a non-word heard for it: nobody says "Norrisc", so the drug it stands for is kept though it is said once
    misheard = corrected(index, "We have you on Norrisc, 5 milligrams", "We have you on Norvasc, 5 milligrams", 2)
    assert "Norvasc," in misheard.text
    assert withdraw_lone_guesses([misheard], index) == ([misheard], [])
    # a dose said right after it: a speaker dosing a drug names one (the bundled sample's "increase your list in April
    # from 10mg to 20mg", its only lisinopril the recogniser got near)
    dosed = corrected(
        index,
        "I'm going to increase your list in April from 10mg to 20mg once a day.",
        "I'm going to increase your lisinopril from 10mg to 20mg once a day.",
        62,
    )
    assert "lisinopril" in dosed.text
    assert withdraw_lone_guesses([dosed], index) == ([dosed], [])
    undosed = corrected(
        index,
        "I'm going to increase your list in April when we meet.",
        "I'm going to increase your lisinopril when we meet.",
        62,
    )
    assert withdraw_lone_guesses([undosed], index)[1][0].replacement == "lisinopril"
    # a clinical term is no drug: only drug names are taken back
    term = corrected(index, "There is some a rhythm on the skin.", "There is some erythema on the skin.", 1)
    assert "erythema" in term.text
    assert withdraw_lone_guesses([term], index) == ([term], [])


def written(text: str, at: int, original: str, seg_id: int = 0) -> Segment:
    """``text`` as the correction leaves it: word ``at`` written over the heard ``original``."""
    seg = segment(text, seg_id)
    words = list(seg.words)
    words[at] = words[at].model_copy(update={"original": original})
    return seg.model_copy(update={"words": words})


def test_a_lone_drug_in_a_short_line_is_withdrawn_unless_the_heard_word_spells_it_nearly(index):
    """Voiced valid D2N070 and train D2N015: a listener's "mm-hmm" heard as "And then lumb." passed the ear check as
    denosumab; train D2N025's "Alrighty that sounds good." became Aldactone. In a line of a few words a drug the
    visit names nowhere else is taken back, whether the heard words were English or not."""
    question = segment("Are you still taking your medications?", 1)
    for text, at, heard in [
        ("And denosumab.", 1, "then lumb."),
        ("Aldactone sounds good.", 0, "Alrighty that"),
    ]:
        guess = written(text, at, heard, seg_id=2)
        settled, withdrawn = withdraw_lone_guesses([question, guess], index)
        assert [(w.segment_id, w.original) for w in withdrawn] == [(2, heard)], text
        assert heard in settled[1].text and not any(w.original for w in settled[1].words)
    # the same guess in a longer line keeps the rule for plain words only: "then lumb" is no English
    longer = written("And denosumab is the one I take every morning.", 1, "then lumb")
    assert withdraw_lone_guesses([question, longer], index)[1] == []
    # heard words spelt nearly like the drug are an answer naming it: "Merlax?" -> Miralax?
    answer = written("Miralax?", 0, "Merlax?", seg_id=2)
    assert withdraw_lone_guesses([question, answer], index) == ([question, answer], [])
    split = written("Just Lipitor.", 1, "lipi tor.", seg_id=2)  # or its letters in pieces
    assert withdraw_lone_guesses([question, split], index) == ([question, split], [])
    # named again in the visit: kept
    again = segment("Denosumab is every six months.", 3)
    guess = written("And denosumab.", 1, "then lumb.", seg_id=2)
    assert withdraw_lone_guesses([question, guess, again], index)[1] == []
    # a dose after it: kept
    dosed = written("Aldactone 25 milligrams.", 0, "Alrighty that", seg_id=2)
    assert withdraw_lone_guesses([question, dosed], index)[1] == []


def heard_words(words):
    return {w.word for w in words}


def test_punctuation_and_capitals_survive(index):
    seg = segment("Table and gyna, I think.")
    [fixed], _ = correct([seg], index, ear("Stable angina, I think."))
    assert fixed.text == "Stable angina, I think."
    assert [w.original for w in fixed.words[:2]] == ["Table and gyna,", "Table and gyna,"]


def test_no_correction_when_the_audio_does_not_fit_the_term(index):
    # "Good morning, Mr. Alvarez" has candidates (Alvarez ~ alprazolam) but the ear hears the name
    seg = segment("Good morning, Mr. Alvarez, I'm Dr. Patel, what brings you in today?")
    score = ear(seg.text)
    [same], changes = correct([seg], index, score)
    assert same is seg and changes == []
    assert score.calls, "candidates were checked by ear"


def test_margin_decides(index):
    seg = segment("continue the list in April 20 mg")

    def barely(seg, requests):  # the term fits the audio only 1 nat better than the heard word
        return [[0.0] + [1.0] * (len(texts) - 1) for _p, texts in requests]

    assert correct([seg], index, barely, margin=2.0)[1] == []
    assert correct([seg], index, barely, margin=0.5)[1]


def test_one_check_per_segment_and_only_where_the_recogniser_was_unsure(index):
    segs = [
        segment("I take met for me twice a day.", 0),
        segment("And list of upro 10 mg.", 1, start=5.0),
        segment("Okay, show nice topics, you're signing?", 2, start=9.0),
    ]
    segs[2] = segs[2].model_copy(update={"words": [w.model_copy(update={"probability": 0.9}) for w in segs[2].words]})
    score = ear("I take metformin twice a day. And lisinopril 10 mg. Okay, should I stop exercising?")
    fixed, changes = correct(segs, index, score)
    # every term of a segment is checked on one encoding of its audio; the sure segment is not checked
    assert [seg_id for seg_id, _ in score.calls] == [0, 1]
    assert [f.text for f in fixed] == ["I take metformin twice a day.", "And lisinopril 10 mg.", segs[2].text]
    assert {c.segment_id for c in changes} == {0, 1}


@pytest.mark.parametrize(
    "heard, span, term",
    [
        ("Ok, show nice topics or signing.", "topics", "Topamax"),  # "Should I stop exercising?"
        ("Amen, then.", "Amen, then", "memantine"),  # "Albuterol, then." was not said either
        ("I know this to the left and go get a little", "know this to the", "Nitrostat"),
    ],
)
def test_a_drug_is_a_target_only_where_medicines_are_talked_about(index, heard, span, term):
    # visit10 and train D2N015: with no medication talk in the segment or the one before, Whisper's
    # check by ear accepted these drugs for words that only sounded like them
    assert not {t for _s, t in candidates(index, heard) if t == term}
    assert (span, term) in candidates(index, heard, "Which medicines do you take?".split())


def test_medication_talk_is_a_dose_a_drug_named_or_taking(index):
    topics = "Ok, show nice topics or signing."
    for before in ["I take aspirin every day.", "Two puffs twice a day.", "The pharmacy called."]:
        assert ("topics", "Topamax") in candidates(index, topics, before.split()), before

    # a dose after the words: a number with a unit or how often; a bare number is none
    # (train D2N023: "indole-3-carbinol" heard "that endol 3 carbineol" was corrected to Tylenol)
    def drugs(text):
        return {t for span, t in candidates(index, text, unsure="that endol") if span == "that endol"}

    assert {"Toradol", "tramadol"} <= drugs("I have been hearing that endol 500 mg")  # drugs are targets
    assert drugs("I have been hearing that endol 3 carbineol") == set()


def probable(text: str, probabilities: list[float]) -> Segment:
    seg = segment(text)
    words = [w.model_copy(update={"probability": p}) for w, p in zip(seg.words, probabilities, strict=True)]
    return seg.model_copy(update={"words": words})


def test_a_name_whose_end_a_number_took_is_corrected_before_the_number(index):
    # train D2N009: "meloxicam 15 milligrams" heard as "melexic and 50 milligrams"; Whisper was sure of "and"
    seg = probable(
        "I'm prescribing you some melexic and 50 milligrams once a day.",
        [0.9, 0.4, 0.98, 0.99, 0.55, 0.89, 0.85, 0.88, 0.65, 1.0, 1.0],
    )
    cands = [c for c in propose([w.word for w in seg.words], index, None, (), [w.probability for w in seg.words])]
    swallowed = [c for c in cands if (c.first, c.last, c.term.text) == (4, 5, "meloxicam")]
    assert swallowed and swallowed[0].heard == 1 and swallowed[0].one_word
    [fixed], changes = correct([seg], index, ear("I'm prescribing you some meloxicam 50 milligrams once a day."))
    # the digits stay as heard, and so are the heard words on the corrected one
    assert fixed.text == "I'm prescribing you some meloxicam 50 milligrams once a day."
    assert [(w.word, w.original) for w in fixed.words if w.original] == [("meloxicam", "melexic and")]
    assert [(c.original, c.replacement) for c in changes] == [("melexic and", "meloxicam")]


def test_an_ordinary_word_before_a_number_is_still_read_with_what_follows(index):
    # "met" is one ordinary word, but "met for me" before "500" still sounds like metformin
    seg = probable("I take met for me 500 milligrams twice a day", [0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9])
    cands = propose([w.word for w in seg.words], index, lambda w: w in {"met", "for", "me", "take"}, (), None)
    assert any((c.first, c.last, c.term.text, c.heard) == (2, 4, "metformin", 0) for c in cands)


def test_one_heard_word_and_what_the_number_left_count_as_a_misspelling(index):
    # a misspelt name is boosted by its own prompt as much as the term, so only the margin applies
    term = next(t for t in index.terms if t.text == "meloxicam")
    swallowed = Candidate(4, 5, term, 0.87, heard=1)
    two_words = Candidate(4, 5, term, 0.87)
    assert accepted(4.07, -1.82, -10.8, swallowed, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(4.07, -1.82, -10.8, two_words, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(1.5, 0.0, 0.0, swallowed, DEFAULT_MARGIN, SELF_PROMPT_SLACK)  # the margin still applies


# --------------------------------------------------------------------------- phantom phrases, repeats


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for watching!",
        "Thanks for watching.",
        "Thank you so much for watching.",
        "Subtitles by the Amara.org community",
        "Please subscribe to my channel.",
        "[Music]",
        "♪ ♪",
        "(applause)",
        "...",
    ],
)
def test_phantom_phrases(text):
    assert is_phantom(text)


@pytest.mark.parametrize(
    "text", ["Thank you.", "Thank you, doctor.", "See you next time.", "I'll see you in two weeks.", "The end of it."]
)
def test_consultation_phrases_are_not_phantoms(text):
    assert not is_phantom(text)


def test_stuck_repeats_keep_one_copy():
    class W:
        def __init__(self, word):
            self.word = word

    def run(text):
        return " ".join(w.word for w in collapse_repeats([W(x) for x in text.split()]))

    assert run("I take amlodipine, levothyroxine, amlodipine, levothyroxine, amlodipine, levothyroxine, daily") == (
        "I take amlodipine, levothyroxine, daily"
    )
    assert run("oinko, oinko, oinko, oinko, oinko, oinko") == "oinko,"
    assert run("no, no, no. I take amlodipine and metformin") == "no, no, no. I take amlodipine and metformin"


# --------------------------------------------------------------------------- clinical content


def transcript(text: str) -> Transcript:
    return Transcript(segments=[Segment(id=0, start=0, end=5, text=text)])


SMALL_TALK = (
    "Hi, how are you? Good, thanks. Did you see the game last night? Yes, what a finish. The weather has been "
    "lovely, we went to the beach on Saturday with the kids. Shall we get coffee later? Sure, around three, "
    "the usual place. My sister is visiting next week and the doctor's office moved the meeting, so I'm tired."
)


def test_small_talk_is_not_a_consultation():
    found = clinical_content(SMALL_TALK, [])
    assert not found.is_clinical and not found.strong
    with pytest.raises(TranscriptError, match=NO_CLINICAL_CONVERSATION) as err:
        require_clinical_content(transcript(SMALL_TALK), [])
    assert "no note was drafted" in str(err.value) and "\n" not in str(err.value)


def test_silence_is_no_consultation():
    with pytest.raises(TranscriptError, match=f"{NO_CLINICAL_CONVERSATION}: no speech was recognised"):
        require_clinical_content(Transcript(), [])


@pytest.mark.parametrize(
    "text",
    [
        "[patient] I have a cough.",
        "I take lisinopril ten milligrams a day.",
        "For three weeks I've had chest tightness when I walk up the hill. It goes away with rest. "
        "Any shortness of breath or nausea? No. " * 3,
    ],
)
def test_clinical_talk_passes(text):
    assert require_clinical_content(transcript(text), []).is_clinical


def test_every_aci_train_dialogue_is_clinical():
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "aci-bench" / "train.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    refused = [r["encounter_id"] for r in rows if not clinical_content(r["dialogue"], []).is_clinical]
    assert not refused and len(rows) == 67


def test_a_stream_passes_the_words_said_before_and_after_each_batch():
    # the live recogniser commits a segment or two at a time: without the words before them, a drug
    # named just before ("Which medicines do you take?") would not count as medication talk, and
    # without the segment it has decoded but not committed yet, a dose said just after would not either
    from scribe.asr.engine import StreamingTranscriber

    class Engine:
        name, language = "fake", "en"

        def __init__(self):
            self.contexts, self.afters = [], []

        def decode_window(self, audio, offset=0.0, first_id=0, context=None):
            end = offset + audio.size / 16000
            words = [Word(start=offset + 0.2, end=offset + 0.6, word="Sentence.", probability=0.9)]
            later = [Word(start=end - 1.0, end=end - 0.5, word="Next.", probability=0.9)]  # in the holdback
            return [
                Segment(id=first_id, start=offset + 0.2, end=offset + 0.6, text=f"{first_id}.", words=words),
                Segment(id=first_id + 1, start=end - 1.0, end=end - 0.5, text="Next.", words=later),
            ]

        def correct(self, audio, offset, segments, context=(), after=()):
            self.contexts.append(list(context))
            self.afters.append(list(after))
            return segments

    engine = Engine()
    stream = StreamingTranscriber(engine, window_s=6.0, step_s=2.0, holdback_s=2.0)  # type: ignore[arg-type]
    for _ in range(12):
        stream.feed(np.zeros(16000, dtype=np.float32))
    assert len(engine.contexts) >= 2
    assert engine.contexts[0] == [] and all(c == ["Sentence."] for c in engine.contexts[1:])
    assert all(a == ["Next."] for a in engine.afters)


def test_the_words_said_before_the_first_segment_count_as_medication_talk(index):
    seg = segment("Yes, topics.")
    score = ear("Yes, Topamax.")
    assert correct([seg], index, score)[1] == []
    [fixed], _ = correct([seg], index, score, context="Which medicines do you take?".split())
    assert fixed.text == "Yes, Topamax." and [w.original for w in fixed.words if w.original] == ["topics."]


def test_a_name_heard_in_pieces_is_a_candidate_though_its_start_is_a_word(index):
    # train D2N015: "stay on the neurontin" heard as "Stay on the neuron and"; "neuron" is a word of its
    # own and most of the start of the name, but the pieces together spell it
    assert ("neuron and", "Neurontin") in candidates(index, "Stay on the neuron and we just won't")
    # a heard word that *is* the start of a longer term, with nothing after it, still is no candidate
    assert not {t for _s, t in candidates(index, "your knee is tender today") if t == "tenderness"}


def test_giving_a_medicine_is_medication_talk(index):
    heard = "We've been giving you the Gabby Pint"
    assert ("Gabby Pint", "gabapentin") in candidates(index, heard)
    assert not {t for _s, t in candidates(index, "We've been seeing the Gabby Pint") if t == "gabapentin"}


def test_a_dose_said_just_after_makes_a_drug_a_target(index):
    # train D2N023: "and cialis, on the days i work out i take 5 milligrams", the name its own segment
    def terms(text, after="", unsure=None):
        return {t for _s, t in candidates(index, text, (), unsure, after.split())}

    assert "Cialis" not in terms("NCLs.")
    assert "Cialis" in terms("NCLs.", "On the days I work out I take 5 milligrams.")
    seg, score = segment("NCLs."), ear("Cialis.")
    assert correct([seg], index, score)[1] == []
    [fixed], _ = correct([seg], index, score, after="On the days I work out I take 5 milligrams.".split())
    assert fixed.text == "Cialis." and fixed.words[0].original == "NCLs."
    # a dose written on its number ("1000mg") is medication talk as much as "1000 mg" (visit10)
    heard = "I'd like you to use acid and it often instead,"
    assert "acetaminophen" in terms(heard, "Up to 1000mg at a time.", unsure="acid and it")
    assert "acetaminophen" not in terms(heard, "Up to the time you go.", unsure="acid and it")


def test_a_name_whose_last_syllable_the_dose_took_gets_its_dose_back(index):
    # the bundled sample: "the atorvastatin twenty milligrams" heard as "The addormaster 1020mg": the
    # "-tin" became a "10" on the dose. Where the audio fits, the name and the dose are both mended.
    seg = segment("The addormaster 1020mg and the aspirin 81mg daily.")
    [fixed], changes = correct([seg], index, ear("The atorvastatin 20mg and the aspirin 81mg daily."))
    assert fixed.text == "The atorvastatin 20mg and the aspirin 81mg daily."
    assert [(w.word, w.original) for w in fixed.words if w.original] == [
        ("atorvastatin", "addormaster 1020mg"),
        ("20mg", "addormaster 1020mg"),
    ]
    assert [(c.original, c.replacement) for c in changes] == [("addormaster 1020mg", "atorvastatin 20mg")]
    # where the audio says the dose was 1020 as heard, only the name is mended or nothing at all
    [kept], _ = correct([seg], index, ear("The addormaster 1020mg and the aspirin 81mg daily."))
    assert kept.text == seg.text
    # a name that does not end in "-tin"/"-tan"/"-tine" never takes a "10" from its dose
    for c in propose("Continue the metform in 1020mg".split(), index):
        assert not c.tail, c
    # nor does a dose that is only "10"
    assert not [c for c in propose("The addormaster 10mg daily".split(), index) if c.tail]


def test_a_faint_likeness_the_unprompted_audio_rejects_is_refused(index):
    # train D2N028: "your new" -> amiodarone was accepted with the term as prompt (+7.8 nats) although,
    # with no prompt, the audio preferred "your new" by 18.8 nats; a close likeness needs no such agreement
    term = next(t for t in index.terms if t.text == "amiodarone")
    faint, close = Candidate(3, 4, term, 0.62), Candidate(3, 4, term, 0.75)
    assert not accepted(7.76, 4.39, -18.79, faint, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert accepted(7.76, 4.39, -18.79, close, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert accepted(7.76, 4.39, -5.0, faint, DEFAULT_MARGIN, SELF_PROMPT_SLACK)


def test_a_run_of_english_words_the_unprompted_audio_rejects_is_refused_however_alike(index):
    # train D2N045 (voiced at stop 34): "true you know" -> tretinoin passed with the term as prompt (+3.3 nats)
    # although with no prompt the audio preferred the words as heard by 22.9 nats
    term = next(t for t in index.terms if t.text == "tretinoin")
    words = Candidate(0, 2, term, 0.7, ordinary=True)
    assert not accepted(3.3, 0.6, -22.9, words, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert accepted(3.3, 0.6, -5.0, words, DEFAULT_MARGIN, SELF_PROMPT_SLACK)  # where the audio barely minds
    assert accepted(3.3, 0.6, -22.9, Candidate(0, 0, term, 0.7), DEFAULT_MARGIN, SELF_PROMPT_SLACK)  # a non-word
    # propose marks such runs
    said = "we gave him some true you know 20 mg".split()
    assert {(c.last - c.first + 1, c.ordinary) for c in propose(said, index) if c.term.text == "tretinoin"} >= {
        (3, True)
    }


def test_a_the_the_term_would_swallow_needs_the_unprompted_audios_agreement(index):
    # train D2N046 (voiced at stop 34): "based on the pathology of course" heard as "of the courts," became
    # cortisone (+6.6 nats with the term as prompt, -7.2 with none); D2N035's "the alarm on" became Tenormin
    term = next(t for t in index.terms if t.text == "cortisone")
    run = Candidate(0, 1, term, 0.8, article=True)
    assert not accepted(6.6, 0.0, -7.2, run, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert accepted(6.6, 0.0, -7.2, Candidate(0, 1, term, 0.8), DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    # D2N023's "the Al's" -> Cialis has it (+1.8 nats with no prompt)
    cialis = next(t for t in index.terms if t.text == "Cialis")
    assert accepted(13.3, 5.3, 1.8, Candidate(0, 1, cialis, 0.8, article=True), DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    # propose marks such runs (where the recogniser was sure of "courts," alone, the run with "the" is the one
    # checked), and not a run that keeps the "the" before the term
    said = "pathology of the courts, high then recommend chemo with cisplatin".split()
    sure = [0.9, 0.9, 0.3, 0.95, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    assert {
        (said[c.first], c.article) for c in propose(said, index, confidence=sure) if c.term.text == "cortisone"
    } == {("the", True)}
    assert {(said[c.first], c.article) for c in propose(said, index) if c.term.text == "cortisone"} == {
        ("courts,", False)
    }


def test_a_run_of_little_words_is_no_clinical_term(index):
    # visit10 and train D2N039/D2N040: "to worry them" became erythema, "to the tightens" lightheadedness
    assert ("to worry them", "erythema") not in candidates(index, "You don't need to worry them at all")
    assert ("to the tightens", "lightheadedness") not in candidates(index, "I feel to the tightens today")
    # half of them little words still reads as the term ("and dino" for angina, espeak-ng's visit10)
    assert ("and dino", "angina") in candidates(index, "concerned about stable and dino.", unsure="and dino.")


def test_of_two_names_for_the_same_words_the_one_the_unprompted_audio_prefers_wins(index):
    # train D2N026: "Prignisone" (prednisone said) fitted prednisolone under prednisolone's own prompt
    # (+7.6 nats) better than prednisone under its own (+6.1); gains under different prompts do not
    # compare, the scores with no prompt do (prednisone -0.4, prednisolone -11.2)
    from scribe.asr.correction import choose

    pred = {t.text: t for t in index.terms if t.text in ("prednisone", "prednisolone")}
    one = Candidate(0, 0, pred["prednisone"], 0.9)
    other = Candidate(0, 0, pred["prednisolone"], 0.8)
    picks = choose([(6.1, -5.0, -0.4, 0, one), (7.6, -5.2, -11.2, 0, other)], DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert [c.term.text for *_, c in picks[0]] == ["prednisone"]


def test_a_non_word_spelt_nearly_as_a_drug_needs_no_margin(index):
    # voiced train D2N014 and D2N059: "Carvedil" (carvedilol, -1.0 nats with the term as prompt) and "Albuter"
    # (albuterol) were refused: the recogniser's own letters score well whatever was said
    term = next(t for t in index.terms if t.text == "carvedilol")
    near = Candidate(0, 0, term, 1.02, non_word=True)
    assert accepted(-1.0, -10.5, -26.3, near, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(-4.0, -10.5, -26.3, near, DEFAULT_MARGIN, SELF_PROMPT_SLACK)  # the audio clearly disagrees
    # a word of English, or a non-word less alike ("istolic" -> Bystolic, 0.88), still needs the margin
    assert not accepted(-1.0, -10.5, -26.3, Candidate(0, 0, term, 1.02), DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(-1.0, -4.7, -13.2, Candidate(0, 0, term, 0.88, non_word=True), DEFAULT_MARGIN, 1.0)
    # propose marks such a word, alone or with a little word the name ran into (MTS-Dialog dev: "clonop in" for
    # Klonopin), not a run with a word of English (MTS-Dialog dev: "Do you take the oven" for Diovan)
    said = "we started carvedil for the heart".split()
    marks = {(c.first, c.non_word) for c in propose(said, index) if c.term.text == "carvedilol"}
    assert (2, True) in marks
    said = "I ran out of my medication, clonop in, two days ago".split()
    assert any(c.non_word and c.last == c.first + 1 for c in propose(said, index) if c.term.text == "Klonopin")
    said = "Do you take the oven every day".split()
    assert not any(c.non_word for c in propose(said, index))


def test_a_heard_non_word_is_only_the_drugs_it_spells_best(index):
    # voiced train D2N005: "Tramindal" -- tramadol (0.85) was said and passed, but Toradol (0.73) passed too and the
    # audio with no prompt preferred it (-16.0 nats against -22.5)
    from scribe.asr.correction import choose

    terms = {t.text: t for t in index.terms if t.text in ("tramadol", "Toradol")}
    said = Candidate(0, 0, terms["tramadol"], 0.85, non_word=True)
    lesser = Candidate(0, 0, terms["Toradol"], 0.73, non_word=True)
    checks = [(4.4, -5.6, -22.5, 0, said), (5.1, 1.0, -16.0, 0, lesser)]
    assert [c.term.text for *_, c in choose(checks, DEFAULT_MARGIN, SELF_PROMPT_SLACK)[0]] == ["tramadol"]
    # train D2N021: "Paroxide" -- where the audio refuses the best-spelt name (paroxetine), no lesser one stands in
    refused = [(-0.5, -8.6, -22.5, 0, said), (5.1, 1.0, -16.0, 0, lesser)]
    assert choose(refused, DEFAULT_MARGIN, SELF_PROMPT_SLACK) == {}
    # about as alike, the audio decides between them; and heard words of English are not held to it
    close = Candidate(0, 0, terms["Toradol"], 0.82, non_word=True)
    picks = choose([checks[0], (5.1, 1.0, -16.0, 0, close)], DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert [c.term.text for *_, c in picks[0]] == ["Toradol"]
    plain = [
        (4.4, -5.6, -22.5, 0, Candidate(0, 0, terms["tramadol"], 0.85)),
        (5.1, 1.0, -16.0, 0, Candidate(0, 0, terms["Toradol"], 0.73)),
    ]
    assert [c.term.text for *_, c in choose(plain, DEFAULT_MARGIN, SELF_PROMPT_SLACK)[0]] == ["Toradol"]


def test_a_word_of_no_language_is_a_candidate_however_sure_the_recogniser_was(index):
    """Train voiced D2N041 (round 3's held-aside set): "IV-PROFIN" for ibuprofen, seven times in one visit, each time
    with Whisper sure of it, so never checked. A word that is neither English nor a term is a name misheard however
    sure the recogniser was; a confident English word stays as heard."""
    sure = [0.95] * 9
    heard = "I take IV-PROFIN 800 milligrams for the pain".split()
    assert "ibuprofen" in {c.term.text for c in propose(heard, index, None, (), sure)}
    plain = "I take ivory tablets most days for the pain".split()
    assert not [c for c in propose(plain, index, None, (), sure) if c.first == 2]
    # only drug names: a sure non-word is no clinical term's candidate (voiced train D2N010: "hyperblicemia" had
    # become hyperlipidemia where hyperglycemia was said; a term the recogniser was sure of was never checked)
    term_talk = "On exam there is some erytham over the knee".split()
    assert not [c.term.text for c in propose(term_talk, index, None, (), [0.95] * 9) if c.term.kind != "medication"]
    assert "erythema" in {c.term.text for c in propose(term_talk, index, None, (), [0.95] * 5 + [0.4] + [0.95] * 3)}


def test_a_non_word_spelt_almost_like_a_drug_is_a_candidate_without_medication_talk(index):
    """Voiced train D2N025 and D2N028 (round 11): "get you off your clopidoggle for a week", "talk to my primary
    care about my crester." Nobody is heard taking or prescribing anything, so no drug was a target. One heard word
    that is no word of English and is spelt and sounds almost like a drug is that drug misheard (the ear still
    decides); a word of English ("topics") or a faint likeness ("Norvest") still needs the talk of medicines."""
    assert ("clopidoggle", "clopidogrel") in candidates(
        index, "Great now before surgery we'll have to get you off your clopidoggle for a week before him."
    )
    assert ("crester", "Crestor") in candidates(index, "Okay, and I'll talk to my primary care about my crester.")
    assert not {t for _s, t in candidates(index, "Ok, show nice topics or signing.") if t == "Topamax"}
    assert not {t for _s, t in candidates(index, "a month or two after I saw the Norvest.") if t == "Norvasc"}
    # with the talk of medicines the faint likeness is a candidate as before
    assert ("Norvest", "Norvasc") in candidates(index, "a month or two after I started taking the Norvest.")


def test_switching_a_medicine_is_medication_talk(index):
    # voiced train D2N025 (round 11): "we switched her from a furosemide to torsemide", heard "from a fearsome eye
    # to torso and eye"
    heard = "CHF earlier in the spring we switched her from a fearsome eye to torso and eye,"
    found = {t for _s, t in candidates(index, heard)}
    assert {"furosemide", "torsemide"} <= found
    assert not {"furosemide", "torsemide"} & {t for _s, t in candidates(index, heard.replace("switched", "saw"))}


def test_a_drug_heard_right_that_is_no_target_is_not_put_up_against_one(index):
    """A short brand heard right and sure ("Bumex", "Zocor": under six letters, so no target) is no word of English,
    but it is a word of the drug dictionary: it is not a candidate for the targets that sound like it. Unsure, it
    still is (the recogniser may have misheard it)."""
    for brand in ("Bumex", "Zocor", "Norvasc"):
        heard = f"I take {brand} 40 milligrams in the morning".split()
        assert not [c for c in propose(heard, index, None, (), [0.95] * 7) if c.first == 2], brand
    # a word of no name at all still is
    assert "ibuprofen" in {
        c.term.text for c in propose("I take IV-PROFIN 800 milligrams".split(), index, None, (), [0.95] * 5)
    }


def test_a_five_letter_brand_is_a_target_of_a_heard_non_word_only(index):
    """Voiced train D2N063 and D2N040: Lasix heard as "lassox" and "lasex", Advil as "adyl". Brands of five letters
    are too close to ordinary words to be targets of what Whisper heard as words; one heard word that is no word of
    English nor of a drug name is compared with them, in medication talk, and the audio decides."""
    assert ("lassox", "Lasix") in candidates(index, "you were supposed to be taking lassox and", unsure="lassox")
    assert ("adyl", "Advil") in candidates(index, "I've taken Tylenol and adyl and it's not helping", unsure="adyl")
    assert ("Alev?", "Aleve") in candidates(index, "do you take anything like Motrin or Alev?", unsure="Alev?")
    seg = segment("Increase your dose of lasex from 20 milligrams to 40.")
    [fixed], _ = correct([seg], index, ear("Increase your dose of Lasix from 20 milligrams to 40."))
    assert fixed.text == "Increase your dose of Lasix from 20 milligrams to 40."
    # an English word is never one ("cards", "lactic"), a non-word far from any brand is none, and nothing is a
    # target outside medication talk
    assert not {t for h, t in candidates(index, "he plays cards on taking days", unsure="cards") if t in ("Coreg",)}
    assert not [
        t
        for h, t in candidates(index, "I take Ememum at night", unsure="Ememum")
        if h == "Ememum" and t in {x.text for x in index.short}
    ]
    assert ("lassox", "Lasix") not in candidates(index, "we went to lassox for the holidays", unsure="lassox")


def test_a_name_heard_in_pieces_of_its_own_letters_is_mended_without_the_ear(index):
    """Train D2N013, D2N004, D2N040 (voiced): "metform in 500 mg" and "metform into 1000 milligrams". The letters are
    the name's, so the sounds are too; asked, the decoder preferred its own pieces and the name was never written."""
    prefers_pieces = ear("I want to continue the metform in 500 mg twice a day.")
    [fixed], changes = correct(
        [segment("I want to continue the metform in 500 mg twice a day.")], index, prefers_pieces
    )
    assert fixed.text == "I want to continue the metformin 500 mg twice a day."
    assert [(c.original, c.replacement, c.split) for c in changes] == [("metform in", "metformin", True)]
    assert [(w.word, w.original) for w in fixed.words if w.original] == [("metformin", "metform in")]
    # the name's end run into a little word: "metform into" is "metformin to"
    said = "I would like to increase your metform into 1000 milligrams twice daily."
    [fixed], changes = correct([segment(said)], index, ear(said))
    assert fixed.text == "I would like to increase your metformin to 1000 milligrams twice daily."
    assert [(c.original, c.replacement) for c in changes] == [("metform into", "metformin to")]
    # however sure the recogniser was of its pieces (D2N004: 0.62 and 0.79)
    sure = segment(said)
    sure = sure.model_copy(update={"words": [w.model_copy(update={"probability": 0.8}) for w in sure.words]})
    assert correct([sure], index, ear(said))[0][0].text == fixed.text
    # not where nobody speaks of medicines ("the metform in the spring" is no prescription)
    assert not [c for c in propose("we talked about the metform in the spring".split(), index) if c.split]
    # pieces that are all words of English are left to the ear ("neuron and" may be what was said)
    [kept], changes = correct(
        [segment("we gave you the neuron and for that pain")], index, ear("we gave you the neuron and for that pain")
    )
    assert kept.text == "we gave you the neuron and for that pain" and changes == []
    # and pieces that only sound like the name are checked by ear as before
    [kept], changes = correct(
        [segment("increase your list of upro 10 mg")], index, ear("increase your list of upro 10 mg")
    )
    assert kept.text == "increase your list of upro 10 mg" and changes == []


def test_the_engine_logs_a_correction_by_segment_and_kind_never_by_its_words(monkeypatch, caplog):
    """A log file is no place for what was said: the heard words may be a patient's name misheard as a drug
    ("Carolyn, tell" -> Brilinta, voiced train D2N039). The engine logged them until stop 34."""
    import logging

    from scribe.asr import engine as engine_module
    from scribe.asr.correction import Correction
    from scribe.settings import Settings

    eng = engine_module.FasterWhisperEngine("base", Settings())
    monkeypatch.setattr(eng, "load", lambda progress=None: None)
    eng.term_index = TermIndex.from_vocabulary([])
    seg = segment("Carolyn, tell me about your pain")
    made = [Correction(seg.id, "Carolyn, tell", "Brilinta", "medication", 4.2, 0.5, -3.0)]
    monkeypatch.setattr(engine_module.correction, "correct", lambda segments, *a, **k: (segments, made))
    with caplog.at_level(logging.INFO, logger=engine_module.log.name):
        eng.correct(np.zeros(16000, dtype=np.float32), 0.0, [seg])
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "segment 0: a medication term corrected" in logged
    assert "Carolyn" not in logged and "Brilinta" not in logged and "tell" not in logged
    assert eng.corrections == made  # kept for the benchmarks, in memory

    # nor when the recording ends and a lone correction is taken back
    caplog.clear()
    guess = segment("Brilinta me about your pain", 3)
    guess.words[0] = guess.words[0].model_copy(update={"original": "Carolyn, tell"})
    with caplog.at_level(logging.INFO, logger=engine_module.log.name):
        [settled] = eng.settle([guess])
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert settled.text == "Carolyn, tell me about your pain" and len(eng.withdrawn) == 1
    assert "segment 3: a medication correction withdrawn" in logged
    assert "Carolyn" not in logged and "Brilinta" not in logged and "tell" not in logged


def test_a_term_that_would_be_the_whole_line_must_fit_as_well_as_the_heard_letters(index):
    # train D2N002, D2N014, D2N015 voiced again at stop 39: the patient's "mm-hmm" heard as "Inemlo." became
    # "Anemia." (+10.1 nats with the term as prompt, -3.5 against "Inemlo." with its own, +2.1 with no prompt)
    anemia = next(t for t in index.terms if t.text == "anemia")
    (alone,) = [c for c in propose(["Inemlo."], index) if c.term is anemia]
    assert alone.short_line and not accepted(10.1, -3.5, 2.1, alone, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert accepted(10.1, -0.5, 2.1, alone, DEFAULT_MARGIN, SELF_PROMPT_SLACK)  # the audio fits it as well
    # in a line with other words the term keeps the unprompted path ("history of Inemlo and diabetes")
    (inside,) = [c for c in propose("history of Inemlo and diabetes".split(), index) if c.term is anemia]
    assert not inside.short_line and accepted(10.1, -3.5, 2.1, inside, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    # a longer line alone keeps it too ("haphothyroidism." -> hyperthyroidism, said: train D2N021, -4.3 nats)
    (long,) = [c for c in propose(["haphothyroidism."], index) if c.term.text == "hyperthyroidism"]
    assert not long.short_line and accepted(3.8, -4.3, 2.9, long, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    # a drug said alone keeps every path ("Merlax?" -> Miralax?, valid D2N072: -3.3 nats with its own prompt)
    miralax = next(t for t in index.terms if t.text == "Miralax")
    assert accepted(5.5, -3.3, -0.3, Candidate(0, 0, miralax, 0.85, short_line=True), DEFAULT_MARGIN, SELF_PROMPT_SLACK)


@pytest.mark.parametrize(
    ("heard", "span", "term"),
    [
        # voiced train D2N001, D2N002 (stop 40): one end of the term heard right, the rest heard as other words
        ("I do appreciate one plus pitting in them, so you do have", "pitting in them", "pitting edema"),
        ("Hey, Dragon, order a thyroid pound, and then for your last problem", "thyroid pound", "thyroid panel"),
        (
            "So tell me, how are you doing with the congested part failure?",
            "congested part failure?",
            "congestive heart failure",
        ),
    ],
)
def test_a_term_heard_with_one_end_right_is_a_candidate(index, heard, span, term):
    """A run holding a word of the term was never a candidate (the words heard right would only be re-arranged), so
    "pitting in them" stayed: now the words heard right at one end anchor the run, and the rest must sound like the
    rest of the term."""
    assert (span, term) in candidates(index, heard, unsure=span)


def test_an_anchored_term_needs_the_rest_to_sound_like_it_and_the_recogniser_unsure(index):
    # the rest sounds like nothing of the term: "is fine" is no panel, "in them" no failure
    assert not {c for c in candidates(index, "the thyroid is fine today", unsure="thyroid is fine") if "panel" in c[1]}
    assert not {c for c in candidates(index, "your heart in them", unsure="heart in them") if "failure" in c[1]}
    # the recogniser was sure of the words heard in place of the rest
    assert ("thyroid pound", "thyroid panel") not in candidates(index, "order a thyroid pound today", unsure="order")
    # the term heard right, or laterality in the run: nothing to do
    assert not {c for c in candidates(index, "one plus pitting edema, so", unsure="pitting edema") if "edema" in c[1]}
    assert not {c for c in candidates(index, "your heart right now", unsure="heart right") if "heart" in c[1]}


def test_an_anchored_term_is_written_only_where_the_audio_says_it(index):
    fixed = corrected(index, "one plus pitting in them, so you do", "one plus pitting edema, so you do")
    assert fixed.text == "one plus pitting edema, so you do"
    assert [(w.word, w.original) for w in fixed.words if w.original] == [
        ("pitting", "pitting in them,"),
        ("edema,", "pitting in them,"),
    ]
    seg = segment("one plus pitting in them, so you do")
    [kept], changes = correct([seg], index, ear("one plus pitting in them, so you do"))
    assert not changes and kept.text == seg.text


def test_palpation_misheard_is_palpation_not_palpitations(index):
    """Voiced train D2N009 (stop 40): the doctor's "pain to palpation of the right lumbar spine", heard as "pain to
    pulpitation", became "palpitations", a symptom nobody had. An exam word that sounds like a symptom must be a target
    too, so that the audio chooses between them: with no prompt it preferred palpation by 11.6 nats."""
    assert {"palpation", "palpitations"} <= {t for _, t in candidates(index, "some pain to pulpitation of the spine")}
    fixed = corrected(index, "some pain to pulpitation of the spine", "some pain to palpation of the spine")
    assert fixed.text == "some pain to palpation of the spine"


def test_a_word_whose_end_is_heard_as_a_clinical_ending_is_no_drug(index):
    """Voiced train D2N022: "fluid consistent with tenosynovitis" heard "with tenison ofitis". The ear check took
    "tenison" for prednisone, which the visit names elsewhere, so nothing at the end took it back. A run followed by
    no word but the end of a clinical one ("-itis", "-osis", "-ectomy") is the start of that word."""
    heard = "I take my medicine with tenison ofitis around the tendons"
    assert "prednisone" not in {t for _s, t in candidates(index, heard)}
    # the same run before a word of English, or at the end of the line, is still put up against the drugs
    assert "prednisone" in {t for _s, t in candidates(index, "I take my medicine with tenison every morning")}
    assert "prednisone" in {t for _s, t in candidates(index, "I take my medicine, the tenison")}
    # a real word with that ending does not count: "tenison arthritis" is a name and a diagnosis
    assert "prednisone" in {t for _s, t in candidates(index, "I take my medicine tenison arthritis is better")}
    # nor does a clinical term of the vocabulary that the English word list lacks
    assert "prednisone" in {t for _s, t in candidates(index, "I take my medicine tenison colonoscopy is due")}


def test_a_drug_where_only_a_medicine_fits_is_put_to_the_ear_however_many_likelier_terms_the_line_has(index):
    """Voiced train D2N011: "continue your listen up" (lisinopril 10 mg); valid D2N087: "taking your listen-up,".
    "listen-up" is a faint likeness of lisinopril, the ninth term of its line after losartan, latanoprost, acyclovir
    and others, so it was never checked by ear. A run held at both ends, right after what takes a medicine
    and at the clause's end or before a dose, keeps its likeliest drugs beyond the line's limit of terms."""
    line = "I was just going to ask you if you were taking your listen-up, so that's good okay.".split()
    slot = {(line[c.first], c.slot) for c in propose(line, index) if c.term.text == "lisinopril"}
    assert slot == {("listen-up,", 2)}
    before_dose = "I want you to continue your listen up Well 10 milligrams a day".split()
    assert {" ".join(before_dose[c.first : c.last + 1]) for c in propose(before_dose, index) if c.slot == 2} >= {
        "listen up Well"
    }
    # held at one end: before a dose ("the project 20mg"), or after a verb in mid-clause
    dose_only = "I know we have you on the project 20mg a day".split()
    assert {(dose_only[c.first], c.slot) for c in propose(dose_only, index) if c.term.text == "Prozac"} == {
        ("project", 1)
    }
    # no slot across a clause's end, and none without medication talk at either end
    assert not [c for c in propose("I was taking it. Listen up, so that's good.".split(), index) if c.slot]
    assert not [c for c in propose("We went to the project on a Monday".split(), index) if c.slot]


def test_a_slot_held_at_both_ends_answers_the_unprompted_doubt(index):
    """Train D2N011: "continue your listen up" -> lisinopril gained 2.8 nats with the name as context and fit its own
    words' context by 1.7, but with no context at all the decoder preferred "listen up" by 15.7 nats, so the doubt
    kept for ordinary words refused it. Where the words around leave room for nothing but a medicine, that doubt is
    answered; held at one end only, it is not."""
    term = next(t for t in index.terms if t.text == "lisinopril")
    both = Candidate(5, 6, term, 0.608, ordinary=True, slot=2)
    one = Candidate(5, 6, term, 0.608, ordinary=True, slot=1)
    assert accepted(2.8, 1.7, -15.7, both, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(2.8, 1.7, -15.7, one, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    # the margin and the fit still hold in a slot
    assert not accepted(1.5, 1.7, -15.7, both, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(2.8, -4.0, -15.7, both, DEFAULT_MARGIN, SELF_PROMPT_SLACK)


def test_a_drug_heard_right_before_its_dose_is_put_to_the_ear_and_given_more_room(index):
    """Voiced train D2N012 "the project 20mg a day" (Prozac): Whisper knows "project" whole, so one such word was
    taken as heard right and Prozac never checked. Before a dose a speaker names what the dose is of, so there it is
    checked against drug names, and a drug so held may fit the audio up to ``DOSE_SLACK`` nats behind the heard words
    ("so trannondal, 50 milligrams": tramadol, 2.4 behind; train D2N005)."""
    common = {"project", "last", "six", "tablets", "take", "weighs", "about"}.__contains__
    line = "I know we have you on the project 20mg a day".split()
    prozac = [c for c in propose(line, index, common) if c.term.text == "Prozac"]
    assert [(line[c.first], c.dosed) for c in prozac] == [("project", True)]
    # the heard word away from a dose is still taken as heard right
    assert "Prozac" not in {
        c.term.text for c in propose("we talked about your project on Monday".split(), index, common)
    }
    # words that stand before a dose in their own right are no drug's sound, and a number followed by a dose is the
    # name's end, no dose of the word before it ("order last six 80 milligrams": not Lantus)
    assert not [c for c in propose("take 2 tablets of 20 milligrams".split(), index, common) if c.first == 2]
    assert "Lantus" not in {c.term.text for c in propose("Ordered last six 80 milligrams.".split(), index, common)}
    # a full stop between the word and the number breaks it; a comma does not
    assert not [c for c in propose("so the project. 20 milligrams a day".split(), index, common) if c.dosed]
    tram = [c for c in propose("so trannondal, 50 milligrams, every six hours".split(), index, common)]
    assert {c.term.text for c in tram if c.dosed} >= {"tramadol"}
    # the room it is given: fit 2.4 behind passes a dosed drug, not one held by its verb alone
    term = next(t for t in index.terms if t.text == "tramadol")
    dosed = Candidate(2, 2, term, 0.76, non_word=True, slot=1, dosed=True)
    held = Candidate(2, 2, term, 0.76, non_word=True, slot=1)
    assert accepted(12.1, -2.4, -2.1, dosed, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(12.1, -2.4, -2.1, held, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    # neither the margin nor a worse fit is waived
    assert not accepted(1.5, -2.4, -2.1, dosed, DEFAULT_MARGIN, SELF_PROMPT_SLACK)
    assert not accepted(12.1, -3.5, -2.1, dosed, DEFAULT_MARGIN, SELF_PROMPT_SLACK)


def test_a_slot_held_at_both_ends_asks_more_of_the_recognisers_confidence(index):
    """Train D2N011: Whisper heard "continue your listen up" at 0.54 and 0.84, a mean above the 0.65 at which a run
    is taken as heard right, so lisinopril was never proposed. Where only a medicine fits, only a surer run is."""
    line = "We're gonna add the carbidil and I want you to continue your listen up".split()
    heard = [0.81, 0.59, 0.99, 0.98, 0.69, 0.52, 1.0, 1.0, 1.0, 1.0, 1.0, 0.63, 0.54, 0.84]
    assert ("listen", 2) in {(line[c.first], c.slot) for c in propose(line, index, confidence=heard) if c.slot}
    assert "lisinopril" in {c.term.text for c in propose(line, index, confidence=heard)}
    assert "lisinopril" not in {c.term.text for c in propose(line, index, confidence=heard[:-2] + [0.9, 0.9])}
    # the same words and confidence where a medicine is not the only thing that fits: taken as heard
    chat = "We're gonna add the carbidil and I want you all to just listen up".split()
    assert "lisinopril" not in {c.term.text for c in propose(chat, index, confidence=heard)}


def test_a_lone_drug_where_only_a_medicine_fits_is_not_taken_back(index):
    """Train D2N011: "continue your listen up" became lisinopril by ear, the visit's only lisinopril (its dose came
    in the next line), and the end-of-visit check took it back as a drug talked into plain words. Held at both ends
    of a slot it stays; the same guess held at one end only is still taken back."""
    question = segment("How is the blood pressure?", 1)
    slot = written("We're gonna add the carvedilol and I want you to continue your lisinopril", 12, "listen up", 2)
    assert withdraw_lone_guesses([question, slot], index) == ([question, slot], [])
    loose = written("I want you to listen to your lisinopril and the diet", 7, "listen up", 2)
    settled, withdrawn = withdraw_lone_guesses([question, loose], index)
    assert [(w.segment_id, w.original) for w in withdrawn] == [(2, "listen up")]
    # a short line is held to its own rule ("And then lumb." is a listener's "mm-hmm") unless a slot holds the drug
    # at both ends: train D2N007's dictated "Hey, Dragon, order a project." (Prozac)
    reply = written("And then lisinopril.", 2, "listen up.", 2)
    assert [w.original for w in withdraw_lone_guesses([question, reply], index)[1]] == ["listen up."]
    order = written("Hey, Dragon, order lisinopril.", 3, "listen up.", 2)
    assert withdraw_lone_guesses([question, order], index) == ([question, order], [])


def test_what_holds_a_slot_beyond_a_verb_and_a_dose(index):
    """Train D2N029's "you're allergic to augmenting.", D2N023's "I do need more Cialis and finest derived.", D2N032's
    "try a courtesan injection" and D2N009's "some ultra -empty milligrams" (Ultram, its number lost) stand where
    only a medicine fits: allergic to, a drug listed beside, a form or a unit right after."""
    from scribe.asr.correction import _drug_slot

    def slot(text, first, last=None):
        return _drug_slot(text.split(), first, first if last is None else last, index)

    assert slot("But that you're allergic to augmenting.", 5) == 2
    assert slot("I do need more Cialis and finest derived.", 6, 7) == 2
    assert slot("I do need more finest derived and Cialis today", 4, 5) == 1  # held at its end by the drug after
    assert slot("try a courtesan injection into the hip", 2) == 1
    assert slot("order some ultra -empty milligrams every four hours", 2, 3) == 2
    # no slot: the same words with nothing holding them
    assert slot("But that you're close to augmenting.", 5) == 0
    assert slot("I do need more sugar and finest derived.", 6, 7) == 0
    assert slot("try a courtesan, injection into the hip", 2) == 0  # a pause between
    # a run ending in a little word is no name: "takes all his pills" holds "all his" at its start only
    assert slot("so he takes all his pills just for me.", 3, 4) == 1
    # with no lexicon to tell a drug, a list holds nothing
    assert slot("Cialis and finest derived.", 2, 3) == 2
    assert _drug_slot("Cialis and finest derived.".split(), 2, 3) == 0


def test_a_lone_drug_held_by_a_form_a_unit_or_a_dose_in_the_next_line_is_kept(index):
    """Held at its end by "injection" or "milligrams", or by a dose the recogniser cut into the next line with no
    pause ("continue on your top -row 50" | "milligrams daily": Toprol, train D2N008), a drug named once stays."""
    question = segment("How is the blood pressure?", 1)
    shot = written("we can also try a cortisone injection into the right hip joint", 5, "courtesan", 2)
    assert withdraw_lone_guesses([question, shot], index) == ([question, shot], [])
    unit = written("and some Ultram milligrams every four hours as needed.", 2, "ultra -empty", 2)
    assert withdraw_lone_guesses([question, unit], index) == ([question, unit], [])
    cut = written("I want you to continue on your Toprol 50", 7, "top -row", 2)
    rest = segment("milligrams daily and as well as your blood pressure.", 3, start=cut.words[-1].end + 0.1)
    assert withdraw_lone_guesses([question, cut, rest], index) == ([question, cut, rest], [])
    # the next line read for a dose does not move this line's end: "continue your lisinopril" | "and ..." still
    # ends where the recogniser ended it, a slot held at both ends (train D2N011)
    slot = written("We're gonna add the carvedilol and I want you to continue your lisinopril", 12, "listen up", 2)
    going = segment("and we will see how you do", 3, start=slot.words[-1].end + 0.1)
    assert withdraw_lone_guesses([question, slot, going], index) == ([question, slot, going], [])
    # the next line after a pause, or after a full stop, is no dose of this one
    late = segment("milligrams daily and as well as your blood pressure.", 3, start=cut.words[-1].end + 2.0)
    assert [w.original for w in withdraw_lone_guesses([question, cut, late], index)[1]] == ["top -row"]


def test_the_withdrawal_benchmark_puts_back_exactly_what_was_withdrawn(index):
    """``benchmarks/resettle_drugs.py`` measures a new end-of-visit rule on cached transcripts by writing each
    withdrawn drug back first: that must give the transcript as the correction left it, heard words and all."""
    import sys
    from pathlib import Path

    from scribe.domain import Transcript

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from resettle_drugs import unwithdrawn

    question = segment("How is the blood pressure?", 1)
    loose = written("I want you to listen to your lisinopril and the 10 -20 diet", 7, "listen up", 2)
    loose = loose.model_copy(update={"text": "I want you to listen to your lisinopril and the 10-20 diet"})
    settled, withdrawn = withdraw_lone_guesses([question, loose], index)
    assert [w.original for w in withdrawn] == ["listen up"]
    cached = [
        {"segment_id": w.segment_id, "original": w.original, "replacement": w.replacement, "start": w.start}
        for w in withdrawn
    ]
    back = unwithdrawn(Transcript(segments=settled), cached)
    assert [s.text for s in back.segments] == [question.text, loose.text]
    assert [(w.word, w.original) for w in back.segments[1].words][7] == ("lisinopril", "listen up")


def test_the_missed_drug_reader_finds_the_turns_whose_drugs_the_transcript_lacks():
    """``benchmarks/why_drugs_missed.py`` reads only the turns that name a drug the heard lines around them name
    fewer times: a drug heard right, or a turn naming none, is not its business."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_drugs import medication_names
    from why_drugs_missed import missed_turns

    truth = {
        "turns": [
            {"start": 0.0, "end": 4.0, "text": "Increase your lisinopril to 40 milligrams and start Lasix."},
            {"start": 5.0, "end": 8.0, "text": "Keep taking the metformin."},
            {"start": 9.0, "end": 11.0, "text": "How is your knee?"},
        ]
    }
    heard = {
        "segments": [
            {"start": 0.0, "end": 4.0, "text": "Increase your list of nipple to 40 milligrams and start Lasix."},
            {"start": 5.1, "end": 8.0, "text": "Keep taking the metformin."},
            {"start": 9.0, "end": 11.0, "text": "How is your knee?"},
        ]
    }
    missed = missed_turns(truth, heard, medication_names())
    assert [(t["start"], drugs) for t, drugs in missed] == [(0.0, {"lisinopril"})]


def test_a_correction_keeps_the_rest_of_the_line_as_the_recogniser_wrote_it(index):
    """The demo at stop 45: Whisper wrote "met for me 500 milligrams twice a day, and I've almost a 10-20 milligrams
    at night", its words stored as "10" and "-20". Writing metformin rebuilt the line from its words, so the dose
    range elsewhere in it read "10 -20 milligrams". Only the corrected words change now; so when a lone guess is
    taken back at the end of the visit."""
    said = "Okay, metformin 500 milligrams twice a day, and almost a 10 -20 milligrams at night."
    seg = segment("Okay, met for me 500 milligrams twice a day, and almost a 10 -20 milligrams at night.", 4)
    seg = seg.model_copy(
        update={"text": "Okay, met for me 500 milligrams twice a day, and almost a 10-20 milligrams at night."}
    )
    (fixed,), changes = correct([seg], index, ear(said))
    assert [(c.original, c.replacement) for c in changes] == [("met for me", "metformin")]
    assert fixed.text == "Okay, metformin 500 milligrams twice a day, and almost a 10-20 milligrams at night."
    assert [w.word for w in fixed.words][1:3] == ["metformin", "500"]
    # words that cannot be found in order in the line: the words joined, as before
    odd = seg.model_copy(update={"text": "something else entirely"})
    (fixed,), _ = correct([odd], index, ear(said))
    assert fixed.text.startswith("Okay, metformin 500 milligrams") and "10 -20" in fixed.text
    # taken back at the end of the visit: the heard words return, the rest of the line as written
    question = segment("How is the blood pressure?", 1)
    loose = written("I want you to listen to your lisinopril and the 10 -20 plan", 7, "listen up", 2)
    loose = loose.model_copy(update={"text": "I want you to listen to your lisinopril and the 10-20 plan"})
    settled, withdrawn = withdraw_lone_guesses([question, loose], index)
    assert [w.original for w in withdrawn] == ["listen up"]
    assert settled[1].text == "I want you to listen to your listen up and the 10-20 plan"

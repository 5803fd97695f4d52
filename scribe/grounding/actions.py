"""What a note says is done with a medication: started, continued, stopped, raised or lowered.

"Continue lisinopril" where the physician said "stop the lisinopril" names the right drug at the right dose and
passes every other check; it is the error that harms. Each drug a statement names is given the action written
next to it, and the visit's actions for the same drug (generic names matched) are read the same way; a statement
whose action the visit never says for that drug, where the visit says the opposite one, is a safety flag.
"""

from __future__ import annotations

import re
from enum import StrEnum

from ..domain import Issue, IssueKind
from ..textnorm import STOPWORDS, normalise, stem, tokens
from .index import TranscriptIndex


class Action(StrEnum):
    """One thing done with a drug, a plan or what the patient does; :data:`OPPOSITE` says which pairs cannot both
    be meant. A plan to stop does not contradict that the patient takes the drug: it changes it."""

    start = "start"
    keep = "continue"
    stop = "stop"
    up = "increase"
    down = "decrease"
    taking = "taking"
    not_taking = "not taking"


OPPOSITE = {
    Action.keep: {Action.stop, Action.not_taking},
    Action.start: {Action.stop},
    Action.stop: {Action.keep, Action.start},
    Action.up: {Action.down},
    Action.down: {Action.up},
    Action.taking: {Action.not_taking},
    Action.not_taking: {Action.taking, Action.keep},
}
# A medication reconciliation: a drug the visit goes on with written as new, or as raised or lowered. Held only
# against plans the visit decides ("we may need to increase it" changes nothing yet). The other way round -
# "continue" where the visit starts a drug or changes its dose - is not flagged: on ACI-Bench valid it raised two
# false alarms and caught little (docs/quality.md, stop 30).
RECONCILED = {
    Action.start: {Action.keep, Action.up, Action.down},  # "start atorvastatin 40 mg" where the visit raised it
    Action.up: {Action.keep},
    Action.down: {Action.keep},
}

# the words of each action, before the drug ("stop the lisinopril") or as a participle after it ("lisinopril
# was discontinued", "Metformin: continue")
_WORDS = {
    Action.start: "start starting begin beginning initiate initiating prescribe prescribing add adding",
    Action.keep: (
        "continue continues continuing continued keep keeps keeping stay stays staying remain remains remaining refill "
        "refilled maintain maintains"
    ),
    Action.stop: "stop stopping discontinue discontinuing hold holding cease d/c dc avoid",
    Action.not_taking: "stopped discontinued held quit",
    Action.up: "increase increasing increased raise raising raised double doubling doubled uptitrate",
    Action.down: (
        "decrease decreasing decreased lower lowering lowered reduce reducing reduced taper tapering tapered wean "
        "weaning halve"
    ),
}
_ACTION_OF = {w: action for action, words in _WORDS.items() for w in words.split()}
# two-word actions: "come off", "go up", "cut back", "bump up", "no longer"
_PAIRS = {
    ("come", "off"): Action.stop,
    ("get", "off"): Action.stop,
    ("no", "longer"): Action.not_taking,
    ("ran", "out"): Action.not_taking,
    ("go", "up"): Action.up,
    ("bump", "up"): Action.up,
    ("cut", "back"): Action.down,
    ("go", "down"): Action.down,
    ("put", "you"): Action.start,
}
# "don't stop the lisinopril" keeps it; "don't take the ibuprofen" stops it
_NEGATORS = frozenset("not don't dont never n't no".split())
# taking a drug, said without a plan's verb, is keeping on it ("I'm taking the metformin", "currently takes")
_TAKE = frozenset("take takes taking using uses".split())
_STOPS = frozenset(".;?!")
_OFF = frozenset("get getting come coming take taking go going be keep stay".split())
_USE = frozenset("use uses using take takes taking try apply give".split())
_JOINS = frozenset(("and", "or", "but", "then", ","))
_EXCEPT = frozenset("except excluding besides".split())
BEFORE = 6  # words before a drug's name in which its action is said
AFTER = 3  # words after it in which a participle or a chart's "Metformin: continue" gives it


def _action_at(toks: list[str], i: int, end: int, floor: int = 0) -> Action | None:
    """The action said of the drug whose name spans ``toks[i:end]``: the nearest action word before it (within
    :data:`BEFORE`, not past a full stop nor into ``toks[:floor]``, where another drug's own words end), else one
    right after it."""
    taking = None
    used = False
    for j in range(i - 1, max(floor - 1, i - BEFORE - 1), -1):
        w = toks[j]
        if w in _STOPS:
            break
        if w in _EXCEPT:  # "continue taking your medicines except Prozac": all but this one go on
            said_not = any(t in _NEGATORS or t.endswith("n't") for t in toks[max(0, j - 6) : j])
            return None if said_not else Action.stop  # "don't take anything except Tylenol" says nothing of stopping
        action = _PAIRS.get((w, toks[j + 1])) if j + 1 < len(toks) else None
        if _ACTION_OF.get(w) in (Action.up, Action.down, Action.keep) and w.endswith("ed") and j + 1 < i:
            if toks[j + 1] not in _AFTER_A_VERB:
                continue  # "an increased need to use her albuterol", "the pain has continued even with the ibuprofen"
        action = action or _ACTION_OF.get(w)
        negated = any(t in _NEGATORS or t.endswith("n't") for t in toks[max(0, j - 2) : j])
        if action is not None:
            if negated:
                return {Action.stop: Action.keep, Action.keep: Action.stop}.get(action)
            return action
        if w == "off" and any(t in _OFF for t in toks[max(0, j - 3) : j]):
            return Action.stop  # "get you off your clopidogrel", "come off the prednisone"
        if w in _TAKE and taking is None:
            taking = Action.not_taking if negated else Action.taking  # "i'm not taking the metformin", "takes"
        if w in _USE:
            used = True
        elif w in _JOINS and used:
            break  # "stop the anti-inflammatories and use Tylenol": the action before "and" is another drug's
    colon = toks[end : end + 1] == [":"]
    for w in toks[end + colon : end + colon + AFTER]:
        if w in _STOPS:
            break
        if (action := _ACTION_OF.get(w)) is not None and (colon or w.endswith("ed") or w in ("held", "quit")):
            return action  # "lisinopril was discontinued", "Metformin: continue"
    if taking == Action.not_taking and _NOT_ALWAYS.intersection(toks[end : end + AFTER]):
        return None  # "not taking Allegra daily": taking it now and then
    return taking


# "not taking it daily", "not every day", "not regularly": sometimes taken
_NOT_ALWAYS = frozenset("daily regularly consistently every always routinely reliably".split())


# what follows a verb of change done to a drug ("increased the lisinopril", "decreased your dose of"); after any other
# word it describes that word ("an increased need")
_AFTER_A_VERB = frozenset("the your his her their it its my dose dosage doses to from by on".split())
# what may stand between two drugs one verb is said of ("continue the lisinopril and the metformin")
_LISTED = _JOINS | frozenset("the your his her their also".split())


# a plan that may or may not be made ("if your pressure stays high we may need to increase it", "eventually we'll
# taper the prednisone", "you can decrease the ibuprofen as the pain gets better"): said, not decided
_HEDGES = frozenset("may might could consider considering eventually possibly maybe perhaps if".split())
# a start of a drug taken before is a restart: "start taking your metformin again", "start back on the aspirin"
_AGAIN = frozenset("again back restart restarting resume resuming".split())
AGAIN_REACH = 4  # words after a drug's name in which "again" makes its start a restart
_OWN = frozenset("your his her my their usual regular".split())
HEDGE_REACH = 10  # words before a drug's name in which a hedge makes its plan a maybe (turns often lack full stops)


def _sentence(toks: list[str], i: int, end: int) -> tuple[list[str], list[str]]:
    """The words of the sentence around ``toks[i:end]``: before it and after it."""
    start = max((k + 1 for k in range(i) if toks[k] in _STOPS), default=0)
    stop = next((k for k in range(end, len(toks)) if toks[k] in _STOPS), len(toks))
    return toks[start:i], toks[end:stop]


def _drug_actions(toks: list[str], index: TranscriptIndex) -> list[tuple[int, str, set[Action], bool]]:
    """Each drug named in ``toks`` (where, and its name as matched) with the actions said of it and whether they are
    only hedged. A verb before an earlier drug reaches a later one only through a list ("continue lisinopril and
    metformin"), not past other words ("continue to take Tylenol between the oxycodone doses")."""
    found = index.medications.medications_in(toks)
    out = []
    last_end = -1
    for i, name in found:
        end = i + len(name.split())
        floor = 0
        if last_end >= 0 and not all(t in _LISTED for t in toks[last_end:i]):
            floor = last_end
        action = _action_at(toks, i, end, floor)
        before, after = _sentence(toks, i, end)
        actions = set() if action is None else {action}
        if action == Action.start and (
            _AGAIN & {*before[-BEFORE:], *after[:AGAIN_REACH]} or (before[-1:] and before[-1] in _OWN)
        ):
            actions.add(Action.keep)  # a restart, or a new script for "your usual metformin", goes on with it
        hedged = bool(_HEDGES & set(before[-HEDGE_REACH:]))
        out.append((i, name, actions, hedged))
        last_end = end
    return out


def _words(text: str) -> list[str]:
    """``text`` as words and its punctuation (a full stop ends an action's reach; the shared ``tokens`` drops it)."""
    return re.findall(r"[a-z0-9][a-z0-9'/-]*|[.;:?!,]", normalise(text))


# a written plan under a condition: "if he has any melena then aspirin should be discontinued" decides nothing yet
_CONDITIONAL = frozenset("if unless".split())


def _actions_in(text: str, index: TranscriptIndex) -> dict[str, set[Action]]:
    """Each drug's generic name in ``text`` with the actions said of it there (none under a condition)."""
    out: dict[str, set[Action]] = {}
    toks = _words(text)
    for i, name, actions, _hedged in _drug_actions(toks, index):
        if not actions or _CONDITIONAL.intersection(_sentence(toks, i, i + len(name.split()))[0]):
            continue
        out.setdefault(index.medications.generic_of(name), set()).update(actions)
    return out


STOP_REACH = 15  # words before a drug's name in which a stop said of a group it belongs to may come


def _stopped_before(toks: list[str], i: int) -> bool:
    """Some word of stopping is said in the sentence before the drug at ``toks[i]`` ("stop taking any of the
    nonsteroidals that you're taking, the motrin or advil")."""
    before = toks[max(0, i - STOP_REACH) : i]
    if any(t in _STOPS for t in before):
        before = before[max(k for k, t in enumerate(before) if t in _STOPS) + 1 :]
    return any(_ACTION_OF.get(t) in (Action.stop, Action.not_taking) or t == "off" for t in before)


Said = tuple[dict[str, set[Action]], dict[str, set[Action]], set[str], set[str]]


def _changes(toks: list[str]) -> bool:
    """Some word of raising or lowering a dose is said in ``toks`` ("and go up to twenty milligrams")."""
    return any(
        _ACTION_OF.get(w) in (Action.up, Action.down) or _PAIRS.get((w, after)) in (Action.up, Action.down)
        for w, after in zip(toks, [*toks[1:], ""])
    )


def _actions_said(index: TranscriptIndex) -> Said:
    """The visit's actions for each drug (all, and those not hedged), the drugs some word of stopping is said near,
    and those some word of changing a dose is said with (in their turn or the next); one pass per visit."""

    def build(ix: TranscriptIndex) -> Said:
        said: dict[str, set[Action]] = {}
        decided: dict[str, set[Action]] = {}
        near: set[str] = set()
        changed: set[str] = set()
        turns = [_words(ix.segment_text[sid]) for sid in ix.order]
        changes = [_changes(toks) for toks in turns] + [False]
        for at, toks in enumerate(turns):
            for i, name, actions, hedged in _drug_actions(toks, ix):
                drug = ix.medications.generic_of(name)
                said.setdefault(drug, set()).update(actions)
                if not hedged:
                    decided.setdefault(drug, set()).update(actions)
                if _stopped_before(toks, i):
                    near.add(drug)
                if changes[at] or changes[at + 1]:
                    changed.add(drug)
        return said, decided, near, changed

    return index.memo("medication actions", build)


def action_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A drug started, continued, stopped, raised or lowered in the note where the visit did the opposite."""
    said, decided, stopped_near, changed_near = _actions_said(index)
    issues = []
    for drug, acts in sorted(_actions_in(statement, index).items()):
        theirs = said.get(drug, set())
        for act in sorted(acts):
            if act in theirs:
                continue
            reconciled = RECONCILED.get(act, set()) & decided.get(drug, set())
            if act in (Action.up, Action.down) and drug in changed_near:
                reconciled = set()  # "a refill for your lisinopril" - "and go up to twenty": the change is said
            against = OPPOSITE[act] & theirs | reconciled
            if against:
                other = ", ".join(sorted(a.value for a in against))
                detail = f"'{act.value} {drug}' is stated, but the visit says {other}"
            elif (
                act == Action.stop
                and Action.not_taking not in theirs
                and drug not in stopped_near
                and index.said_medication(drug)  # (a drug the visit never names: the medication check speaks)
            ):
                detail = f"'stop {drug}' is stated, but the visit never says to stop it"  # a change nobody made
            else:
                continue
            issues.append(Issue(kind=IssueKind.action, detail=detail))
    return issues


# ----------------------------------------------------------------------------- what is done with anything else

# What the visit says to do with something that is not a drug ("keep checking your blood pressure at home"), against
# a note's verb of change for it ("Increase blood pressure at home twice a day", a drafting model's slip): a review
# hint, since a plan of this kind is no dose or drug and a note may well word it its own way.
_OTHER_PLANS = frozenset(
    "keep keeping continue continuing check checking monitor monitoring track tracking record write measure".split()
)
_CHANGES = (Action.up, Action.down)  # (stopping or starting an activity is said too many ways to hold to words)
# where a plan's verb stands: a statement's or clause's first word, or after "to", "will", "please", "should"
_PLAN_LEAD = frozenset("to will please should and then ; : recommend recommended advised".split())
_OBJECT_ENDS = frozenset("at in on to for from with by and or until twice once daily every per a day".split())


def plan_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A raise or a lower ("increase", "reduce") written for something other than a drug, where every line that
    names that thing says to keep, check or monitor it and none says the change."""
    toks = tokens(normalise(statement))
    if index.medications.medications_in(toks):
        return []  # a drug's action is action_issues'
    issues = []
    for i, w in enumerate(toks):
        act = _ACTION_OF.get(w)
        if act not in _CHANGES or (i and toks[i - 1] not in _PLAN_LEAD):
            continue  # "lower extremity", "an increased need": no plan
        obj: list[str] = []
        for t in toks[i + 1 : i + 6]:
            if t in _OBJECT_ENDS or not t[0].isalpha():
                break
            if t not in STOPWORDS:
                obj.append(stem(t))
        if not obj:
            continue
        lines = [sid for sid in index.order if set(obj) <= index.words[sid]]
        if not lines or any(_says(act, index.tokens[sid]) for sid in lines):
            continue
        other = [sid for sid in lines if _OTHER_PLANS.intersection(index.tokens[sid])]
        if other:
            said = index.segment_text[other[-1]].strip()
            issues.append(
                Issue(
                    kind=IssueKind.plan,
                    detail=f'the visit does not say to {act.value} this; it says: "{said[:120]}"',
                )
            )
    return issues


def _says(act: Action, toks: list[str]) -> bool:
    """``toks`` say ``act`` (a word of it, or a two-word one: "go up", "cut back")."""
    return any(_ACTION_OF.get(t) == act for t in toks) or any(
        _PAIRS.get((a, b)) == act for a, b in zip(toks, toks[1:], strict=False)
    )

"""The sub-type rules alone (service/extraction/subtypes.py, no model) on a typing set.

    python -m evals.typing_rules --set typing-dev [--unit sentences|passage]

A passage's decision: with ``--unit sentences`` (the default, as the service types an event
from its sentence) the first sentence, in order, where a rule decides; with ``--unit passage``
the rules on the whole passage text. Prints how many passages a rule decides, the precision of
the decided ones per rule and overall, the recall per sub-type a rule can decide, and the share
of passages (whole, first sentence, every sentence) ``may_report`` keeps.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from evals.runner import DATASETS, ConfigError, load_any_dataset, resolve_set
from evals.typing_set import TypingDataset, sentences
from service.extraction.subtypes import PROTEST_OUTCOMES, RULES, may_report, rule_sub_type
from service.extraction.taxonomy import SubEventType


@dataclass(frozen=True)
class Decision:
    id: str
    gold: SubEventType
    decided: SubEventType | None
    rule: str | None

    @property
    def right(self) -> bool:
        return self.decided == self.gold


def decide(text: str, unit: str = "sentences") -> tuple[SubEventType, str] | None:
    """The first deciding sentence's decision. A Peaceful protest is only the absence of
    anything else reported about it: when the rules on the whole passage find intervention,
    force or violence, that decision replaces it."""
    units = sentences(text) if unit == "sentences" else [text]
    for piece in units:
        found = rule_sub_type(piece)
        if found is None:
            continue
        if found[0] == SubEventType.PEACEFUL_PROTEST:
            whole = rule_sub_type(text)
            if whole is not None and whole[0] in PROTEST_OUTCOMES:
                return whole
        return found
    return None


def decisions(dataset: TypingDataset, unit: str = "sentences") -> list[Decision]:
    out = []
    for p in dataset.passages:
        found = decide(p.text, unit)
        out.append(
            Decision(
                p.id, p.sub_event_type, found[0] if found else None, found[1] if found else None
            )
        )
    return out


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a (0/0)"


def report(dataset: TypingDataset, unit: str, out: TextIO) -> dict[str, float]:
    found = decisions(dataset, unit)
    n = len(found)
    decided = [d for d in found if d.decided is not None]
    right = [d for d in decided if d.right]
    print(f"{dataset.dataset} v{dataset.version}: {n} passages, rules on {unit}", file=out)
    print(f"decided: {_ratio(len(decided), n)}", file=out)
    print(f"precision of decided: {_ratio(len(right), len(decided))}", file=out)
    print(f"right over all passages: {_ratio(len(right), n)}", file=out)

    print("\nper rule (decided, precision):", file=out)
    by_rule = Counter(d.rule for d in decided)
    right_by_rule = Counter(d.rule for d in right)
    for rule in RULES:
        count = by_rule[rule.name]
        wrong = sorted(f"{d.id}={d.gold}" for d in decided if d.rule == rule.name and not d.right)
        line = f"  {rule.name:24} {count:4}  {_ratio(right_by_rule[rule.name], count)}"
        print(line + (f"  wrong: {', '.join(wrong)}" if wrong else ""), file=out)

    print("\nrecall per sub-type a rule can decide (right/gold):", file=out)
    gold = Counter(d.gold for d in found)
    right_by_type = Counter(d.gold for d in right)
    reachable = list(dict.fromkeys(rule.sub_type for rule in RULES))
    for sub in reachable:
        print(f"  {sub!s:36} {_ratio(right_by_type[sub], gold[sub])}", file=out)
    others = [s for s in SubEventType if s not in reachable]
    print(f"  (no rule: {', '.join(str(s) for s in others)})", file=out)

    texts = [p.text for p in dataset.passages]
    firsts = [(sentences(t) or [t])[0] for t in texts]
    every = [s for t in texts for s in sentences(t)]
    kept_passages = sum(may_report(t) for t in texts)
    kept_firsts = sum(may_report(s) for s in firsts)
    kept_every = sum(may_report(s) for s in every)
    print("\nmay_report keeps:", file=out)
    print(f"  passages (whole text): {_ratio(kept_passages, n)}", file=out)
    print(f"  first sentences:       {_ratio(kept_firsts, n)}", file=out)
    print(f"  every sentence:        {_ratio(kept_every, len(every))}", file=out)
    return {
        "decided": len(decided) / n if n else 0.0,
        "precision": len(right) / len(decided) if decided else 0.0,
        "may_report_passages": kept_passages / n if n else 0.0,
    }


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.typing_rules",
        description="The sub-type rules alone (no model) on a typing set.",
    )
    parser.add_argument("--set", default="typing-dev", help="a typing set (default typing-dev)")
    parser.add_argument("--sets-dir", default=str(DATASETS), help="where the set is looked up")
    parser.add_argument("--unit", choices=("sentences", "passage"), default="sentences")
    args = parser.parse_args(argv)
    out = stdout or sys.stdout
    try:
        dataset = load_any_dataset(resolve_set(args.set, Path(args.sets_dir)))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not isinstance(dataset, TypingDataset):
        print(f"error: {args.set} is not a typing set (passages:)", file=sys.stderr)
        return 2
    report(dataset, args.unit, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Deterministic synthetic support tickets, with a drift knob.

``TicketGenerator(seed)`` draws tickets one at a time from its own
``random.Random``: the same seed and the same sequence of drift levels give
the same tickets, on any machine. ``drift`` (0..1) is the share of tickets
written after the Aurora launch (see ``vocabulary``): 0 is the world the
first champion was trained on, 1 is a helpdesk that only hears about the new
product.

Two kinds of noise keep the task realistic, so a good model scores about 0.9
rather than 1.0: some tickets mention a second topic in passing, and a few
labels are wrong (a busy agent picked the wrong queue).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .vocabulary import CATEGORIES, CLOSINGS, FILLERS, GREETINGS, POST, PRE, SLOTS

_SLOT = re.compile(r"\{(\w+)\}")

# How often each team is asked for help, before and after the launch.
CATEGORY_WEIGHTS = (0.3, 0.25, 0.25, 0.2)
# Share of post-launch tickets written in the team's usual words.
PLAIN_SHARE = 0.5


@dataclass(frozen=True)
class Ticket:
    text: str
    """The ticket as the customer wrote it."""
    label: str
    """The team that handled it (the label that arrives later; a few are wrong)."""
    post_launch: bool
    """Written after the Aurora launch (the drift), known only to the simulator."""


class TicketGenerator:
    def __init__(self, seed: int, *, label_noise: float = 0.04, second_topic: float = 0.15) -> None:
        if not 0 <= label_noise < 1 or not 0 <= second_topic < 1:
            raise ValueError("label_noise and second_topic are probabilities in [0, 1)")
        self._rng = random.Random(seed)
        self._label_noise = label_noise
        self._second_topic = second_topic

    def ticket(self, drift: float = 0.0) -> Ticket:
        if not 0 <= drift <= 1:
            raise ValueError(f"drift is a share of post-launch tickets in [0, 1], got {drift}")
        rng = self._rng
        category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
        post_launch = rng.random() < drift
        bank = (POST if post_launch else PRE)[category]
        plain = post_launch and rng.random() < PLAIN_SHARE
        sentences = [self._fill(bank, rng.choice(bank["plain" if plain else "templates"]))]
        if rng.random() < self._second_topic:
            # A ticket about one thing that mentions another in passing.
            other = rng.choice([c for c in CATEGORIES if c != category])
            sentences.append(self._fill(PRE[other], rng.choice(PRE[other]["templates"])))
        filler = self._fill({}, rng.choice(FILLERS))
        if filler:
            sentences.insert(rng.randrange(len(sentences) + 1), filler)
        parts = [rng.choice(GREETINGS), *sentences, rng.choice(CLOSINGS)]
        text = " ".join(p for p in parts if p)
        label = category
        if rng.random() < self._label_noise:
            label = rng.choice([c for c in CATEGORIES if c != category])
        return Ticket(text=text, label=label, post_launch=post_launch)

    def tickets(self, count: int, drift: float = 0.0) -> list[Ticket]:
        return [self.ticket(drift) for _ in range(count)]

    def _fill(self, bank: dict, template: str) -> str:
        own = bank.get("slots", {})

        def pick(match: re.Match[str]) -> str:
            name = match.group(1)
            choices = own.get(name) or SLOTS.get(name)
            if choices is None:
                raise KeyError(f"template slot {{{name}}} has no phrase list")
            return self._rng.choice(choices)

        sentence = _SLOT.sub(pick, template)
        return sentence[:1].upper() + sentence[1:]


def synthetic_frame(rows: int, seed: int, drift: float = 0.0):
    """A labelled data set as a pandas DataFrame (columns text, label, post_launch)."""
    import pandas as pd

    tickets = TicketGenerator(seed).tickets(rows, drift)
    return pd.DataFrame(
        {
            "text": [t.text for t in tickets],
            "label": [t.label for t in tickets],
            "post_launch": [t.post_launch for t in tickets],
        }
    )

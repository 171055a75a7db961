"""The judge card as data: one `Probe` per bias measured, each with its effect, a 95%
interval and whether it is flagged. `card --format json` prints a `JudgeCard`; the report,
the Markdown and the terminal renderers only format it.

A flag means the interval excludes zero in the biased direction (for position and
agreement, either direction is a bias), never a point estimate alone. A figure that cannot
be computed is null with the reason in `note`, never a stand-in number.
"""

from __future__ import annotations

from pydantic import Field

from evalkit.types import Schema

Interval = tuple[float, float]


class Probe(Schema):
    """What one probe measured and what it found."""

    measured: str
    """What was measured, in one sentence."""
    n: int
    """Items the effect is computed over (gradings, answers or pairs, as `measured` says)."""
    effect: float | None
    """The effect; null when there is nothing to compute it from (see `note`)."""
    ci: Interval | None
    """95% percentile bootstrap interval of the effect, tasks resampled; null below two
    tasks, or with no effect."""
    flagged: bool
    """True when the interval excludes zero in the biased direction."""
    note: str
    """The finding in words, or why there is no effect."""


class ValidityProbe(Probe):
    """Effect: the share of gradings whose first reply was not a valid verdict."""

    first_time: float | None = None
    """Share of gradings valid at the first reply."""
    after_reask: float | None = None
    """Share valid only after the judge was shown its error and asked again."""
    never: float | None = None
    """Share never valid (judge_error: no score)."""
    not_reached: int = 0
    """Gradings where the judge could not be reached (not counted in n)."""


class RepeatabilityProbe(Probe):
    """Effect: the mean spread (highest minus lowest score) of an answer graded N times."""

    samples: int = 0
    """Times each answer was graded as it is."""
    stable: float | None = None
    """Share of answers whose score never changed."""


class PositionProbe(Probe):
    """Effect: how much more often the answer shown first wins than the one shown second,
    over both orders of each pair (-1 to 1; 0 when position does not matter)."""

    consistency: float | None = None
    """Share of pairs whose two orders agreed (position consistency)."""
    first_slot: float | None = None
    """Share of picks won by the answer shown first."""
    second_slot: float | None = None
    """Share of picks won by the answer shown second."""
    ties: float | None = None
    """Share of picks that were ties."""
    source: str = ""
    """Where the pairs came from: judged for the card, or the pairwise run's own."""


class ShiftProbe(Probe):
    """Effect: the mean score change from an answer to its variant (padded or injected)."""

    mean_before: float | None = None
    """Mean score of the answers as they are (repeat-0)."""
    mean_after: float | None = None
    """Mean score of the variants."""
    raised: int = 0
    """Answers the variant scored higher."""
    lowered: int = 0
    """Answers the variant scored lower."""
    unchanged: int = 0
    """Answers the variant scored the same."""


class SelfPreferenceProbe(Probe):
    """Effect: how much more the judge overrates its own family's answers than the others',
    against a reference (labels or another judge): mean(judge - reference) over its own
    family's answers, minus the same over the others' (or alone, when every answer is its
    family's)."""

    own: list[str] = Field(default_factory=list)
    """Candidates that are the judge's model or of its family, and why."""
    reference: str | None = None
    """What the judge's scores are compared with: a labels file, or another run's judge."""
    own_difference: float | None = None
    """Mean judge minus reference over the own family's answers."""
    other_difference: float | None = None
    """The same over the other candidates' answers; null when there are none."""


class Estimate(Schema):
    """A figure with its 95% bootstrap interval."""

    value: float | None
    """The figure; null when undefined."""
    ci: Interval | None
    """Its interval, answers resampled; null when undefined."""
    undefined: str | None = None
    """Why the figure is undefined, when it is."""


class AgreementProbe(Probe):
    """Effect: the judge's bias against expert labels, mean(judge - human): above zero a
    lenient judge, below a harsh one. The other figures are `calibrate`'s."""

    labels: str | None = None
    """The labels file."""
    exact: Estimate | None = None
    """Share of answers scored the same."""
    within_one: Estimate | None = None
    """Share within one point."""
    kappa_quadratic: Estimate | None = None
    """Quadratic-weighted Cohen's kappa over scores 1..5."""
    spearman: Estimate | None = None
    """Spearman's rank correlation."""


class CardProbes(Schema):
    """Every probe of the card."""

    validity: ValidityProbe
    """Replies that were valid verdicts first time, after a re-ask, never."""
    repeatability: RepeatabilityProbe
    """The same answer graded N times."""
    position: PositionProbe
    """Two answers judged side by side in both orders."""
    verbosity: ShiftProbe
    """Answers padded with a restatement of themselves."""
    injection: ShiftProbe
    """Answers carrying an instruction to the grader."""
    self_preference: SelfPreferenceProbe
    """The judge's own family's answers against a reference."""
    agreement: AgreementProbe
    """Agreement with expert labels."""


class JudgeCard(Schema):
    """A judge's card: its biases measured on one run's answers."""

    judge: str
    """The judge's name."""
    judge_models: list[str]
    """The models it calls (a panel's members')."""
    run: str
    """The run file whose answers were the probes' material."""
    card_file: str
    """The card run file holding every grading the card is computed from."""
    samples: int
    """Gradings of each answer as it is."""
    answers: int
    """Answers probed."""
    not_done: int
    """Judge calls not made yet (interrupted, or the judge unreachable); the card is
    partial while > 0, and the same command finishes it."""
    confidence: float = 0.95
    """Coverage of every interval."""
    resamples: int
    """Bootstrap resamples of each interval."""
    seed: int
    """Seed of the resampling: the same card file gives the same card."""
    probes: CardProbes
    """The probes, by name."""

    @property
    def flagged(self) -> list[str]:
        """The names of the flagged probes."""
        return [name for name, probe in self.probes if probe.flagged]

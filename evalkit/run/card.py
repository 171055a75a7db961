"""`card`: a judge put through probes built from the answers already in a run file, every
grading recorded in a card run file beside it (evalkit.runfile.card names its records).

No candidate is called: the answers come from the run file (its records, or its pairs for
a pairwise run). The judge is asked through the same endpoints, retry policy, panel and
sampling code as a run, through the runner's `drain`, and every grading is appended (group
commit) the moment it exists. A card resumes like a run: a key that got a reply from the
judge (a verdict, or replies that never validated, which *is* what the validity probe
measures) is never asked again; only a key whose judge could not be reached is. A card
whose calls are all made is rebuilt from its file with no call at all.

For each answer (of the first `limit` tasks): `samples` gradings as it is (repeat-0 is
exactly a run's grading; repeat-i uses the judge's seed + i), one padded, one injected
(evalkit.run.card_probes). For each task with two or more candidates' answers: the first
candidate's answer against each other's, judged in both orders by the pairwise judge; a
pairwise run judged by the same judge gives its own pairs instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path

from pydantic import ConfigDict, Field

from evalkit import __version__
from evalkit.config import apply_endpoint_overrides, load_config
from evalkit.endpoints.pool import Pool
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.loading import load_judge
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.judges.protocol import Judge, judge_models_of
from evalkit.run.card_pairs import ANSWERED, own_pairs, pair_judge_for, pair_work
from evalkit.run.card_probes import injected, padded, reseeded
from evalkit.run.families import model_families
from evalkit.run.prepare import new_run_id
from evalkit.run.runner import Lane, RunPlan, drain, lane_window, run_key
from evalkit.runfile.card import (
    INJECTED,
    OWN_PAIRS,
    PADDED,
    PAIRS,
    REPEAT,
    card_path,
    probe_candidate,
)
from evalkit.runfile.manifests import judge_changes
from evalkit.runfile.reader import RunFile, read_run
from evalkit.runfile.writer import RunWriter
from evalkit.suites.loader import load_suite
from evalkit.types import (
    Answer,
    CardSettings,
    EndpointHealth,
    PairRecord,
    Record,
    RunManifest,
    Schema,
    Task,
    utc_now,
)

DEFAULT_SAMPLES = 3
"""Gradings of each answer as it is, unless --samples says otherwise."""
Make = Callable[[], Awaitable[Record | PairRecord]]


class CardOptions(Schema):
    """What the user asked for (None: not given)."""

    run: str
    """The run file whose answers probe the judge."""
    judge: str | None = None
    """--judge; default the run's own judge."""
    config: str | None = None
    """--config."""
    endpoints: list[str] = Field(default_factory=list)
    """--endpoint NAME=URL overrides."""
    samples: int | None = Field(default=None, ge=2, le=25)
    """--samples: gradings of each answer as it is (default 3, or the card file's)."""
    limit: int | None = Field(default=None, ge=1)
    """--limit: only the first N tasks' answers (default all, or the card file's)."""
    force: bool = False
    """--force: go on although the suite or the judge changed."""


class CardRun(Schema):
    """A card ready to execute."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    parent: RunFile
    """The run file probed."""
    judge: Judge
    """The judge put through the probes."""
    pool: Pool
    """The endpoints (the judge's only are called)."""
    manifest: RunManifest
    """The card file's manifest."""
    path: Path
    """The card run file."""
    resuming: bool
    """True when the card file exists and is appended to."""
    work: list[Make]
    """Every grading and pair still to make, in suite order."""
    carried: list[PairRecord] = Field(default_factory=list)
    """A pairwise run's own pairs, judged by this judge, that the card file lacks: written
    through, never asked."""

    def pending(self) -> int:
        """Judge calls (gradings and pairs) still to make."""
        return len(self.work)

    def open(self, health: list[EndpointHealth]) -> RunWriter:
        """Open the card file: a new one starts with its manifest (with the probes' health
        and the models' families); the carried pairs it lacks follow."""
        writer = RunWriter(self.path) if self.resuming else self._start(health)
        for pair in self.carried:
            writer.write(pair)
        return writer

    def _start(self, health: list[EndpointHealth]) -> RunWriter:
        """A new card file, its manifest completed with what the probes found."""
        manifest = self.parent.manifest
        families = model_families(
            self.manifest.candidates,
            judge_models_of(self.manifest.judge),
            self.manifest.models,
            [*manifest.health, *health],
            known=manifest.families,
        )
        update = {"health": health, "families": families}
        self.manifest = self.manifest.model_copy(update=update)
        return RunWriter(self.path, self.manifest)

    async def execute(self, writer: RunWriter, on_record: Callable | None = None) -> None:
        """Make every pending grading and pair; each is appended the moment it exists."""
        probe = RunPlan(tasks=[], candidates=[], judge=self.judge, pool=self.pool)
        window = lane_window(probe, [])
        await drain([Lane(window=window, work=self.work)], writer, on_record)


def prepare_card(options: CardOptions) -> CardRun:
    """Read the run, load the judge and the suite, and list what is still to ask; raise an
    EvalkitError for bad input."""
    parent = read_run(options.run)
    if parent.manifest.card is not None:
        raise ConfigError(f"{options.run}: a judge card's own file; give the run file it probes")
    judge_name = options.judge or parent.manifest.judge.name
    if options.judge is None and parent.manifest.judge.kind == "none":
        raise ConfigError(
            f"{options.run}: its answers were never graded (judge {judge_name!r});"
            " name the judge to probe with --judge NAME"
        )
    loaded = apply_endpoint_overrides(load_config(options.config), options.endpoints)
    pool = Pool(loaded)
    judge = load_judge(judge_name, pool)
    suite = load_suite(parent.manifest.suite.ref, loaded.base_dir)
    if suite.info.fingerprint != parent.manifest.suite.fingerprint and not options.force:
        raise ResumeMismatchError(
            f"{options.run}: its suite {suite.info.name!r} has changed since the run was made,"
            " so its answers may answer other prompts; use --force to probe anyway"
        )
    path = card_path(options.run, judge.name)
    existing = read_run(path) if path.exists() else None
    manifest = _manifest(parent, options, judge, pool, existing)
    done = _done(existing)
    answers = parent_answers(parent)
    tasks = list(suite.tasks[: manifest.limit] if manifest.limit else suite.tasks)
    work = list(_gradings(judge, pool, tasks, manifest, answers, done))
    own = own_pairs(parent, judge)
    pair_judge = None if own else pair_judge_for(judge)
    if isinstance(pair_judge, PairwiseJudge):
        work += pair_work(judge, pool, pair_judge, tasks, manifest.candidates, answers, done)
    if existing is None and manifest.card is not None:
        calls = manifest.card.model_copy(update={"calls": len(work)})
        manifest = manifest.model_copy(update={"card": calls})
    return CardRun(
        parent=parent,
        judge=judge,
        pool=pool,
        manifest=manifest,
        path=path,
        resuming=existing is not None,
        work=work,
        carried=[p for p in own if existing is None or p.key not in existing.pairs],
    )


def parent_answers(parent: RunFile) -> dict[tuple[str, str], Answer]:
    """Every answer in the run, by (task_id, candidate): from its records and its pairs."""
    found: dict[tuple[str, str], Answer] = {}
    for record in parent.records.values():
        if record.answer is not None:
            found.setdefault((record.task_id, record.candidate), record.answer)
    for pair in parent.pairs.values():
        for name, answer in ((pair.a, pair.answer_a), (pair.b, pair.answer_b)):
            if answer is not None:
                found.setdefault((pair.task_id, name), answer)
    return found


def _manifest(
    parent: RunFile, options: CardOptions, judge: Judge, pool: Pool, existing: RunFile | None
) -> RunManifest:
    """The card file's manifest: the existing one when resuming (checked against what was
    asked), else the run's with the judge's definition and the probe settings."""
    info = judge.info()
    if existing is not None:
        return _check_existing(existing, options, judge)
    answered = {candidate for _, candidate in parent_answers(parent)}
    candidates = [c for c in parent.manifest.candidates if c in answered]
    models = {c: parent.manifest.models[c] for c in candidates if c in parent.manifest.models}
    models.update({name: pool.model_info(name) for name in judge_models_of(info)})
    samples = options.samples or DEFAULT_SAMPLES
    probes = [f"{REPEAT}0..{samples - 1}", PADDED, INJECTED]
    skipped = {}
    if own_pairs(parent, judge):
        probes.append(OWN_PAIRS)
    elif isinstance(why := pair_judge_for(judge), str):
        skipped["position"] = why
    else:
        probes.append(PAIRS)
    return parent.manifest.model_copy(
        update={
            "run_id": new_run_id(),
            "evalkit_version": __version__,
            "candidates": candidates,
            "models": models,
            "judge": info,
            "limit": options.limit,
            "health": [],
            "parent": options.run,
            "pairwise": None,
            "started_at": utc_now(),
            "families": None,
            "card": CardSettings(samples=samples, probes=probes, skipped=skipped),
        }
    )


def _check_existing(existing: RunFile, options: CardOptions, judge: Judge) -> RunManifest:
    """The existing card's manifest, unless the judge or the settings asked for differ."""
    manifest = existing.manifest
    changes = judge_changes(manifest.judge, judge.info())  # the same file elsewhere is the same
    if changes and not options.force:
        raise ResumeMismatchError(
            f"{existing.path}: made with another definition of judge {manifest.judge.name!r}"
            f" ({'; '.join(changes)}); delete it to make the card again, or use --force to"
            " resume it anyway"
        )
    asked = {"--samples": options.samples, "--limit": options.limit}
    samples = manifest.card.samples if manifest.card else None
    held = {"--samples": samples, "--limit": manifest.limit}
    for flag, value in asked.items():
        if value is not None and value != held[flag]:
            raise ConfigError(
                f"{existing.path}: made with {flag} {held[flag]}; leave {flag} out to finish or"
                " rebuild it, or delete the file to make the card again with another"
            )
    return manifest


def _done(existing: RunFile | None) -> set[tuple]:
    """Keys of the existing card file that the judge replied to."""
    if existing is None:
        return set()
    done: set[tuple] = {k for k, r in existing.records.items() if r.status in ANSWERED}
    return done | {k for k, p in existing.pairs.items() if p.status in ANSWERED}


def _gradings(
    judge: Judge,
    pool: Pool,
    tasks: list[Task],
    manifest: RunManifest,
    answers: dict[tuple[str, str], Answer],
    done: set[tuple],
) -> Iterator[Make]:
    """Each answer's gradings still to make: repeats, padded, injected."""
    samples = manifest.card.samples if manifest.card else DEFAULT_SAMPLES
    shown: dict[tuple[str, str, int], Answer] = {}
    plans = {f"{REPEAT}{i}": reseeded(judge, i) for i in range(samples)}
    plans.update({PADDED: judge, INJECTED: judge})
    made = {
        variant: RunPlan(tasks=[], candidates=[], judge=j, pool=pool, answers=shown)
        for variant, j in plans.items()
    }
    for task in tasks:
        for candidate in manifest.candidates:
            answer = answers.get((task.id, candidate))
            if answer is None:
                continue
            for variant, plan in made.items():
                name = probe_candidate(candidate, variant)
                if (task.id, name, judge.name) in done:
                    continue
                shown[(task.id, name, 0)] = _variant(answer, variant)
                yield partial(run_key, plan, task, name)


def _variant(answer: Answer, variant: str) -> Answer:
    """What the judge is shown for a variant: the answer itself, padded or injected."""
    if variant == PADDED:
        return Answer(text=padded(answer.text))
    if variant == INJECTED:
        return Answer(text=injected(answer.text))
    return answer

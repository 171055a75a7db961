"""The data that crosses module boundaries and files: tasks, answers, verdicts, records.

Every model here is part of a file format (suite rows, run files) that other tools read;
extend them by adding optional fields, never by changing what a field means.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic import Strict as StrictType

from evalkit.keys import (
    IdentitySource,
    IssueSeverity,
    RecordKey,
    RubricSeverity,
    Status,
    is_blank,
    is_cut,
    record_key,
    utc_now,
)

Score = Annotated[int, StrictType(), Field(ge=1, le=5)]
"""A score: a JSON integer from 1 to 5. `true`, `5.0` and `"5"` are not scores (pydantic
took `true` as 1 and `5.0` as 5 for a Literal[1, ..., 5], even in strict mode)."""

FATAL_CAP: int = 2
"""The highest score an answer may get when it misses a fatal rubric criterion."""


def failure_status(unavailable: bool, invalid: bool) -> Status:
    """The status of a judge call that gave no verdict or pick, decided from its flags
    (never from an error's kind): unavailable when the judge was down, judge_error when it
    replied but never validly, error when its call failed."""
    if unavailable:
        return "unavailable"
    return "judge_error" if invalid else "error"


class Schema(BaseModel):
    """Base of evalkit's models: each builds its validator on first use, not at import.

    A command uses a few of them: `compare` never touches the suite, endpoint, panel or
    report models, and building every model at import cost 30 ms of each start
    (measured)."""

    model_config = ConfigDict(defer_build=True)


def unset_dropped(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """`data` (a model's serialised fields) without those of `names` that are None: fields
    written only when set, so lines written before they existed stay as they were."""
    for name in names:
        if data.get(name, "") is None:
            data.pop(name)
    return data


class Strict(Schema):
    """Base for file formats: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Criterion(Strict):
    """One checkable statement of what a good answer does."""

    id: str = Field(min_length=1)
    """Short identifier, unique within its task; verdicts refer to it."""
    criterion: str = Field(min_length=1)
    """What a good answer does, phrased so a grader can say met or not met."""
    severity: RubricSeverity
    """fatal: an answer missing it is broken (score capped); major; minor: polish."""


class Task(Strict):
    """One row of a suite: a prompt and what a good answer to it contains."""

    id: str = Field(min_length=1)
    """Unique within the suite; the first part of every result key."""
    prompt: str = Field(min_length=1)
    """The user message sent to each candidate model."""
    reference: str = Field(min_length=1)
    """A reference answer, or what a good answer must contain; shown to the judge only."""
    rubric: list[Criterion] = Field(min_length=1)
    """The criteria the judge checks one by one."""
    system: str | None = None
    """An optional system message for the candidates."""
    category: str | None = None
    """A grouping for reports, e.g. code-security, architecture, ops-scripting, debugging."""
    tags: list[str] = Field(default_factory=list)
    """Free-form labels."""
    checks: list[dict[str, Any]] = Field(default_factory=list)
    """Check definitions (regex, contains, json_schema, python) run on each answer beside
    the judge; validated by `evalkit.checks.validate_checks` when the suite loads, and kept
    here in that validated form. Empty for a task without checks."""

    @model_serializer(mode="wrap")
    def _omit_no_checks(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A task without checks serialises as it did before the field existed, so the
        fingerprints of existing suites (and the run files that name them) do not change."""
        data = handler(self)
        if not self.checks:
            data.pop("checks", None)
        return data


class Exact(Strict):
    """Base for what a judge writes: every field must already have its JSON type. Nothing is
    coerced: `"true"` and `1` are not booleans, `5.0` is not an integer."""

    model_config = ConfigDict(strict=True)


class CriterionResult(Exact):
    """The judge's finding on one rubric criterion."""

    id: str
    """The rubric criterion's id."""
    met: bool
    """Whether the answer does what the criterion asks."""
    note: str = ""
    """One sentence of evidence from the answer."""


class Issue(Exact):
    """A problem the judge found in an answer."""

    severity: IssueSeverity
    """fatal, wrong, inaccurate, missing, vague or minor."""
    description: str
    """What is wrong, specifically."""


class Verdict(Exact):
    """A judge's structured grade of one answer against its task's rubric."""

    reasoning: str
    """The judge's reasoning; first, so the judge reasons before it scores."""
    criteria: list[CriterionResult]
    """One finding per rubric criterion of the task, each id exactly once."""
    issues: list[Issue] = Field(default_factory=list)
    """Problems found, most severe first."""
    score: Score
    """1 (useless) to 5 (what a senior engineer would write)."""
    label: str
    """Short verdict in capitals, e.g. BROKEN, SUPERFICIAL, CORRECT."""
    capped_from: Score | None = None
    """The judge's own score when a missed fatal criterion capped it; null otherwise. Only
    evalkit's fatal cap sets it (evalkit.judges.verdicts)."""


class Answer(Strict):
    """A model's reply to one prompt, with what the endpoint told about producing it."""

    text: str
    """The reply's text, exactly as received."""
    latency_ms: float | None = None
    """Wall time of the successful attempt, in milliseconds."""
    prompt_tokens: int | None = None
    """Tokens in the prompt, as the server counted them."""
    completion_tokens: int | None = None
    """Tokens generated."""
    load_ms: float | None = None
    """Ollama's load_duration: time spent loading the model, when the server reports it."""
    prompt_eval_ms: float | None = None
    """Ollama's prompt_eval_duration, when reported."""
    eval_ms: float | None = None
    """Ollama's eval_duration (generation time), when reported."""
    finish_reason: str | None = None
    """Why generation stopped: stop, or length when it was cut at max_tokens (see
    `truncated`), ..."""
    attempts: int = 1
    """Requests made, the successful one included."""

    @property
    def truncated(self) -> bool:
        """True when generation was cut at the token limit (max_tokens), so the answer is
        not whole. Read from `finish_reason`, the server's own word, so run files written
        before this property existed say it too."""
        return is_cut(self.finish_reason)

    @property
    def empty(self) -> bool:
        """True when the answer holds no text but whitespace.

        An empty answer is still graded, not recorded as an error: the request succeeded
        and the model's reply was nothing (it stopped at once, or spent its tokens on
        reasoning it does not show), which is the model's result, not a failure to get one.
        An error would drop the row from every mean and comparison, so a model that
        answers nothing would look no worse than one whose endpoint was down. The judge is
        told the answer is empty and grades it as missing everything; `show`, the report
        and the end-of-run summary count it."""
        return is_blank(self.text)


class ErrorInfo(Strict):
    """Why a record is not ok: a failed request, a down endpoint, an invalid verdict."""

    kind: str
    """The failure's class, e.g. ServiceUnavailableError, EndpointDown, InvalidVerdict."""
    message: str
    """What happened, with secrets redacted."""
    status_code: int | None = None
    """The HTTP status, when there was one."""
    role: Literal["candidate", "judge"] = "candidate"
    """Whose call failed: the model under test or the judge."""
    attempts: int | None = None
    """Requests made before giving up."""


class MemberVerdict(Strict):
    """One vote of a panel or of repeated sampling: one judge's verdict, or why none."""

    judge: str
    """The member judge's name."""
    sample: int = 0
    """Which of that judge's samples this is (0 for a judge that samples once)."""
    verdict: Verdict | None = None
    """The member's verdict; null when it produced none."""
    error: ErrorInfo | None = None
    """Why the member produced no verdict."""
    unavailable: bool = False
    """True when the member's endpoint or model was down, rather than the member failing."""
    raw: list[str] = Field(default_factory=list)
    """The member's raw replies that did not validate (with a verdict: those before it)."""
    judge_answer: Answer | None = None
    """Latency and tokens of the member's call."""
    invalid: bool = False
    """True when the member replied but gave no valid verdict (a judge_error vote)."""


class Spread(Strict):
    """How a panel's (or a sampled judge's) votes were combined, and how far apart they were."""

    combine: Literal["median", "mean"]
    """How the votes' scores were combined."""
    exact: float
    """The combined score before rounding (a mean, or the median of an even count)."""
    min: int
    """The lowest score among the votes."""
    max: int
    """The highest score among the votes."""
    disagree: bool
    """True when the votes differ by more than one point (max - min > 1)."""
    votes: int
    """Votes that produced a verdict and were combined."""
    failed: int = 0
    """Votes that produced no verdict (not combined; see the record's members)."""


class Grading(Strict):
    """What grading one answer produced, whether or not it yielded a verdict."""

    verdict: Verdict | None = None
    """The validated verdict; null when the judge failed."""
    raw: list[str] = Field(default_factory=list)
    """The judge's raw replies that did not validate (kept for diagnosis): all of them when
    none did, else those before the valid one (the judge was asked again)."""
    judge_answer: Answer | None = None
    """Latency, tokens and attempts of the judge call that produced the verdict."""
    error: ErrorInfo | None = None
    """Why there is no verdict."""
    unavailable: bool = False
    """True when the judge's endpoint or model was down, rather than the judge failing."""
    members: list[MemberVerdict] = Field(default_factory=list)
    """Every vote of a panel or sampled judge; empty for a judge that votes once."""
    spread: Spread | None = None
    """How the votes were combined and how far apart they were; null for a single vote."""
    invalid: bool = False
    """True when the judge replied but no reply was a valid verdict: the record is
    judge_error, whatever the error's kind. A plugin sets it for a reply it could not use."""

    @property
    def status(self) -> Status:
        """The record status this grading gives: ok with a verdict, else why not."""
        if self.verdict is not None:
            return "ok"
        return failure_status(self.unavailable, self.invalid)


class CheckResult(Strict):
    """The outcome of one check on one answer, as stored in a record's `checks` list."""

    id: str
    """The check's id in the suite."""
    passed: bool | None
    """True or False when the check ran; None only when it could not run."""
    detail: str
    """Why it passed or failed, or why it did not run; output from the sandbox is included
    (shortened) and is model-influenced text, to be treated like the answer."""
    duration_ms: float
    """Wall-clock time the check took, sandbox start included."""


class Disagreement(Strict):
    """A check and the judge contradict each other on the criterion the check names."""

    check_id: str
    """The check's id."""
    criterion: str
    """The rubric criterion id the check gives evidence for."""
    check_passed: bool
    """What the check found."""
    judge_met: bool
    """What the judge found for that criterion (the opposite of `check_passed`)."""


class Record(Strict):
    """One result line of a run file: one (task, candidate, judge, sample) key."""

    type: Literal["result"] = "result"
    """Always "result"; tells records from the manifest."""
    task_id: str
    """The task's id in the suite."""
    candidate: str
    """The candidate model's name in the config."""
    judge: str
    """The judge's name."""
    status: Status
    """ok, unavailable (endpoint down or unreachable), error (request failed), judge_error."""
    answer: Answer | None = None
    """The candidate's answer; kept even when grading failed, so a resume only grades."""
    verdict: Verdict | None = None
    """The judge's verdict; present if and only if status is ok."""
    judge_raw: list[str] = Field(default_factory=list)
    """Raw judge replies that did not validate: every reply of a judge_error record; in an
    ok record, the invalid ones before the valid verdict (empty: valid first time)."""
    judge_answer: Answer | None = None
    """Latency and tokens of the judge's call."""
    error: ErrorInfo | None = None
    """Why the record is not ok; null when it is."""
    members: list[MemberVerdict] = Field(default_factory=list)
    """Every vote of a panel or sampled judge, the verdict-less ones included."""
    spread: Spread | None = None
    """How the votes were combined (score: median or rounded mean; label: majority)."""
    started_at: str = Field(default_factory=utc_now)
    """When work on this key began (UTC, ISO 8601)."""
    finished_at: str = Field(default_factory=utc_now)
    """When the record was written."""
    checks: list[CheckResult] = Field(default_factory=list)
    """The task's checks run on the answer, in the suite's order; empty when the task has
    none (or no answer arrived)."""
    disagreements: list[Disagreement] = Field(default_factory=list)
    """Checks whose result contradicts the judge's finding on the criterion they name."""
    checks_hash: str | None = None
    """`evalkit.checks.checks_hash` of the definitions that produced `checks`: a re-grade
    reuses the results while it is unchanged and runs the checks again otherwise."""
    sample: int = Field(default=0, ge=0)
    """Which of the candidate's repeated answers to the task this is (`run --samples K`:
    0 .. K-1; sample i asks with the model's seed + i). 0 for a run of one sample, and in
    files written before samples existed; written only when it is not 0."""
    cached_answer_from: str | None = None
    """The run id whose answer the cache across runs gave this key (the candidate was not
    asked); null when the answer was asked for (or kept from this run file)."""
    cached_verdict_from: str | None = None
    """The run id whose verdict (and check results) the cache gave this key (the judge was
    not asked); null when the judge graded it in this run."""

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A record of a task without checks, of sample 0, not made from the cache, is
        written as before these fields existed."""
        data = handler(self)
        if not self.checks and self.checks_hash is None:
            for name in ("checks", "disagreements", "checks_hash"):
                data.pop(name, None)
        if not self.sample:
            data.pop("sample", None)
        return unset_dropped(data, "cached_answer_from", "cached_verdict_from")

    @property
    def key(self) -> RecordKey:
        """The record's key (`record_key`): (task_id, candidate, judge), with the sample
        after them unless it is 0; a later record for it supersedes this one."""
        return record_key(self.task_id, self.candidate, self.judge, self.sample)


class EndpointHealth(Strict):
    """What a probe found out about one endpoint."""

    endpoint: str
    """The endpoint's config name."""
    kind: str
    """ollama, embedded or openai."""
    url: str
    """The URL, credentials redacted."""
    reachable: bool
    """Whether the server answered as the protocol says."""
    version: str | None = None
    """The server's version, when it tells."""
    models: list[str] = Field(default_factory=list)
    """The models the server lists."""
    missing: list[str] = Field(default_factory=list)
    """Server-side names of needed models that the server does not list."""
    error: str | None = None
    """Why the endpoint is not reachable."""
    status_code: int | None = None
    """The HTTP status of the failed probe, if any."""
    families: dict[str, str] = Field(default_factory=dict)
    """Each listed model's family as the server reports it (Ollama's `details.family`),
    by the model's name on the server; empty when the server does not say."""
    digests: dict[str, str] = Field(default_factory=dict)
    """What identifies each listed model's weights, by name: Ollama's digest from
    `/api/tags` where the server reports one; the sha256 of the GGUF file for the embedded
    model. Empty when the server tells none."""


class ModelInfo(Strict):
    """A model's resolved settings, as recorded in the manifest (no secrets)."""

    name: str
    """The model's name in the config."""
    endpoint: str
    """The endpoint's name in the config."""
    kind: str
    """The endpoint's kind: ollama, embedded or openai."""
    url: str | None = None
    """The endpoint's URL with credentials and query secrets redacted."""
    litellm_model: str
    """The model string litellm is called with."""
    params: dict[str, float | int | str | bool | None] = Field(default_factory=dict)
    """Sampling and context settings: temperature, seed, max_tokens, num_ctx, ..."""
    notes: str | None = None
    """The config's notes on the model and its endpoint (parameters, hardware)."""
    identity: str | None = None
    """What the served model is, so a changed model shows: the value `identity_source`
    names. Null in files written before it was recorded."""
    identity_source: IdentitySource | None = None
    """digest (Ollama's digest of the model, from `/api/tags`), file_sha256 (the sha256
    of the embedded GGUF file) or model (the model string: the server told nothing more)."""
    server_version: str | None = None
    """The serving server's version (Ollama's `/api/version`), when it tells."""


class JudgeInfo(Strict):
    """A judge's definition, as recorded in the manifest."""

    name: str
    """The judge's name (its file stem or plugin name)."""
    kind: str = "rubric"
    """rubric for a TOML judge, or the plugin's own kind."""
    model: str | None = None
    """The config model the judge calls."""
    prompt_sha256: str | None = None
    """Hash of the prompt template, so a changed prompt shows as a changed judge."""
    settings: dict[str, float | int | str | bool | None] = Field(default_factory=dict)
    """The judge's own settings (temperature, max_tokens, ...)."""
    members: list[JudgeInfo] = Field(default_factory=list)
    """A panel's member judges; empty for any other judge."""
    path: str | None = None
    """The judge file it was loaded from, as an absolute path; null for a plugin. A resume
    loads the judge from this file, so a judge named by path needs no --judge again."""
    definition_sha256: str | None = None
    """sha256 over the judge file's bytes and its prompt template's (a panel's over its file
    and its members' hashes; a plugin's over its info): a resume with another definition
    is refused unless --force. Null in run files written before evalkit recorded it."""

    def model_names(self) -> list[str]:
        """Every config model the judge calls, a panel's members' included, once each."""
        found = [self.model] if self.model else []
        for member in self.members:
            found.extend(member.model_names())
        return list(dict.fromkeys(found))


class SuiteInfo(Strict):
    """Which suite a run was made from."""

    name: str
    """The suite's short name (folder or hub id)."""
    ref: str
    """How it was named on the command line."""
    fingerprint: str
    """sha256 over the validated task rows; changes when any task changes."""
    tasks: int
    """Number of tasks in the suite (before --limit)."""


class PairwiseInfo(Strict):
    """What a pairwise run compares, and with which prompt."""

    a: str
    """The first candidate (called A in a run of two)."""
    b: str
    """The second candidate (called B in a run of two)."""
    prompt_sha256: str
    """Hash of the pairwise prompt template."""
    candidates: list[str] = Field(default_factory=list)
    """Every candidate compared, in the order given; empty in files of two-candidate runs
    written before there could be more (then it is [a, b])."""
    baseline: str | None = None
    """With a baseline, each other candidate is judged against it; without, every pair."""

    def pairs(self) -> list[tuple[str, str]]:
        """The (a, b) pairs judged: every pair in the candidates' order, or (baseline, c)
        for each other candidate c."""
        names = self.candidates or [self.a, self.b]
        if self.baseline is not None:
            return [(self.baseline, c) for c in names if c != self.baseline]
        return [(x, y) for i, x in enumerate(names) for y in names[i + 1 :]]


class ShardInfo(Strict):
    """Which part of the planned tasks a sharded run (`run --shard I/N`) covers.

    The tasks are dealt to N shards by a stable hash: ordered by the sha256 of their id,
    the first goes to shard 1, the second to shard 2, ..., so every task is in exactly one
    shard, on any machine and any Python, and shard sizes differ by at most one
    (evalkit.runfile.shards)."""

    index: int = Field(ge=1)
    """I: which shard, from 1."""
    count: int = Field(ge=1)
    """N: how many shards the tasks are dealt to."""
    tasks: int = Field(ge=0)
    """How many of the planned tasks (the suite's, or --limit's) fall in this shard."""


class MergeSource(Strict):
    """One run file a merged run file was made from (`evalkit merge`)."""

    path: str
    """The file as named on the command line."""
    run_id: str
    """Its run id."""
    shard: ShardInfo | None = None
    """Its shard, when it was one."""
    records: int
    """Its keys (result and pair lines, latest per key) that the merged file took."""
    started_at: str
    """When its run began."""


class RunManifest(Strict):
    """The first line of a run file: everything needed to reproduce or resume the run."""

    type: Literal["run"] = "run"
    """Always "run"; tells the manifest from records."""
    run_id: str
    """Unique id of this run; also the run file's stem by default."""
    evalkit_version: str
    """The evalkit version that started the run."""
    suite: SuiteInfo
    """The suite, with its fingerprint."""
    profile: str
    """The config profile used."""
    candidates: list[str]
    """The candidate models, in order."""
    models: dict[str, ModelInfo]
    """Every model used (candidates and judge), resolved, secrets redacted."""
    judge: JudgeInfo
    """The judge's definition."""
    limit: int | None = None
    """--limit, when the run covers only the first N tasks."""
    health: list[EndpointHealth] = Field(default_factory=list)
    """What the endpoints' probes found when the run started."""
    parent: str | None = None
    """For a re-grade: the run file this one was made from."""
    pairwise: PairwiseInfo | None = None
    """For a pairwise run (records of type "pair"): the two candidates compared."""
    started_at: str = Field(default_factory=utc_now)
    """When the run began (UTC, ISO 8601)."""
    families: ModelFamilies | None = None
    """Each model's family and the candidates the judge may favour as its own; null in
    files written before it was recorded."""
    card: CardSettings | None = None
    """For a judge card's run file (`card`): how its probes were made; null otherwise."""
    shard: ShardInfo | None = None
    """For `run --shard I/N`: the part of the tasks this file covers; null for a whole run."""
    merged_from: list[MergeSource] = Field(default_factory=list)
    """For a file made by `evalkit merge`: the run files it joins, in the order given."""
    samples: int = Field(default=1, ge=1)
    """Answers asked of each candidate per task (`run --samples K`), each its own record
    (`Record.sample` 0 .. K-1); 1 unless K was given, and then not written."""
    pass_threshold: int | None = Field(default=None, ge=1, le=5)
    """The score at or above which a sample passes, for pass^k and pass@k (`--pass-threshold`
    or the config's `pass_threshold` when the run was made); null: the default, 4."""
    cache: CacheUse | None = None
    """How the run used the cache across runs; absent when it did not (`--no-cache`, or
    a file written before the cache existed). Which records came from the cache, and from
    which run, the records say (`cached_answer_from`, `cached_verdict_from`)."""

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A run of one sample with the default threshold, without the cache, writes the
        manifest it wrote before these fields existed."""
        data = handler(self)
        if self.samples == 1:
            data.pop("samples", None)
        return unset_dropped(data, "pass_threshold", "cache")


class CacheUse(Strict):
    """How a run used the cache across runs (`evalkit.cache`)."""

    mode: Literal["use", "refresh"]
    """use: answers and verdicts found in the cache were taken from it; refresh
    (`--refresh`): every one was asked again and the cache overwritten."""
    path: str
    """The cache file."""


class ModelFamilies(Strict):
    """Which family each model of a run belongs to, and which candidates share the judge's
    model or family (where a judge's self-preference can inflate scores)."""

    families: dict[str, str]
    """Model name in the config -> family: the server's `details.family` where it reports
    one, else the model's name on the server before the tag (gemma3:27b -> gemma3)."""
    reported: list[str] = Field(default_factory=list)
    """The models whose family the server reported; the others' are read from names."""
    judge: list[str] = Field(default_factory=list)
    """The judge's models (every member's, for a panel)."""
    shared: dict[str, str] = Field(default_factory=dict)
    """Candidate -> why the judge may favour it: it is the judge's model, or of its family."""


class CardSettings(Strict):
    """How a judge card's probes were made, so a resume or a rebuild makes the same ones."""

    samples: int
    """Times each answer was graded as it is (repeatability); sample i uses seed + i."""
    probes: list[str]
    """The answer variants graded: repeat, padded, injected; and pairs for position."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Probe -> why the card could not make its calls (e.g. a panel cannot judge pairs)."""
    calls: int = 0
    """Judge calls the card makes in all (gradings, and pairs judged for it), so a partial
    card knows how many are still to make."""


Side = Literal["a", "b"]
Preference = Literal["a", "b", "tie"]
Outcome = Literal["a", "b", "tie", "inconsistent"]


class PairJudgement(Strict):
    """The judge's pick for one order of the two answers."""

    first: Side
    """Which candidate's answer was shown first (as "Answer 1")."""
    preferred: Preference | None = None
    """The candidate the judge preferred, mapped back from the position it picked, or tie;
    null when the judge gave no valid reply."""
    reasoning: str = ""
    """The judge's reasoning."""
    raw: list[str] = Field(default_factory=list)
    """Raw replies that did not validate."""
    judge_answer: Answer | None = None
    """Latency and tokens of the judge call."""
    error: ErrorInfo | None = None
    """Why there is no pick."""
    unavailable: bool = False
    """True when the judge's endpoint or model was down."""
    invalid: bool = False
    """True when the judge replied but no reply was a valid pick."""

    @property
    def status(self) -> Status:
        """The status this pick gives its pair: ok with a pick, else why not."""
        if self.preferred is not None:
            return "ok"
        return failure_status(self.unavailable, self.invalid)


class PairRecord(Strict):
    """One pairwise line: both answers to one task and the judge's two picks."""

    type: Literal["pair"] = "pair"
    """Always "pair"; tells pairwise lines from results and the manifest."""
    task_id: str
    """The task's id in the suite."""
    a: str
    """Candidate A's name."""
    b: str
    """Candidate B's name."""
    judge: str
    """The judge's name."""
    status: Status
    """ok when both orders were judged; otherwise why not, as for result records."""
    answer_a: Answer | None = None
    """A's answer; kept when anything later failed, so a resume only judges."""
    answer_b: Answer | None = None
    """B's answer, likewise."""
    cached_answer_a_from: str | None = None
    """The run id whose answer the cache across runs gave A (A was not asked); null when it
    was asked for (or kept from this run file). Picks are never cached."""
    cached_answer_b_from: str | None = None
    """The same for B."""
    judgements: list[PairJudgement] = Field(default_factory=list)
    """The two picks: A shown first, then B shown first."""
    outcome: Outcome | None = None
    """a, b or tie when both orders agree; inconsistent when they do not; null unless ok."""
    error: ErrorInfo | None = None
    """Why the record is not ok."""
    started_at: str = Field(default_factory=utc_now)
    """When work on this key began (UTC, ISO 8601)."""
    finished_at: str = Field(default_factory=utc_now)
    """When the record was written."""

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A pair whose answers were asked for is written as before the cache existed."""
        return unset_dropped(handler(self), "cached_answer_a_from", "cached_answer_b_from")

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The (task_id, a, b, judge) key; a later record for it supersedes this one."""
        return (self.task_id, self.a, self.b, self.judge)


class Resume(Strict):
    """A line appended each time a run file is resumed (`"type": "resume"`): when, and what
    the endpoint probes found then. The manifest (line 1) keeps what they found at the
    start; a run file is never rewritten, so later probes are recorded here."""

    type: Literal["resume"] = "resume"
    """Always "resume"; tells these lines from records and the manifest."""
    at: str = Field(default_factory=utc_now)
    """When the resume began, just after its probes (UTC, ISO 8601); records it writes
    finish after this."""
    evalkit_version: str
    """The evalkit version that resumed the run."""
    health: list[EndpointHealth] = Field(default_factory=list)
    """What the endpoints' probes found when the resume began."""
    forced: list[str] = Field(default_factory=list)
    """What differed from the manifest and was resumed anyway with --force; empty
    otherwise."""
    cache: CacheUse | None = None
    """How this session used the cache across runs, as the manifest says of the first;
    absent when it did not (`--no-cache`, or a line written before it was recorded)."""

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A resume without the cache writes the line it wrote before `cache` existed."""
        return unset_dropped(handler(self), "cache")

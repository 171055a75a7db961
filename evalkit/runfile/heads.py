"""A run file's manifest (line 1) as the commands that only read run files see it: decoded
by msgspec into `ManifestHead`, which holds only the fields they read, so `show`, `compare`
and `report` need no pydantic at all.

Guarantees: the full manifest (`types.RunManifest`) is the specification. A line 1 is taken
as a head only when msgspec accepts it, and every field declared here is declared as
strictly as in RunManifest (the same types, bounds and literals), so msgspec accepts no
value of a read field that RunManifest refuses; a line 1 msgspec refuses is validated by
RunManifest, which either accepts it by its own rules (the head is then built from what it
accepted) or raises the error naming the field. Fields not declared here are skipped, their
JSON still checked: a wrong value there goes unreported, as a field `compare` does not read
does (`runfile.lines`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

from evalkit.keys import IdentitySource, utc_now

if TYPE_CHECKING:
    from evalkit.types import RunManifest

Param = float | int | str | bool | None
"""A resolved model setting's value, as `ModelInfo.params` holds them."""


class SuiteHead(msgspec.Struct, gc=False):
    """The suite a run was made from (`SuiteInfo`)."""

    name: str
    """The suite's name."""
    ref: str
    """How the run named it (a name or a path)."""
    fingerprint: str
    """sha256 over the suite's rows."""
    tasks: int
    """How many tasks the suite had."""


class ModelHead(msgspec.Struct, gc=False):
    """A model as the run resolved it (`ModelInfo`, every field)."""

    name: str
    """The model's name in the config."""
    endpoint: str
    """The endpoint it was asked at."""
    kind: str
    """ollama, openai or embedded."""
    litellm_model: str
    """The model string litellm was given."""
    url: str | None = None
    """The endpoint's URL, credentials removed."""
    params: dict[str, Param] = {}
    """temperature, seed, max_tokens, ... as sent."""
    notes: str | None = None
    """The config's notes on it."""
    identity: str | None = None
    """What identifies the weights (a digest, a file's sha256, the model string)."""
    identity_source: IdentitySource | None = None
    """Which of those `identity` is."""
    server_version: str | None = None
    """The server's version, when it told."""


class JudgeHead(msgspec.Struct, gc=False):
    """The judge as the run defined it (`JudgeInfo`, every field)."""

    name: str
    """As records name it."""
    kind: str = "rubric"
    """rubric, panel, pairwise or a plugin's."""
    model: str | None = None
    """The config model it calls."""
    prompt_sha256: str | None = None
    """sha256 of its prompt template."""
    settings: dict[str, Param] = {}
    """Its settings."""
    members: list[JudgeHead] = []
    """A panel's members."""
    path: str | None = None
    """The file it was loaded from."""
    definition_sha256: str | None = None
    """sha256 of its definition."""

    def model_names(self) -> list[str]:
        """Every config model the judge calls, a panel's members' included, once each."""
        found = [self.model] if self.model else []
        for member in self.members:
            found.extend(member.model_names())
        return list(dict.fromkeys(found))


class ShardHead(msgspec.Struct, gc=False):
    """Which share of the suite's tasks the run covered (`ShardInfo`)."""

    index: Annotated[int, msgspec.Meta(ge=1)]
    """This shard, from 1."""
    count: Annotated[int, msgspec.Meta(ge=1)]
    """How many shards the suite was dealt to."""
    tasks: Annotated[int, msgspec.Meta(ge=0)]
    """How many tasks fell to this shard."""


class HealthHead(msgspec.Struct, gc=False):
    """What a probe found out about one endpoint (`EndpointHealth`, every field)."""

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
    models: list[str] = []
    """The models the server lists."""
    missing: list[str] = []
    """Server-side names of needed models that the server does not list."""
    error: str | None = None
    """Why the endpoint is not reachable."""
    status_code: int | None = None
    """The HTTP status of the failed probe, if any."""
    families: dict[str, str] = {}
    """Each listed model's family as the server reports it."""
    digests: dict[str, str] = {}
    """What identifies each listed model's weights, by name."""


class FamiliesHead(msgspec.Struct, gc=False):
    """Each model's family and the candidates the judge may favour (`ModelFamilies`, every
    field)."""

    families: dict[str, str]
    """Model name in the config -> family."""
    reported: list[str] = []
    """The models whose family the server reported."""
    judge: list[str] = []
    """The judge's models."""
    shared: dict[str, str] = {}
    """Candidate -> why the judge may favour it."""


class CardHead(msgspec.Struct, gc=False):
    """How a judge card's probes were made (`CardSettings`, every field); the report only
    asks whether there is one."""

    samples: int
    """Times each answer was graded as it is."""
    probes: list[str]
    """The answer variants graded."""
    skipped: dict[str, str] = {}
    """Probe -> why the card could not make its calls."""
    calls: int = 0
    """Judge calls the card makes in all."""


class PairwiseHead(msgspec.Struct, gc=False):
    """That the run was pairwise (`PairwiseInfo`); its fields are not read here."""


class ManifestHead(msgspec.Struct, gc=False):
    """Line 1 of a run file, the fields `show`, `compare` and `report` read (see the module
    docstring)."""

    run_id: str
    """The run's id."""
    suite: SuiteHead
    """The suite."""
    candidates: list[str]
    """The candidate models, in the run's order."""
    models: dict[str, ModelHead]
    """Each candidate's resolved settings."""
    judge: JudgeHead
    """The judge."""
    evalkit_version: str
    """The evalkit version that started the run."""
    profile: str
    """The config profile used."""
    type: Literal["run"] = "run"
    """Always "run"."""
    limit: int | None = None
    """`--limit`: the first N tasks only."""
    parent: str | None = None
    """The run file a re-grade was made from; None for a run."""
    pairwise: PairwiseHead | None = None
    """Set for a pairwise run."""
    shard: ShardHead | None = None
    """`--shard I/N`: the run's share of the tasks."""
    samples: Annotated[int, msgspec.Meta(ge=1)] = 1
    """Answers asked per task and candidate."""
    pass_threshold: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    """The run's pass threshold for pass^k and pass@k; None: the default."""
    health: list[HealthHead] = []
    """What the endpoints' probes found when the run started."""
    started_at: str = msgspec.field(default_factory=utc_now)
    """When the run began (UTC, ISO 8601; now when absent, as RunManifest)."""
    families: FamiliesHead | None = None
    """Each model's family and who the judge may favour; None in older files."""
    card: CardHead | None = None
    """Set for a judge card's run file."""


_decode_head = msgspec.json.Decoder(ManifestHead).decode


def read_head(line: bytes, path: Path) -> ManifestHead:
    """Line 1 as a ManifestHead; a line that is not a manifest is the error RunManifest
    gives, naming the file, the line and the field (pydantic is imported only then)."""
    try:
        if line.isascii() or utf8(line):
            return _decode_head(line)
    except msgspec.MsgspecError:
        pass
    from evalkit.runfile.reader import checked_manifest  # the specification, on refusal only

    return head_of(checked_manifest(line, path))


def head_of(manifest: RunManifest) -> ManifestHead:
    """The head of a manifest RunManifest has accepted."""
    return _decode_head(manifest.model_dump_json())


def utf8(data: bytes | memoryview) -> bool:
    """Whether the bytes are valid UTF-8 (JSON's encoding; msgspec checks only the strings
    it keeps)."""
    try:
        str(data, "utf-8")
    except UnicodeDecodeError:
        return False
    return True

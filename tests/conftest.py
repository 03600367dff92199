"""The one Pulumi mocks fixture (mocks are process-global), helpers to run the real program, and
what the unchanged sample stack declares, run once per session."""

from __future__ import annotations

import copy
import json
import re
import runpy
import uuid
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE_STACK = REPO / "Pulumi.dev.yaml"
#: Microsoft's documented payloads, vendored (tests/fixtures/graph/README.md names each source page).
GRAPH_SAMPLES = REPO / "tests" / "fixtures" / "graph"

GROUP_KEYS = ("emergencyAccessGroupId", "conditionalAccessExclusionGroupId", "privilegedGroupId")


def object_id_for(name: str) -> str:
    """Deterministic object IDs for resources the mocks 'create'."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ztb-mock/{name}"))


def client_id_for(object_id: str) -> str:
    """The client (application) ID the mocks give the application with ``object_id``."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"client/{object_id}"))


class BaselineMocks(pulumi.runtime.Mocks):
    """Records every resource the program registers and answers the lookups it makes.

    Lookups of existing groups succeed only for IDs in ``tenant_groups``, as they would against a
    tenant: that is how a reference to a group that is not there must fail the plan.
    """

    def __init__(self) -> None:
        self.resources: list[tuple[str, str, dict[str, Any]]] = []
        self.tenant_groups: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        #: Resource name -> the ID its ``ResourceOptions(import_=...)`` asked to adopt.
        self.imports: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        self.resources.append((args.typ, args.name, inputs))
        if args.resource_id:
            self.imports[args.name] = args.resource_id
        outputs = dict(inputs)
        if args.typ == "azuread:index/group:Group":
            outputs["objectId"] = object_id_for(args.name)
        if args.typ == "azuread:index/applicationFromTemplate:ApplicationFromTemplate":
            # As terraform-provider-azuread answers: applicationId is the resource ID, not the client ID.
            oid = object_id_for(args.name)
            outputs.update(applicationObjectId=oid, applicationId=f"/applications/{oid}",
                           servicePrincipalObjectId=object_id_for(args.name + "-sp"))
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "azuread:index/getGroup:getGroup":
            oid = args.args.get("objectId")
            if oid not in self.tenant_groups:
                raise Exception(f"group with object ID {oid} was not found in the tenant")
            return {"objectId": oid, "id": oid, "displayName": f"existing {oid}"}
        if args.token == "azuread:index/getApplication:getApplication":
            oid = args.args.get("objectId")
            return {"objectId": oid, "id": f"/applications/{oid}", "clientId": client_id_for(oid)}
        return {}

    def of_type(self, typ: str) -> list[tuple[str, dict[str, Any]]]:
        return [(name, inputs) for t, name, inputs in self.resources if t == typ]


@pytest.fixture
def pulumi_mocks():
    mocks = BaselineMocks()
    pulumi.runtime.set_mocks(mocks, project="ztb", stack="dev", preview=False)
    yield mocks
    pulumi.runtime.set_all_config({})


def stack_values(path: Path = SAMPLE_STACK) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())["config"]


def referenced_groups(values: dict[str, Any]) -> set[str]:
    ids = {values.get(f"ztb:{k}") for k in GROUP_KEYS}
    ids |= set((values.get("ztb:ringGroupIds") or {}).values())
    ids.add((values.get("ztb:pim") or {}).get("approverGroupId"))
    return {i for i in ids if i}


def run_program(mocks: BaselineMocks, values: dict[str, Any] | None = None, tenant_groups: set[str] | None = None) -> None:
    """Run the real ``__main__.py`` under the mocks with the given stack config values."""
    values = stack_values() if values is None else values
    mocks.tenant_groups = referenced_groups(values) if tenant_groups is None else tenant_groups
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()})

    @pulumi.runtime.test
    def program():
        runpy.run_path(str(REPO / "__main__.py"), run_name="__main__")

    program()


@pytest.fixture(scope="session")
def _sample_run() -> BaselineMocks:
    """The sample stack's program, run once: each run costs Pulumi's engine 1 to 3 s under mocks,
    and a dozen tests only read what the unchanged sample declares."""
    mocks = BaselineMocks()
    pulumi.runtime.set_mocks(mocks, project="ztb", stack="dev", preview=False)
    try:
        run_program(mocks)
    finally:
        pulumi.runtime.set_mocks(BaselineMocks(), project="ztb", stack="dev", preview=False)
        pulumi.runtime.set_all_config({})
    return mocks


@pytest.fixture
def sample_declared(_sample_run: BaselineMocks) -> BaselineMocks:
    """What the unchanged sample stack declares (resources, lookups, imports), as ``run_program``
    leaves it in the mocks; a copy per test, so a test may edit what it reads. A test that runs the
    program itself (another config, a patched component) takes ``pulumi_mocks`` instead."""
    return copy.deepcopy(_sample_run)


def one_error_line(result) -> str:
    """The one `Error:` line of a failed command (exit 1, no traceback); the test reads its words."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def param_id(value: Any) -> str:
    """A parametrized case's ID from its value's repr, without memory addresses (``<Unknown object at
    0x7f..>``): the same in every process, as pytest-xdist requires of its workers' collections."""
    return re.sub(r" object at 0x[0-9a-fA-F]+", "", repr(value))

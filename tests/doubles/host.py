"""The Pulumi SDK's dynamic-provider host, started as the engine starts it, and what the engine sends it.

The engine runs dynamic providers in a separate process, ``<venv python> -u -m pulumi.dynamic
<engine-address>`` with the project as working directory; the process prints its port and serves
the ResourceProvider service. :func:`host` starts that process the same way (one per test module),
:func:`register` captures the Structs the real ``__main__.py`` registers under Pulumi's mocks
(``__provider`` included), and the helpers send Check/Diff/Create/Read/Update/Delete as the engine
does. Shared by every provider-host test module (``from tests.doubles.host import ...``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent import futures
from typing import Any, Iterable, Iterator, Optional

import grpc
import pulumi
import pytest
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2, provider_pb2_grpc

from tests.conftest import REPO, BaselineMocks, run_program
from tests.doubles.graph import TOKEN
from ztb.providers import UNKNOWN

GROUP = "azuread:index/group:Group"

# --------------------------------------------------------------------------- the program's registration


class RecordingMonitor(MockMonitor):
    """The mock monitor, keeping each resource's registered Struct as the engine receives it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: dict[str, tuple[str, struct_pb2.Struct]] = {}

    def RegisterResource(self, request):  # noqa: N802 (gRPC name)
        kept = struct_pb2.Struct()
        kept.CopyFrom(request.object)
        self.registered[request.name] = (request.type, kept)
        return super().RegisterResource(request)


class FreshStackMocks(BaselineMocks):
    """A preview of a stack that holds nothing yet: a group the stack creates has no object ID."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, outputs = super().new_resource(args)
        if args.typ == GROUP:
            outputs.pop("objectId", None)
            return ["", outputs]
        return [resource_id, outputs]


def register(mocks: BaselineMocks, preview: bool, types: Iterable[str],
             values: Optional[dict[str, Any]] = None) -> dict[str, tuple[str, struct_pb2.Struct]]:
    """Each resource of ``types`` the real program registers, by name: its type and input Struct."""
    types = set(types)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="ztb", stack="dev", preview=preview, monitor=monitor)
    try:
        run_program(mocks, values)
    finally:
        pulumi.runtime.set_mocks(BaselineMocks(), project="ztb", stack="dev", preview=False)
        pulumi.runtime.set_all_config({})
    return {name: (typ, s) for name, (typ, s) in monitor.registered.items() if typ in types}


# --------------------------------------------------------------------------- the host process


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine's logging service, for the address the host is started with."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def Log(self, request, context):  # noqa: N802 (gRPC name)
        self.messages.append(request.message)
        return empty_pb2.Empty()


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[str, FakeEngine]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = FakeEngine()
    engine_pb2_grpc.add_EngineServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", servicer
    server.stop(0)


@pytest.fixture(scope="module")
def host(engine, graph_server, tmp_path_factory) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """The SDK's dynamic-provider host, started as the engine starts it; one process per module."""
    address, _ = engine
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZTB_", "PULUMI_"))}
    env.update(ZTB_ACCESS_TOKEN=TOKEN, ZTB_GRAPH_URL=graph_server.url_for("/").rstrip("/"), PULUMI_PROJECT="ztb")
    log = tmp_path_factory.mktemp("host") / "stderr.txt"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic", address], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=stderr)
    try:
        port = proc.stdout.readline().decode().strip()
        assert port.isdigit(), f"the host printed {port!r}, not its port: {log.read_text(errors='replace')}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.Configure(provider_pb2.ConfigureRequest(args=struct_pb2.Struct(), acceptSecrets=True, acceptResources=True))
        yield stub
        channel.close()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


# --------------------------------------------------------------------------- what the engine sends


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine puts them on the wire (pulumi.runtime.rpc, as the host answers)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def plain(s: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as Python values, unknowns kept as the UNKNOWN string (what the proto holds)."""
    return MessageToDict(s)


def with_unknown(s: struct_pb2.Struct, *path: Any) -> struct_pb2.Struct:
    """A copy of ``s`` whose value at ``path`` the engine does not know yet."""
    d = plain(s)
    node = d
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = UNKNOWN
    return to_struct(d)


def edited(s: struct_pb2.Struct, change) -> struct_pb2.Struct:
    d = plain(s)
    change(d)
    return to_struct(d)


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:dev::ztb::{typ}::{name}"


def one(registered: dict[str, tuple[str, struct_pb2.Struct]], typ: str, name: Optional[str] = None) -> tuple[str, struct_pb2.Struct]:
    found = [(n, s) for n, (t, s) in registered.items() if t == typ and (name is None or n == name)]
    assert found, f"the program registered no {typ} {name or ''}"
    return found[0]


def check(host, typ: str, name: str, news: struct_pb2.Struct, olds: Optional[struct_pb2.Struct] = None):
    return host.Check(provider_pb2.CheckRequest(urn=urn(typ, name), type=typ, name=name, olds=olds or struct_pb2.Struct(), news=news))


def diff(host, typ: str, name: str, id_: str, olds: struct_pb2.Struct, news: struct_pb2.Struct):
    return host.Diff(provider_pb2.DiffRequest(id=id_, urn=urn(typ, name), type=typ, name=name, olds=olds, news=news))


def create(host, typ: str, name: str, news: struct_pb2.Struct):
    checked = check(host, typ, name, news)
    assert list(checked.failures) == []
    return host.Create(provider_pb2.CreateRequest(urn=urn(typ, name), type=typ, name=name, properties=checked.inputs))


def update(host, typ: str, name: str, id_: str, olds: struct_pb2.Struct, news: struct_pb2.Struct):
    return host.Update(provider_pb2.UpdateRequest(id=id_, urn=urn(typ, name), type=typ, name=name, olds=olds, news=news))


def read(host, typ: str, name: str, id_: str, properties: Optional[struct_pb2.Struct] = None, inputs: Optional[struct_pb2.Struct] = None):
    return host.Read(provider_pb2.ReadRequest(id=id_, urn=urn(typ, name), type=typ, name=name,
                                              properties=properties or struct_pb2.Struct(), inputs=inputs or struct_pb2.Struct()))


def delete(host, typ: str, name: str, id_: str, properties: struct_pb2.Struct):
    return host.Delete(provider_pb2.DeleteRequest(id=id_, urn=urn(typ, name), type=typ, name=name, properties=properties))


SOME, NONE = provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE

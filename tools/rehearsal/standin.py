"""A stand-in Terraform provider: the real plugin protocol (v6), a served schema, no network.

`python -m tools.rehearsal.standin SCHEMA.json` serves the provider whose schema the file
holds (the `providers schema -json` shape, from `binding_schema` or a reviewed reference).
Terraform or OpenTofu launch it like any provider: a go-plugin handshake on stdout, gRPC over
a Unix socket with TLS. Plan and apply follow `values`; a few resources also do, on the deploy
machine, what the real provider does there, because the next stack depends on it:

- `kind_cluster` writes a kubeconfig to `kubeconfig_path` and reports a loopback endpoint
  on a port of its own (as `kind` publishes each cluster's API server);
- `data.kubernetes_secret_v1` returns what a vcluster writes into its `vc-<name>` Secret: a
  kubeconfig under `config`, whose server is reached through the host the provider talks to,
  and its CA, client certificate and client key as PEM under `certificate-authority`,
  `client-certificate` and `client-key` (vcluster's pkg/util/kubeconfig; placeholders);
- `local_file`/`local_sensitive_file` write, read back and delete their file, with its mode;
- a kubernetes or helm provider refuses a `config_path` that does not exist, or a context
  the file does not have (as the real ones do once they first talk to the cluster), so a
  missing hand-over file fails the plan;
- `data.kubernetes_resource`, when $STANDIN_CLUSTER_OBJECTS names a listing of the objects
  each cluster has, finds only those on the cluster the provider talks to, and answers
  anything else as the real provider answers an object that is not there (see
  `_not_there`); without a listing, every object it reads is there.

Every resource is replaced (deleted, then created anew) when an argument changes that makes
the real provider replace it, and updated in place otherwise: `replacements.REPLACING` holds
those arguments, from each provider's source.

A kubernetes or helm provider talks to the API server of the context it is configured with,
read from the kubeconfig as the real ones read it; the journal records that server and the
object (`namespace/name`) with each change, so the rehearsal can tell which cluster holds what.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import msgpack
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tf.gen import grpc_controller_pb2 as controller_pb
from tf.gen import grpc_controller_pb2_grpc as controller_rpc
from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

from tools.rehearsal.replacements import AttributePath, replaced_paths
from tools.rehearsal.values import UNKNOWN, deterministic_filler, fill, plan, seed_of

#: Where the stand-ins record every change they apply (the rehearsal reads it for ordering).
JOURNAL_ENV = "STANDIN_JOURNAL"
#: A JSON file of the objects each cluster already has (API server -> a list of
#: `{api_version, kind, name, namespace}`), for `data.kubernetes_resource`; unset: every
#: object it reads is there, as before.
CLUSTER_OBJECTS_ENV = "STANDIN_CLUSTER_OBJECTS"

_NESTING = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}


# --- schema ---------------------------------------------------------------------------


def _attribute_pb(name: str, spec: dict[str, Any]) -> pb.Schema.Attribute:
    fields: dict[str, Any] = {
        "name": name,
        "required": bool(spec.get("required")),
        "optional": bool(spec.get("optional")),
        "computed": bool(spec.get("computed")),
        "sensitive": bool(spec.get("sensitive")),
    }
    if "nested_type" in spec:
        nested = spec["nested_type"]
        fields["nested_type"] = pb.Schema.Object(
            attributes=[_attribute_pb(n, a) for n, a in sorted(nested["attributes"].items())],
            nesting=_NESTING[nested["nesting_mode"]],
        )
    else:
        fields["type"] = json.dumps(spec["type"]).encode()
    return pb.Schema.Attribute(**fields)


def _block_pb(block: dict[str, Any]) -> pb.Schema.Block:
    return pb.Schema.Block(
        attributes=[_attribute_pb(n, a) for n, a in sorted(block.get("attributes", {}).items())],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=name,
                block=_block_pb(nested["block"]),
                nesting=_NESTING[nested["nesting_mode"]],
                min_items=nested.get("min_items", 0),
                max_items=nested.get("max_items", 0),
            )
            for name, nested in sorted(block.get("block_types", {}).items())
        ],
    )


def _schema_pb(entry: dict[str, Any]) -> pb.Schema:
    return pb.Schema(version=entry.get("version", 0), block=_block_pb(entry["block"]))


# --- values on the wire -----------------------------------------------------------------


def _decode(value: pb.DynamicValue) -> Any:
    if value.json:
        return json.loads(value.json)
    if not value.msgpack:
        return None

    def ext_hook(code: int, data: bytes) -> Any:
        return UNKNOWN if code == 0 else msgpack.ExtType(code, data)

    return msgpack.unpackb(value.msgpack, ext_hook=ext_hook, strict_map_key=False)


def _encode(value: Any) -> pb.DynamicValue:
    def default(obj: Any) -> Any:
        if obj is UNKNOWN:
            return msgpack.ExtType(0, b"\x00")
        raise TypeError(f"cannot encode {obj!r}")

    return pb.DynamicValue(msgpack=msgpack.packb(value, default=default))


def _attribute_path(path: AttributePath) -> pb.AttributePath:
    return pb.AttributePath(
        steps=[
            pb.AttributePath.Step(element_key_int=step)
            if isinstance(step, int)
            else pb.AttributePath.Step(attribute_name=step)
            for step in path
        ]
    )


def _error(summary: str, detail: str = "") -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)


# --- what a few resources do on the deploy machine --------------------------------------


def _kubeconfig(server: str, name: str) -> str:
    """A kubeconfig as a cluster would hand it over (credentials are placeholders)."""
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: {server}\n"
        f"users:\n- name: {name}\n  user:\n    token: stand-in\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        f"current-context: {name}\n"
    )


def _write_private(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)


def _local_file_state(state: dict[str, Any]) -> dict[str, Any]:
    content = state.get("content")
    if content is None and state.get("content_base64"):
        content = base64.b64decode(state["content_base64"]).decode()
    data = (content or "").encode()
    digests = {
        "content_md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "content_sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        "content_sha256": hashlib.sha256(data).hexdigest(),
        "content_sha512": hashlib.sha512(data).hexdigest(),
        "content_base64sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "content_base64sha512": base64.b64encode(hashlib.sha512(data).digest()).decode(),
    }
    state = state | {k: v for k, v in digests.items() if k in state}
    state["id"] = digests["content_sha1"]
    for key in ("file_permission", "directory_permission"):
        if state.get(key) is UNKNOWN or state.get(key) is None:
            state[key] = "0777"
    _write_private(Path(state["filename"]), content or "", int(state["file_permission"], 8))
    return state


def kind_api_server(cluster_name: str) -> str:
    """The loopback endpoint of a KIND cluster's API server: a port of its own per cluster."""
    digest = hashlib.sha256(cluster_name.encode()).digest()
    return f"https://127.0.0.1:{32768 + int.from_bytes(digest[:2], 'big') % 28000}"


def vcluster_api_server(host_server: str, namespace: str, name: str) -> str:
    """A vcluster's API server, reached through the host it runs on (so what a team stack
    creates inside it is held by that host)."""
    return f"{host_server}/vclusters/{namespace}/{name}"


def _applied(type_name: str, planned: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    if type_name in ("local_file", "local_sensitive_file"):
        planned = _local_file_state(planned)
    if type_name == "kind_cluster":
        name = planned["name"]
        server = kind_api_server(name)
        config = _kubeconfig(server, f"kind-{name}")
        planned = planned | {"endpoint": server, "kubeconfig": config, "completed": True}
        if isinstance(planned.get("kubeconfig_path"), str):
            _write_private(Path(planned["kubeconfig_path"]), config, 0o600)
        else:
            planned["kubeconfig_path"] = str(Path.home() / ".kube" / "config")
    return fill(block, planned, deterministic_filler(seed_of(type_name, planned)))


def _destroyed(type_name: str, prior: dict[str, Any]) -> None:
    if type_name in ("local_file", "local_sensitive_file"):
        Path(prior["filename"]).unlink(missing_ok=True)
    if type_name == "kind_cluster" and isinstance(prior.get("kubeconfig_path"), str):
        Path(prior["kubeconfig_path"]).unlink(missing_ok=True)


def _still_there(type_name: str, state: dict[str, Any]) -> bool:
    if type_name in ("local_file", "local_sensitive_file"):
        return Path(state["filename"]).is_file()
    return True


#: The credentials a vcluster writes beside its kubeconfig: Secret key -> PEM block type.
_CREDENTIALS = {
    "certificate-authority": "CERTIFICATE",
    "client-certificate": "CERTIFICATE",
    "client-key": "EC PRIVATE KEY",
}


def _pem(label: str, what: str) -> str:
    """A PEM block of `label` whose body is a placeholder naming `what` (not a real key)."""
    body = base64.b64encode(f"stand-in {what}".encode()).decode()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _data_source(
    type_name: str, config: dict[str, Any], block: dict[str, Any], cluster: str | None
) -> dict[str, Any]:
    state = plan(block, config)
    if type_name == "kubernetes_secret_v1":
        (metadata,) = config["metadata"]
        name = metadata.get("name") or "secret"
        namespace = metadata.get("namespace")
        server = (
            vcluster_api_server(cluster, namespace, name)
            if cluster is not None and isinstance(namespace, str)
            else f"https://{name}.stand-in:443"
        )
        state["data"] = {"config": _kubeconfig(server, name)} | {
            key: _pem(label, f"{namespace}/{name} {key}") for key, label in _CREDENTIALS.items()
        }
        state["binary_data"] = state.get("binary_data") or {}
    return fill(block, state, deterministic_filler(seed_of(type_name, config)))


def cluster_object(
    api_version: str, kind: str, name: str, namespace: str | None = None
) -> dict[str, str | None]:
    """One object as the listing of $STANDIN_CLUSTER_OBJECTS names it."""
    return {"api_version": api_version, "kind": kind, "name": name, "namespace": namespace}


class ListingError(Exception):
    """$STANDIN_CLUSTER_OBJECTS names a file that is not there."""


def _not_there(type_name: str, config: dict[str, Any], cluster: str | None) -> bool:
    """The object a `data.kubernetes_resource` reads is not on `cluster`, by the listing.

    The real provider (kubernetes 2.38.0, manifest/provider/datasource.go) answers a read
    whose GET is NotFound with no state and no diagnostic; the engine then fails the read
    itself ("Provider produced null object ... for data.kubernetes_resource.<name>"). So a
    stand-in that does not find the object answers the same, and the engine says the rest.
    """
    listing = os.environ.get(CLUSTER_OBJECTS_ENV)
    if type_name != "kubernetes_resource" or not listing:
        return False
    path = Path(listing)
    if not path.is_file():
        raise ListingError(f"stand-in: the cluster objects listing {listing} does not exist")
    objects = json.loads(path.read_text(encoding="utf-8")).get(cluster or "", [])
    (metadata,) = config["metadata"]
    wanted = cluster_object(
        config["api_version"], config["kind"], metadata["name"], metadata.get("namespace")
    )
    return wanted not in objects


def _cluster_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The kubeconfig settings of a kubernetes provider, or of a helm provider's `kubernetes`."""
    nested = config.get("kubernetes")
    return nested if isinstance(nested, dict) else config


def _config_path_problem(config: dict[str, Any]) -> str | None:
    """A kubeconfig the provider is pointed at, but which is not on this machine."""
    path = _cluster_settings(config).get("config_path")
    if isinstance(path, str) and not Path(path).expanduser().is_file():
        return path
    return None


class MissingContextError(Exception):
    """The provider names a context its kubeconfig does not have."""


def cluster_of(config: dict[str, Any]) -> str | None:
    """The API server a kubernetes or helm provider talks to: the cluster of its
    `config_context` (else the file's current context) in its `config_path`; None when it
    has no kubeconfig (or it is not known yet, in a plan)."""
    settings = _cluster_settings(config)
    path = settings.get("config_path")
    if not isinstance(path, str):
        return None
    kubeconfig = yaml.safe_load(Path(path).expanduser().read_text(encoding="utf-8")) or {}
    wanted = settings.get("config_context")
    context = wanted if isinstance(wanted, str) else kubeconfig.get("current-context")
    contexts = {c["name"]: c["context"] for c in kubeconfig.get("contexts") or []}
    clusters = {c["name"]: c["cluster"] for c in kubeconfig.get("clusters") or []}
    if context not in contexts or contexts[context].get("cluster") not in clusters:
        raise MissingContextError(f"stand-in: context {context!r} is not in kubeconfig {path}")
    return str(clusters[contexts[context]["cluster"]]["server"])


def _object_of(type_name: str, state: Any) -> str | None:
    """`namespace/name` (or `name`) of the Kubernetes object or Helm release a state is."""
    if not isinstance(state, dict):
        return None
    if type_name == "helm_release":
        where = state
    elif type_name.startswith("kubernetes_") and state.get("metadata"):
        where = state["metadata"][0]
    else:
        return None
    name, namespace = where.get("name"), where.get("namespace")
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else str(name)


def _journal(type_name: str, prior: Any, planned: Any, cluster: str | None) -> None:
    """One line per change in $STANDIN_JOURNAL: which stack (the working directory) did what,
    and, for a Kubernetes object, to which object on which cluster."""
    journal = os.environ.get(JOURNAL_ENV)
    if not journal:
        return
    action = "create" if prior is None else "delete" if planned is None else "update"
    entry = {"stack": Path.cwd().name, "type": type_name, "action": action}
    target = _object_of(type_name, planned if planned is not None else prior)
    if cluster is not None and target is not None:
        entry |= {"cluster": cluster, "object_name": target}
    line = json.dumps(entry)
    # One short O_APPEND write per line: concurrent providers never interleave within a line.
    descriptor = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode())
    finally:
        os.close(descriptor)


# --- the service ------------------------------------------------------------------------


def schema_response(schema: dict[str, Any]) -> pb.GetProviderSchema.Response:
    """The schema as the plugin protocol serves it."""
    return pb.GetProviderSchema.Response(
        provider=_schema_pb(schema["provider"]),
        resource_schemas={n: _schema_pb(e) for n, e in schema.get("resource_schemas", {}).items()},
        data_source_schemas={
            n: _schema_pb(e) for n, e in schema.get("data_source_schemas", {}).items()
        },
        server_capabilities=pb.ServerCapabilities(plan_destroy=True),
    )


def compiled_schema(schema_file: Path) -> Path:
    """Where `schema_response` of a schema file is kept, serialized: building it takes a third
    of a second for kubernetes, and a rehearsal starts its providers hundreds of times."""
    return schema_file.with_suffix(".pb")


class StandInProvider(rpc.ProviderServicer):  # type: ignore[misc]
    def __init__(
        self, schema: dict[str, Any], response: pb.GetProviderSchema.Response | None = None
    ) -> None:
        self.schema = schema
        #: The API server this provider talks to, once configured with a kubeconfig.
        self.cluster: str | None = None
        self.resources = schema.get("resource_schemas", {})
        self.data_sources = schema.get("data_source_schemas", {})
        self.response = response if response is not None else schema_response(schema)

    def GetMetadata(self, request: Any, context: Any) -> Any:
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.resources],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.data_sources
            ],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        return self.response

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        config = _decode(request.config) or {}
        missing = _config_path_problem(config)
        if missing is not None:
            return pb.ConfigureProvider.Response(
                diagnostics=[_error(f"stand-in: kubeconfig {missing} does not exist")]
            )
        try:
            self.cluster = cluster_of(config)
        except MissingContextError as err:
            return pb.ConfigureProvider.Response(diagnostics=[_error(str(err))])
        return pb.ConfigureProvider.Response()

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        state = json.loads(request.raw_state.json) if request.raw_state.json else None
        return pb.UpgradeResourceState.Response(upgraded_state=_encode(state))

    def ReadResource(self, request: Any, context: Any) -> Any:
        state = _decode(request.current_state)
        if state is not None and not _still_there(request.type_name, state):
            state = None
        return pb.ReadResource.Response(new_state=_encode(state), private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        proposed = _decode(request.proposed_new_state)
        if proposed is None:
            return pb.PlanResourceChange.Response(planned_state=_encode(None))
        block = self.resources[request.type_name]["block"]
        planned = plan(block, proposed)
        prior = _decode(request.prior_state)
        replaced = replaced_paths(request.type_name, block, prior, planned)
        return pb.PlanResourceChange.Response(
            planned_state=_encode(planned),
            requires_replace=[_attribute_path(path) for path in replaced],
        )

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        planned = _decode(request.planned_state)
        prior = _decode(request.prior_state)
        _journal(request.type_name, prior, planned, self.cluster)
        if planned is None:
            if prior is not None:
                _destroyed(request.type_name, prior)
            return pb.ApplyResourceChange.Response(new_state=_encode(None))
        block = self.resources[request.type_name]["block"]
        state = _applied(request.type_name, planned, block)
        return pb.ApplyResourceChange.Response(new_state=_encode(state))

    def ImportResourceState(self, request: Any, context: Any) -> Any:
        return pb.ImportResourceState.Response(
            diagnostics=[_error("stand-in providers do not import")]
        )

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        config = _decode(request.config)
        try:
            if _not_there(request.type_name, config, self.cluster):
                return pb.ReadDataSource.Response()
        except ListingError as err:
            return pb.ReadDataSource.Response(diagnostics=[_error(str(err))])
        block = self.data_sources[request.type_name]["block"]
        state = _data_source(request.type_name, config, block, self.cluster)
        return pb.ReadDataSource.Response(state=_encode(state))

    def StopProvider(self, request: Any, context: Any) -> Any:
        return pb.StopProvider.Response()


# --- go-plugin plumbing -----------------------------------------------------------------


def _certificate() -> tuple[bytes, bytes, bytes]:
    """A throw-away self-signed server certificate: (DER, PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        cert.public_bytes(serialization.Encoding.DER),
        cert.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


class _Controller(controller_rpc.GRPCControllerServicer):  # type: ignore[misc]
    def __init__(self, stop: Any) -> None:
        self.stop = stop

    def Shutdown(self, request: Any, context: Any) -> Any:
        self.stop()
        return controller_pb.Empty()


class _Stdio(stdio_rpc.GRPCStdioServicer):  # type: ignore[misc]
    def StreamStdio(self, request: Any, context: Any) -> Any:
        return iter(())


def serve(schema: dict[str, Any], response: pb.GetProviderSchema.Response | None = None) -> None:
    stopped = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc.add_ProviderServicer_to_server(StandInProvider(schema, response), server)
    controller_rpc.add_GRPCControllerServicer_to_server(_Controller(stopped.set), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(_Stdio(), server)
    der, cert_pem, key_pem = _certificate()
    with tempfile.TemporaryDirectory(prefix="standin-") as tmp:
        socket = f"{tmp}/plugin.sock"
        credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        server.add_secure_port(f"unix://{socket}", credentials)
        server.start()
        certificate = base64.b64encode(der).decode().rstrip("=")
        print(f"1|6|unix|{socket}|grpc|{certificate}", flush=True)
        stopped.wait()
        server.stop(grace=0.2)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.rehearsal.standin SCHEMA.json", file=sys.stderr)
        return 2
    schema_file = Path(argv[0])
    compiled = compiled_schema(schema_file)
    response = (
        pb.GetProviderSchema.Response.FromString(compiled.read_bytes())
        if compiled.is_file()
        else None
    )
    serve(json.loads(schema_file.read_text(encoding="utf-8")), response)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

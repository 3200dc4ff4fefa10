"""The local sandbox: moto's server with the models and patches of this package.

- :func:`apply` registers the CloudFormation models (:mod:`.eks`, :mod:`.ec2_iam`),
  installs the patches (:mod:`.patches`, :mod:`.ssm_public`) and clears moto's cached
  type map; idempotent, and everything it does is class-level, so it survives
  ``POST /moto-api/reset``. Given delays, it also installs the time-scaled mode
  (:mod:`.timeline`), last, around everything else.
- :func:`start` runs moto's ``ThreadedMotoServer`` in this process (port 0 picks a
  free port) and returns the server and its endpoint URL. A pytest fixture can start it
  once per session and call :func:`reset` between tests.
- :func:`serve_forever` is the command line: prints the environment to use and serves
  in the foreground until Ctrl-C, then exits 0.
"""

from __future__ import annotations

import errno
import importlib
import signal
import socket
import sys
import threading
import urllib.request
import warnings
from types import FrameType
from typing import TYPE_CHECKING

from eks_templates.errors import UserError

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

    from eks_templates.sandbox.timeline import Delays

#: Port of ``python -m eks_templates.sandbox`` when none is given (moto_server's default).
DEFAULT_PORT = 5000
#: Region printed in the environment hints.
DEFAULT_REGION = "ap-northeast-2"

_lock = threading.Lock()
_applied = False


def apply(delays: Delays | None = None) -> None:
    """Register the sandbox's CloudFormation models and install its moto patches (idempotent).

    With ``delays``, also the time-scaled mode (:mod:`.timeline`): successful creates take
    the table's time divided by its factor."""
    _apply()
    if delays is not None:
        from eks_templates.sandbox import timeline

        timeline.enable(delays)


def _apply() -> None:
    global _applied
    with _lock:
        from moto.cloudformation import parsing

        from eks_templates.sandbox import (
            addon_config,
            changes,
            drift,
            ec2_iam,
            ec2_rules,
            eks,
            eks_api,
            eks_updates,
            iam_managed_policies,
            patches,
            pod_identity,
            refusals,
            resource_status,
            revert_drift,
            rollback,
            ssm_public,
            stack_identity,
        )

        if not _applied:
            patches.install()
            refusals.install()
            ec2_rules.install()  # wraps the security-group create refusals.install() wrapped
            changes.install()
            rollback.install()  # outermost: wraps the hooks the two above installed
            stack_identity.install()  # ParentId/RootId, tags and LastUpdatedTime; wraps rollback's execute
            ssm_public.install()
            eks.install_access_entry_api()
            pod_identity.install_api()
            iam_managed_policies.install()
            addon_config.install_api()
            ec2_iam.install_role_policy_json()
            eks_api.install()
            resource_status.install()  # each resource's own status, from rollback's events
            drift.install()
            revert_drift.install()  # DeploymentMode REVERT_DRIFT; reads what drift.py reads
            eks_updates.install()
            _applied = True
        # moto builds its type map once from CloudFormationModel.__subclasses__() and caches
        # it; our classes exist now (their modules are imported above), so rebuild the map.
        parsing.get_model_list.cache_clear()
        parsing.get_model_map.cache_clear()
        parsing.get_name_type_map.cache_clear()
        type_map = parsing.get_model_map()
        for model in (*eks.MODELS, *ec2_iam.MODELS, *pod_identity.MODELS):
            registered = type_map.get(model.cloudformation_type())
            if registered is not model:
                raise RuntimeError(f"{model.cloudformation_type()} maps to {registered}, not to {model}")


def _check_port_free(port: int) -> None:
    """moto's ThreadedMotoServer waits forever when its port is taken; fail early instead."""
    if port == 0:
        return
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
        probe.bind(("127.0.0.1", port))
    except OSError as exc:
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise UserError(f"port {port} {reason}; choose another with --port") from None
    finally:
        probe.close()


#: what to install when the sandbox's dependencies are missing (pyproject.toml's ``sandbox`` extra)
INSTALL_HINT = "pip install 'eks-templates[sandbox]'"


def require_server() -> None:
    """Refuse in one line, naming the extra to install, when moto's server (and what it
    needs: Flask, Werkzeug, ...) is not installed: those are the ``sandbox`` extra, not
    dependencies of the package itself."""
    try:
        # the models apply() registers into; ThreadedMotoServer (Flask, Werkzeug, flask-cors)
        with warnings.catch_warnings():  # moto warns "install moto[server]" on stderr first; we say it in one line
            warnings.simplefilter("ignore")
            for module in ("moto.cloudformation.parsing", "moto.server"):
                importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if not missing or missing == "eks_templates":  # our own module missing is a bug, not an extra
            raise
        raise UserError(f"the sandbox needs moto's server, and {missing!r} is not installed; "
                        f"install the sandbox's dependencies with: {INSTALL_HINT}") from None


def start(port: int = 0, delays: Delays | None = None) -> tuple[ThreadedMotoServer, str]:
    """Start moto's server on 127.0.0.1 (``port`` 0: a free one) with the sandbox applied
    (and, with ``delays``, its time-scaled mode).

    Returns ``(server, endpoint_url)``; the URL says ``localhost`` because moto reads a
    ``127.0.0.1`` host as an S3 bucket name. Stop the server with ``server.stop()``.
    """
    require_server()
    from moto.server import ThreadedMotoServer

    apply(delays)
    _check_port_free(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _, actual_port = server.get_host_and_port()
    return server, f"http://localhost:{actual_port}"


def reset(endpoint_url: str) -> None:
    """Empty every moto backend of the server at ``endpoint_url`` (models and patches stay)."""
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}/moto-api/reset", method="POST", data=b"")
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
    with direct.open(request, timeout=30) as response:
        response.read()


def mode_lines(delays: Delays | None, source: str | None = None) -> list[str]:
    """What the sandbox says first about its time-scaled mode (nothing when it is off)."""
    if delays is None:
        return []
    table = f" from {source}" if source else ""
    return [f"time-scaled mode: on, factor {delays.factor:g} (creation times{table} divided by {delays.factor:g}; "
            f"a {delays.duration('AWS::EKS::Cluster'):g} s AWS::EKS::Cluster takes "
            f"{delays.duration('AWS::EKS::Cluster') / delays.factor:g} s); failed creates and updates stay instant"]


def _hints(endpoint_url: str, delays: Delays | None = None, source: str | None = None) -> str:
    return "\n".join(
        [
            *mode_lines(delays, source),
            f"eks-templates sandbox (moto) listening on {endpoint_url}",
            "Point the AWS CLI, boto3 and eks-templates at it (fake credentials are fine):",
            f"export AWS_ENDPOINT_URL={endpoint_url}",
            "export AWS_ACCESS_KEY_ID=testing",
            "export AWS_SECRET_ACCESS_KEY=testing",
            f"export AWS_DEFAULT_REGION={DEFAULT_REGION}",
            f"Reset all state: curl -X POST {endpoint_url}/moto-api/reset",
            "Press Ctrl-C to stop.",
        ]
    )


def serve_forever(port: int = DEFAULT_PORT, delays: Delays | None = None, delays_source: str | None = None) -> int:
    """Serve in the foreground until Ctrl-C (or SIGTERM); returns the exit status, 0.
    ``delays``: the time-scaled mode (``delays_source``: the file it came from, for the first line)."""
    server, endpoint_url = start(port, delays)
    print(_hints(endpoint_url, delays, delays_source), flush=True)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:  # a SIGINT that arrived before our handler was in place
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    print("sandbox stopped", file=sys.stderr, flush=True)
    return 0

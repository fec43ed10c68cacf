import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

from common.task_queue import STOP_SIGNAL
from common.work_queue import release_claims_of_gone_workers

# Within what systemd and `make run` allow (10 s) before they kill.
STOP_SECONDS = 8
PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = (
        "Start the task cluster (django-q2) and stop it within 8 s when asked (SIGTERM or "
        "Ctrl-C, to this process or its whole group): workers finish the item in hand and "
        "release what they claimed and have not begun; claims of this host's processes that "
        "are gone are taken up as soon as a cluster starts."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cluster", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, cluster: bool, **options: Any) -> None:
        if cluster:
            run_cluster()
        else:
            supervise()


def supervise() -> None:
    """Run the cluster in its own session, out of reach of signals sent to our group (which
    would kill its sentinel and workers outright and leave its main process hanging), and
    stop it in order."""
    release_claims_of_gone_workers()
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # Ignored by every process of the cluster (inherited), except its workers, which listen.
    signal.signal(STOP_SIGNAL, signal.SIG_IGN)
    cluster = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster", "--cluster"],
        start_new_session=True,
        preexec_fn=stop_when_parent_dies(os.getpid()),
    )
    while not stopping and cluster.poll() is None:
        time.sleep(0.2)
    if cluster.poll() is None:
        stop(cluster)
    release_claims_of_gone_workers()
    if not stopping:
        sys.exit(f"The task cluster exited with {cluster.returncode}")


def stop_when_parent_dies(parent: int) -> Any:
    """If this supervisor is killed outright, the cluster is asked to stop (SIGTERM), not
    left running on its own."""

    def arrange() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # died before the line above
            os._exit(1)

    return arrange


def stop(cluster: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        cluster.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        cluster.wait(timeout=STOP_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(cluster.pid, signal.SIGKILL)  # what is left of it, workers included
    cluster.wait()


def run_cluster() -> None:
    """django-q2's cluster, whose workers are told to stop taking work when it stops."""
    signal.signal(STOP_SIGNAL, signal.SIG_IGN)  # inherited: only the workers listen
    cluster = Cluster()

    def stop_in_order(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(0, STOP_SIGNAL)  # our group: workers listen, the rest ignore it
        cluster.sig_handler(signum, frame)

    signal.signal(signal.SIGTERM, stop_in_order)
    signal.signal(signal.SIGINT, stop_in_order)
    cluster.start()

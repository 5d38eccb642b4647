"""`weibao serve --workers N`: N uvicorn processes, each with its own listening socket.

Each worker binds the port itself with SO_REUSEPORT, so the kernel spreads new connections
evenly over the workers. With one socket shared by all workers (uvicorn's own multiprocess
mode), the first event loop to wake accepts every connection waiting (asyncio accepts up to
the backlog per wake-up) and serves them one after another while another worker idles:
bench/bench_workers.py measured 1.13-1.16x for 2 workers, the two workers' CPU shares 0.95
and 0.47.

The supervisor (this process) starts the workers, starts a new one when one dies (kill -9,
a crash), and on SIGTERM or SIGINT stops them all and waits for them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger("weibao.serve")

APP_FACTORY = "weibao.bootstrap:create_web_app"
BACKLOG = 2048
STOP_SECONDS = 60  # a worker finishing its requests and writing a last index snapshot
RESPAWN_PAUSE = 1.0  # between replacements of a worker that keeps dying at start-up


class PortInUseError(OSError):
    """Something else listens on the host and port already."""


def check_port_free(host: str, port: int) -> None:
    """Binds without SO_REUSEPORT once: fails when anything holds the port, including another
    `weibao serve` (whose workers would otherwise share it with ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUseError(exc.errno, f"{host}:{port} is in use ({exc.strerror})") from exc


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def run_worker(host: str, port: int, log_level: str) -> None:
    """One worker process: its own socket, the web app, until SIGTERM/SIGINT."""
    import uvicorn

    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, log_level=log_level,
                            backlog=BACKLOG)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


class Supervisor:
    def __init__(self, count: int, host: str, port: int, log_level: str = "info") -> None:
        self.count = count
        self.host = host
        self.port = port
        self.log_level = log_level
        self.processes: list[BaseProcess] = []
        self._stopping = False
        self._context = multiprocessing.get_context("spawn")  # no state copied from here

    def _start_one(self) -> BaseProcess:
        process = self._context.Process(
            target=run_worker, args=(self.host, self.port, self.log_level), name="weibao-worker"
        )
        process.start()
        log.info("started worker %s", process.pid)
        return process

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> None:
        check_port_free(self.host, self.port)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        self.processes = [self._start_one() for _ in range(self.count)]
        while not self._stopping:
            time.sleep(0.2)
            for i, process in enumerate(self.processes):
                if not self._stopping and not process.is_alive():
                    log.warning("worker %s exited (%s): starting another", process.pid, process.exitcode)
                    process.join()
                    time.sleep(RESPAWN_PAUSE if process.exitcode not in (0, -signal.SIGKILL) else 0)
                    if not self._stopping:
                        self.processes[i] = self._start_one()
        self.shutdown()

    def shutdown(self) -> None:
        """SIGTERM to every worker (each finishes its requests and writes a last snapshot),
        then SIGKILL to any still running after STOP_SECONDS."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):  # exited meanwhile
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()

"""Run the workbench: bind the address first (a busy port is an error naming the fix).

Then it serves the app with uvicorn until Ctrl-C (in the foreground) or :meth:`Workbench.stop` (in a
thread: tests and benchmarks).
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import uvicorn

from geo.errors import ServeError
from geo.serve.app import allowed_hosts, create_app, is_loopback
from geo.serve.session import Session

__all__ = ["Workbench", "bind", "check_token"]


def check_token(token: str | None) -> None:
    """Refuse an access token that could be guessed or that breaks the address.

    The message never repeats it: a token is not written anywhere but the printed address.

    Parameters
    ----------
    token : str or None
        The token asked for (``--token``); None: none asked for.

    Raises
    ------
    ServeError
        If the token is shorter than 16 or longer than 200 characters, or holds anything
        but letters, digits, ``-`` and ``_``.
    """
    if token is not None and not 16 <= len(token) <= 200:
        raise ServeError(f"--token must be 16 to 200 characters (letters, digits, - and _), "
                         f"so that it cannot be guessed; this one has {len(token)}: give a "
                         "longer one, or leave --token out to get a random one")
    if token is not None and not all(c.isascii() and (c.isalnum() or c in "-_")
                                     for c in token):
        raise ServeError("--token may hold letters, digits, - and _ only (it goes into the "
                         "address): give another, or leave --token out to get a random one")


def bind(host: str, port: int) -> socket.socket:
    """Return a listening socket on ``host``:``port`` (0: a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto named: asyncio sets TCP_NODELAY only on connections of an IPPROTO_TCP socket;
    # without it each answer's body waits for the browser's delayed ACK (40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections made before the server starts wait in the queue
    except OSError as e:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port} ({e.strerror}): another program "
                         "may use the port; pick another with --port N (0: any free port), "
                         "or check --host") from e
    return sock


class Workbench:
    """The workbench server of a session, bound when made.

    Parameters
    ----------
    session : Session
    host : str
        Address to listen on (loopback by default: nothing outside this computer).
    port : int
        Port (0: any free port; :attr:`url` says which).
    out_dir : Path, optional
        Where exports are written.
    extra_hosts : iterable of str
        Further ``Host`` names to answer (e.g. this computer's name on the network).
    source : str
        The study as the user named it.
    token : str, optional
        The access token every request must carry. Listening beyond this computer
        (``host`` not a loopback address) always needs one: a random one is made when
        none is given (:attr:`url` carries it).
    warm : bool
        Make the site suggestions' matrices in the background at start.
    """

    def __init__(self, session: Session, host: str = "127.0.0.1", port: int = 8765, *,
                 out_dir: Path | None = None, extra_hosts: Iterable[str] = (),
                 source: str = "STUDY", token: str | None = None, warm: bool = False) -> None:
        self.host, self.session = host, session
        check_token(token)
        if token is None and not is_loopback(host):
            token = secrets.token_urlsafe(18)
        self.token = token
        self.sock = bind(host, port)
        self.port = int(self.sock.getsockname()[1])
        self.app = create_app(session, allowed=allowed_hosts(host, self.port, extra_hosts),
                              out_dir=out_dir, source=source, token=token)
        if warm and session.study is not None:
            session.suggester.warm()
        config = uvicorn.Config(self.app, log_level="warning", access_log=False,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The address a browser opens (loopback when bound to every address)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/{query}"

    def run(self) -> None:
        """Serve until Ctrl-C (uvicorn finishes open requests, then returns)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def start(self, timeout_s: float = 30.0) -> str:
        """Serve in a background thread; returns the URL once it answers."""
        self._thread = threading.Thread(target=self.run, name="geo-serve", daemon=True)
        self._thread.start()
        end = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > end or not self._thread.is_alive():
                raise ServeError(f"the workbench did not start on {self.url}")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Stop a server started with :meth:`start`."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

"""A QMP client: one JSON command per line on QEMU's monitor socket, events
set aside while waiting for the reply."""

import json
import socket
import time
from pathlib import Path


class QmpError(Exception):
    pass


class Qmp:
    def __init__(self, path: Path, proc, timeout=15.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except OSError as e:
                self.sock.close()
                if proc.poll() is not None:
                    raise QmpError(f"QEMU exited with status {proc.returncode} before its QMP "
                                   f"socket {path} accepted a connection")
                if time.monotonic() > deadline:
                    raise QmpError(f"cannot connect to QMP socket {path}: {e}")
                time.sleep(0.05)
        self.sock.settimeout(30)
        self.reader = self.sock.makefile("rb")
        self.events = []
        self._recv()                       # greeting
        self.cmd("qmp_capabilities")

    def _recv(self):
        try:
            line = self.reader.readline()
        except OSError as e:
            raise QmpError(f"QMP connection lost: {e}")
        if not line:
            raise QmpError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as e:
            raise QmpError(f"{name}: QMP connection lost: {e}")
        while True:
            reply = self._recv()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise QmpError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def qom_path(path):
    """A QOM path as the guest names it: absolute, or a device id under /machine/peripheral."""
    return path if path.startswith("/") else f"/machine/peripheral/{path}"


def parse_value(text):
    """A qom-set value from the guest: JSON if it parses (true, 5000), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def json_text(value):
    """A QMP value as one reply text: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)

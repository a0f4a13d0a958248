"""A real SMTP server on loopback for echeancier's tests (aiosmtpd).

Prints "PORT <n>" once listening, then serves until its standard input
closes. Lines on standard input switch an outage on or off, for every
message: "outage 451" answers 451 at DATA, "outage off" ends it; each is
acknowledged with "OK" on standard output. Each accepted message is written to DIR/<n>.eml, preceded by an
"X-Envelope-To:" line. Recipients drive failures, so a test can ask for them:
  reject...@        -> 550 at RCPT (permanent)
  bounce...@        -> 550 at RCPT, repeating the address in the reply
  tempfail...@      -> 451 at DATA for the first two attempts of a message
"""

import argparse
import asyncio
import os
import re
import sys
import threading

import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class NoDelaySMTP(SMTP):
    """Replies leave at once: without TCP_NODELAY, multi-line replies wait
    for the client's delayed ACK and every message costs about 40 ms."""

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


class NoDelayController(Controller):
    def factory(self):
        return NoDelaySMTP(self.handler, **self.SMTP_kwargs)


class Capture:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.attempts = {}
        self.lock = threading.Lock()
        self.outage = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 Mailbox unavailable"
        if address.lower().startswith("bounce"):
            # As many servers do: the refusal repeats the address.
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        match = re.search(rb"(?im)^Message-ID:\s*(\S+)", content)
        message_id = match.group(1).decode() if match else ""
        if self.outage:
            return "%s 4.3.2 Service temporarily unavailable" % self.outage
        if any(r.lower().startswith("tempfail") for r in envelope.rcpt_tos):
            with self.lock:
                n = self.attempts.get(message_id, 0) + 1
                self.attempts[message_id] = n
            if n <= 2:
                return "451 4.3.0 Try again later"
        with self.lock:
            self.count += 1
            name = os.path.join(self.directory, "%05d.eml" % self.count)
        tmp = name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(content)
        os.rename(tmp, name)
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    capture = Capture(args.dir)
    controller = NoDelayController(capture, hostname="127.0.0.1", port=args.port or find_port())
    controller.start()
    print("PORT %d" % controller.port, flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["outage"] and len(words) == 2:
                capture.outage = None if words[1] == "off" else words[1]
                print("OK", flush=True)
    finally:
        controller.stop()


def find_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()

"""A real SMTP server on loopback for echeancier's tests (aiosmtpd).

Prints "PORT <n>" once listening, then serves until its standard input
closes. Lines on standard input switch an outage on or off, for every
message: "outage 451" answers 451 at DATA, "outage off" ends it; each is
acknowledged with "OK" on standard output. Each accepted message is written to DIR/<n>.eml, preceded by an
"X-Envelope-To:" line. Recipients drive failures, so a test can ask for them:
  reject...@        -> 550 at RCPT (permanent)
  bounce...@        -> 550 at RCPT, repeating the address in the reply
  tempfail...@      -> 451 at DATA for the first two attempts of a message

With --tls starttls|implicit, it makes a test authority and a certificate
it signs for 127.0.0.1 and localhost (the authority is written to
DIR/ca.pem and printed as "CA <path>" before the port) and requires STARTTLS, or speaks TLS from the first byte.
With --auth USER:PASSWORD it requires that login (over TLS only).
"""

import argparse
import asyncio
import os
import re
import sys
import threading

import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


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


def self_signed(directory):
    """A test authority and a certificate it signs for 127.0.0.1 and
    localhost (TLS clients refuse an authority's certificate used by the
    server itself). Returns the authority's PEM file, the server's chain and
    its key."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "echeancier test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path = os.path.join(directory, "ca.pem")
    chain_path = os.path.join(directory, "chain.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(ca_path, "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(chain_path, "wb") as f:
        f.write(cert.public_bytes(pem) + ca.public_bytes(pem))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    return ca_path, chain_path, key_path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--auth")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    capture = Capture(args.dir)
    kwargs = {}
    if args.tls:
        import ssl

        ca, chain, key = self_signed(args.dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(chain, key)
        if args.tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            kwargs.update(ssl_context=context)
        print("CA %s" % ca, flush=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            # handled=False: the server answers 535 itself.
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True)
        if args.tls == "implicit":
            # aiosmtpd knows of its TLS only after STARTTLS; here the
            # connection is TLS from the first byte.
            kwargs.update(auth_require_tls=False)
    controller = NoDelayController(
        capture, hostname="127.0.0.1", port=args.port or find_port(), **kwargs
    )
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

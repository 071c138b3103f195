"""A SASL-terminating Kafka relay for end-to-end tests: it answers SaslHandshake and
SaslAuthenticate itself (SCRAM with `scramp`, an implementation independent of exporterd's;
PLAIN by comparing the token), forwards ApiVersions to the broker behind it, and once a client
has authenticated relays every further byte both ways. A client that sends anything else
before authenticating is disconnected, as a SASL listener of Kafka does.

Tansu behind it is started with `--advertised-listener-url` set to this relay, so Metadata
already points clients back here.

    sasl_relay.py --listen 127.0.0.1:P --upstream 127.0.0.1:Q --mechanism SCRAM-SHA-512 \
        --username alice        (password from $SASL_RELAY_PASSWORD)
    --tamper signature|nonce    misbehave like a peer that does not know the password
    --session-lifetime-ms N     what SaslAuthenticate answers to client id exporterd; a request
                                after it closes the connection (KIP-368). Other clients get no
                                lifetime: librdkafka re-authenticates in-band, which this relay
                                does not terminate once it pipes bytes.
"""
import argparse
import asyncio
import os
import struct
import sys

import scramp

SASL_HANDSHAKE, SASL_AUTHENTICATE, API_VERSIONS = 17, 36, 18
UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED, ILLEGAL_SASL_STATE = 33, 58, 34


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--mechanism", action="append", required=True,
                        choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    parser.add_argument("--username", required=True)
    parser.add_argument("--tamper", choices=["none", "signature", "nonce"], default="none")
    parser.add_argument("--session-lifetime-ms", type=int, default=0)
    return parser.parse_args()


def host_port(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Reader:
    """Kafka primitives off a bytes object."""

    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def uvarint(self):
        shift = value = 0
        while True:
            byte = self.data[self.at]
            self.at += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        text = self.data[self.at:self.at + length].decode()
        self.at += length
        return text

    def raw(self, length):
        value = self.data[self.at:self.at + length]
        self.at += length
        return value

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.raw(self.uvarint())


def uvarint(value):
    out = bytearray()
    while True:
        if value < 0x80:
            out.append(value)
            return bytes(out)
        out.append((value & 0x7F) | 0x80)
        value >>= 7


def kafka_string(text, compact):
    if text is None:
        return uvarint(0) if compact else struct.pack(">h", -1)
    data = text.encode()
    return (uvarint(len(data) + 1) if compact else struct.pack(">h", len(data))) + data


def kafka_bytes(data, compact):
    return (uvarint(len(data) + 1) if compact else struct.pack(">i", len(data))) + data


async def read_frame(reader):
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


class Session:
    """One client connection: the SASL state, then the byte pipe."""

    def __init__(self, options, password, client_reader, client_writer):
        self.options, self.password = options, password
        self.client_reader, self.client_writer = client_reader, client_writer
        self.mechanism = None
        self.scram = None
        self.lifetime_ms = 0

    async def run(self):
        upstream_reader, upstream_writer = await asyncio.open_connection(*host_port(self.options.upstream))
        try:
            if await self.authenticate(upstream_reader, upstream_writer):
                expires = None
                if self.lifetime_ms:
                    expires = asyncio.get_running_loop().time() + self.lifetime_ms / 1000
                await asyncio.gather(pipe(self.client_reader, upstream_writer, expires),
                                     pipe(upstream_reader, self.client_writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            upstream_writer.close()
            self.client_writer.close()

    async def authenticate(self, upstream_reader, upstream_writer):
        while True:
            payload = await read_frame(self.client_reader)
            request = Reader(payload)
            api_key, api_version, correlation_id = request.take(">hhi")
            client_id = request.string()
            if client_id == "exporterd":
                self.lifetime_ms = self.options.session_lifetime_ms
            if api_key == API_VERSIONS:
                upstream_writer.write(frame(payload))
                await upstream_writer.drain()
                self.client_writer.write(frame(await read_frame(upstream_reader)))
                await self.client_writer.drain()
            elif api_key == SASL_HANDSHAKE:
                mechanism = request.string()
                enabled = self.options.mechanism
                code = 0 if mechanism in enabled else UNSUPPORTED_SASL_MECHANISM
                self.mechanism = mechanism if code == 0 else None
                body = struct.pack(">hi", code, len(enabled)) + b"".join(kafka_string(m, False) for m in enabled)
                await self.reply(correlation_id, False, body)
                if code:
                    log("refused mechanism %s" % mechanism)
                    return False
            elif api_key == SASL_AUTHENTICATE and self.mechanism:
                flexible = api_version >= 2
                if flexible:
                    request.skip_tags()  # header tags
                    token = request.raw(request.uvarint() - 1)
                else:
                    token = request.raw(request.take(">i"))
                code, message, answer, done = self.step(token)
                body = struct.pack(">h", code) + kafka_string(message, flexible) + kafka_bytes(answer, flexible)
                if api_version >= 1:
                    body += struct.pack(">q", self.lifetime_ms if done else 0)
                if flexible:
                    body += uvarint(0)
                await self.reply(correlation_id, flexible, body)
                if code:
                    log("authentication failed (%s)" % self.mechanism)
                    return False
                if done:
                    log("authenticated %s" % self.mechanism)
                    return True
            else:
                log("request %d before authentication: closing" % api_key)
                return False

    def step(self, token):
        """(error code, error message, auth bytes, authenticated?)"""
        failure = (SASL_AUTHENTICATION_FAILED,
                   "Authentication failed during authentication due to invalid credentials with SASL mechanism %s"
                   % self.mechanism, b"", False)
        if self.mechanism == "PLAIN":
            parts = token.split(b"\0")
            if len(parts) == 3 and parts[1].decode() == self.options.username and parts[2].decode() == self.password:
                return 0, None, b"", True
            return failure
        try:
            if self.scram is None:
                mechanism = scramp.ScramMechanism(self.mechanism)
                auth_info = mechanism.make_auth_info(self.password, iteration_count=4096)

                def credentials(username):
                    if username != self.options.username:
                        raise scramp.ScramException("unknown user")
                    return auth_info

                self.scram = mechanism.make_server(credentials)
                self.scram.set_client_first(token.decode())
                server_first = self.scram.get_server_first()
                if self.options.tamper == "nonce":
                    # Change the client's part, so the nonce never extends the client nonce.
                    server_first = "r=" + ("X" if server_first[2] != "X" else "Y") + server_first[3:]
                return 0, None, server_first.encode(), False
            self.scram.set_client_final(token.decode())
            server_final = self.scram.get_server_final()
            if self.options.tamper == "signature":
                server_final = "v=" + ("A" if server_final[2] != "A" else "B") + server_final[3:]
            return 0, None, server_final.encode(), True
        except scramp.ScramException:
            return failure

    async def reply(self, correlation_id, flexible_header, body):
        header = struct.pack(">i", correlation_id) + (uvarint(0) if flexible_header else b"")
        self.client_writer.write(frame(header + body))
        await self.client_writer.drain()


async def pipe(reader, writer, expires=None):
    """Copies until EOF. With `expires` (client to broker only), a request arriving after the
    session lifetime closes the connection, as Kafka does (KIP-368)."""
    try:
        while data := await reader.read(65536):
            if expires is not None and asyncio.get_running_loop().time() > expires:
                log("request after the session expired: closing")
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def log(text):
    print("sasl_relay: " + text, flush=True)


async def main():
    options = parse_args()
    password = os.environ["SASL_RELAY_PASSWORD"]
    host, port = host_port(options.listen)

    async def accept(reader, writer):
        await Session(options, password, reader, writer).run()

    server = await asyncio.start_server(accept, host, port)
    log("listening on %s, relaying to %s" % (options.listen, options.upstream))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)

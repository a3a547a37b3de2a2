"""A webhook receiver and an SMTP sink for the README's quarter walkthrough (issue 11), standard
library only (``make run`` installs no SMTP server).

    python3 scripts/cycle_receiver.py --http 8090 --smtp 8025 --secret rahasia-demo-0123456789

Webhooks (``POST`` to any path): the ``X-Kinerja-Signature`` is checked against ``--secret``
(HMAC-SHA256 of the body, ADR 0021), the event id kept so a redelivery is applied once, and one
line printed: ``webhook <type> <subject> event=<id> signature=ok|BAD [duplicate]``; the answer is
204, or 401 for a bad signature. E-mails (plain SMTP, no TLS, every recipient accepted): one line
``mail to=<rcpt> subject=<decoded subject>`` and the first lines of the text. For local use only:
it binds 127.0.0.1 and keeps nothing but the ids it has seen.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread


def say(line: str) -> None:
    print(line, flush=True)


def webhook_server(port: int, secret: str) -> ThreadingHTTPServer:
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            good = hmac.compare_digest(expected, self.headers.get("X-Kinerja-Signature") or "")
            event_id = self.headers.get("X-Kinerja-Event-Id") or "?"
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            duplicate = good and event_id in seen
            if good:
                seen.add(event_id)
            say(
                f"webhook {event.get('type')} {event.get('subject')} event={event_id} "
                f"signature={'ok' if good else 'BAD'}{' duplicate' if duplicate else ''}"
            )
            self.send_response(204 if good else 401)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # quiet: one line per event above
            return

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


async def smtp_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The few SMTP commands a sender uses (RFC 5321): EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(line: str) -> None:
        writer.write((line + "\r\n").encode())

    reply("220 cycle-receiver ESMTP")
    rcpts: list[str] = []
    while line := await reader.readline():
        command = line.decode(errors="replace").strip()
        verb = command.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            reply("250 cycle-receiver")
        elif verb == "MAIL":
            rcpts = []
            reply("250 OK")
        elif verb == "RCPT":
            rcpts.append(command.split(":", 1)[-1].strip(" <>"))
            reply("250 OK")
        elif verb == "DATA":
            reply("354 end with <CRLF>.<CRLF>")
            await writer.drain()
            lines = []
            while (data := await reader.readline()) not in (b".\r\n", b".\n", b""):
                lines.append(data[1:] if data.startswith(b"..") else data)
            message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
            part = message.get_body(preferencelist=("plain",))
            text = part.get_content() if part is not None else ""
            say(f"mail to={','.join(rcpts)} subject={message['Subject']}")
            for row in [r for r in str(text).splitlines() if r.strip()][:6]:
                say(f"    {row}")
            reply("250 OK: queued")
        elif verb == "QUIT":
            reply("221 bye")
            await writer.drain()
            break
        elif verb in ("RSET", "NOOP"):
            reply("250 OK")
        else:
            reply("502 command not implemented")
        await writer.drain()
    writer.close()


async def main_async(http_port: int, smtp_port: int, secret: str) -> None:
    httpd = webhook_server(http_port, secret)
    Thread(target=httpd.serve_forever, daemon=True).start()
    server = await asyncio.start_server(smtp_session, "127.0.0.1", smtp_port)
    say(f"listening: webhooks http://127.0.0.1:{http_port}/ , SMTP 127.0.0.1:{smtp_port}")
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http", type=int, default=8090, help="webhook port (127.0.0.1)")
    parser.add_argument("--smtp", type=int, default=8025, help="SMTP port (127.0.0.1)")
    parser.add_argument("--secret", required=True, help="the subscriber's secret (16+ characters)")
    args = parser.parse_args()
    try:
        asyncio.run(main_async(args.http, args.smtp, args.secret))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

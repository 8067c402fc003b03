"""The drill's SMTP server: accepts every message and appends one JSON line per message to a
file, so that a scenario counts what a real mail server received (and what it received twice).

    python -m drills.smtp_sink --port 2525 --output var/drill/mail.jsonl
"""

import argparse
import json
import os
import signal
import threading
import time
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=default)
        line = json.dumps(
            {
                "at": time.time(),
                "to": envelope.rcpt_tos,
                "message_id": message.get("Message-ID", ""),
                "subject": str(message.get("Subject", "")),
            }
        )
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        # Answered only once the line is on disk: a message counts once the server said 250.
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    controller = Controller(Sink(args.output), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"SMTP sink listening on 127.0.0.1:{args.port}, writing {args.output}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()

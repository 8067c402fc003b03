"""kombu's filesystem transport (the broker of a local run without Redis), with each message
written whole before a worker can see it.

kombu creates the message's file, then writes it; a worker polling the folder in between
moved and read an empty file, failed on it ("JSONDecodeError: Expecting value") and the
message was lost (seen in CI: a retention job never ran). Here the message is written
under a name no worker reads (it ends in .part), then renamed, which is atomic.
patch() is applied once, when config.celery is imported (every web and worker process).
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


def _put(self, queue, payload, **kwargs):
    """Put `payload` onto `queue`: kombu's file name, written in full before it is there."""
    name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
    final = os.path.join(self.data_folder_out, name)
    partial = final + ".part"  # after the first dot it is not "<queue>.msg": never read
    try:
        with open(partial, "wb") as out:
            out.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)
    except OSError as exc:
        raise ChannelError(f"Cannot add file {final!r} to directory") from exc


def patch() -> None:
    filesystem.Channel._put = _put

"""The filesystem broker never shows a worker a message before it is written in full
(config/brokers.py): kombu's own wrote into the file a worker could already read, and a
worker that read it empty lost the message (a CI run's retention job never ran)."""

import os

from kombu import Connection


def test_a_message_is_invisible_until_written_then_read_whole(tmp_path, monkeypatch):
    import config.celery  # noqa: F401  (applies the patch, as every process does)

    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "store_processed": False,
    }
    with Connection("filesystem://", transport_options=options) as connection:
        channel = connection.channel()
        seen_while_writing = []
        real_replace = os.replace

        def replace(src, dst):
            # Between the write and the rename a worker looks: nothing for it yet.
            seen_while_writing.append(sorted(os.listdir(folder)))
            try:
                channel._get("default")
            except Exception as exc:  # kombu's Empty: the queue has no message yet
                seen_while_writing.append(type(exc).__name__)
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)
        channel._put("default", {"body": "hello", "n": 1})
        monkeypatch.setattr(os, "replace", real_replace)
        listed, empty = seen_while_writing
        assert len(listed) == 1 and listed[0].endswith(".default.msg.part")
        assert empty == "Empty"
        assert channel._get("default") == {"body": "hello", "n": 1}
        assert os.listdir(folder) == []

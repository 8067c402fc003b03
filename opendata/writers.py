"""Writing one dataset's rows as CSV and JSON at once, a row at a time, to open files.

CSV: UTF-8 with a byte order mark (so that Excel shows "Siân" rather than "SiÃ¢n"; Python
reads it with encoding="utf-8-sig"), one header row, lists joined with ";", empty cells for
nothing, and any text cell that a spreadsheet would run as a formula (starting with =, +, -,
@, a tab or a carriage return) preceded by an apostrophe.
JSON: UTF-8, an object with the licence and field names first, then "rows" (objects with
the same keys in the same order), then "row_count".
"""

import csv
import io
import json

from config.spreadsheets import neutralise

from .datasets import LICENCE_NAME, LICENCE_URL, PUBLISHER, Dataset


def safe_cell(value) -> str:
    """One CSV cell: lists joined, None empty, formulas neutralised with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


class DatasetWriter:
    """Writes the same rows to a binary CSV file and a binary JSON file."""

    def __init__(self, dataset: Dataset, csv_file, json_file, *, built_at: str):
        self.dataset = dataset
        self.names = dataset.field_names()
        self.csv_text = io.TextIOWrapper(csv_file, encoding="utf-8-sig", newline="")
        self.csv = csv.writer(self.csv_text)
        self.json_text = io.TextIOWrapper(json_file, encoding="utf-8")
        self.rows = 0
        self.csv.writerow(self.names)
        head = {
            "title": f"{PUBLISHER}: {dataset.title}",
            "description": dataset.description,
            "publisher": PUBLISHER,
            "licence": {"name": LICENCE_NAME, "url": LICENCE_URL},
            "built_at": built_at,
            "fields": self.names,
        }
        # The object is written open-ended: its rows follow, then their count.
        self.json_text.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')

    def write(self, row: dict) -> None:
        self.csv.writerow([safe_cell(row[name]) for name in self.names])
        ordered = {name: row[name] for name in self.names}
        separator = ",\n" if self.rows else "\n"
        self.json_text.write(separator + json.dumps(ordered, ensure_ascii=False))
        self.rows += 1

    def close(self) -> int:
        """Finish both files (left open, at their end) and return the number of rows."""
        self.json_text.write(f'\n], "row_count": {self.rows}}}\n')
        for text in (self.csv_text, self.json_text):
            text.flush()
            text.detach()
        return self.rows

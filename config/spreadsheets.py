"""Text written to a CSV file that people open in a spreadsheet program."""

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# ("CSV injection"): such text is written with an apostrophe first, which they show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """`text` as a spreadsheet will show it, never run it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text

"""Hypothesis strategies and settings for fuzzing the site: odd text, huge numbers, NUL bytes.

Every fuzz test sends what these generate through the Django test client and asserts that
no answer is a server error. The client re-raises an unhandled exception in a view, so
an exception fails the test too.
"""

import os
from pathlib import Path
from urllib.parse import quote_from_bytes

from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

# A bounded number of examples per test, so that tests/fuzz runs in about a minute and a
# half on two cores. FUZZ_EXAMPLES=500 digs deeper (for a run before a release, say).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
settings.register_profile(
    "fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    # Each test signs in once (a function-scoped fixture); every example then runs in its
    # own savepoint, rolled back, so the examples do not see each other's writes.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    # Under CI the same examples every run (as Hypothesis's own "ci" profile, which it loads
    # when CI is set and which allows no example database); elsewhere new examples each run,
    # with failing ones kept in var/hypothesis and tried first next time.
    derandomize=IN_CI,
    database=None
    if IN_CI
    else DirectoryBasedExampleDatabase(Path(__file__).resolve().parents[2] / "var" / "hypothesis"),
    print_blob=True,
    # Explaining a failure reruns it many times over; the shrunk example says enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
fuzz = settings.get_profile("fuzz")


def fuzz_more(times: float) -> settings:
    """The fuzz settings with `times` as many examples, for a test that covers several pages."""
    return settings(fuzz, max_examples=round(EXAMPLES * times))


HUGE = "99999999999999999999"
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "Infinity",
    HUGE,
    str(2**63),
    str(2**63 - 1),
    "-" + HUGE,
    "²",
    "٣",
    "１",
    "!",
    "%",
    "-",
    "_",
    "*",
    "'",
    '"',
    "\\",
    "%00",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "é",
    "ŵyr",
    "氢能",
    "😀",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\r\n",
    "\n",
    "\t",
    "../../etc/passwd",
    "//evil.example/",
    "javascript:alert(1)",
    "null",
    "[]",
]


def long_text() -> st.SearchStrategy[str]:
    """A very long string (1,000 to 20,000 characters), cheap to generate. Never a lone
    surrogate: no browser can send one (not valid UTF-8), and Django's test client fails to
    encode it before any view runs (a saved Hypothesis example, stop 28)."""
    character = st.characters(exclude_categories=("Cs",))
    return st.builds(lambda c, n: c * n, character, st.integers(1_000, 20_000))


def no_letters() -> st.SearchStrategy[str]:
    """A few characters with no letter or digit: punctuation, symbols, emoji, spaces."""
    return st.text(st.characters(categories=("P", "S", "Z", "Cf")), min_size=1, max_size=4)


def foreign_words() -> st.SearchStrategy[str]:
    """Words outside ASCII: accents, other scripts, combining marks, digits like "²"."""
    letters = st.characters(categories=("L", "M", "N"), min_codepoint=128)
    return st.text(letters, min_size=1, max_size=8)


def bad_ids() -> st.SearchStrategy[str]:
    """Id-shaped values that are not ids: beyond 64 bits, zero or negative, digits that are
    not ASCII ("²", "٣"), signs, spaces and decimals."""
    return st.one_of(
        st.integers(min_value=2**63 - 1, max_value=10**30).map(str),
        st.integers(max_value=0).map(str),
        st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=3),
        st.sampled_from(["1.0", "+1", " 1", "1 ", "0x1", "1e3"]),
    )


def ids(valid: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """A field that takes a database id: mostly real ids, sometimes id-shaped junk."""
    return st.one_of(valid.map(str), valid.map(str), bad_ids())


def odd_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Anything a person or a program might type: any Unicode, numbers, NUL, long strings."""
    return st.one_of(
        st.sampled_from(NASTY),
        no_letters(),
        foreign_words(),
        st.text(max_size=max_size),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        long_text(),
    )


def plain_text(min_size: int = 1, max_size: int = 200) -> st.SearchStrategy[str]:
    """Text a person could type: any script, symbols and emoji, no control characters."""
    printable = st.characters(exclude_categories=("Cs", "Cc"))
    return st.text(printable, min_size=min_size, max_size=max_size).filter(str.strip)


def either(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a value the field accepts, else odd text."""
    return st.one_of(valid, valid, odd_text())


def many(values: st.SearchStrategy) -> st.SearchStrategy[list]:
    """A field sent several times (?theme=a&theme=b, checkboxes)."""
    return st.lists(values, max_size=4)


_MISSING = object()
_odd_value = st.one_of(st.just(_MISSING), odd_text(), st.lists(odd_text(), max_size=3))


def _apply(data: dict, changes: dict) -> dict:
    merged = {**data, **changes}
    return {name: value for name, value in merged.items() if value is not _MISSING}


def form_data(valid: dict, *, optional: bool = False) -> st.SearchStrategy[dict]:
    """A form or a query: a valid one (every field, or some if `optional`) with a few fields
    left out or replaced by odd values.

    Starting from valid answers lets the deep paths run (a form that saves, a search that
    finds); Hypothesis shrinks a failure towards the fewest odd fields.
    """
    base = st.fixed_dictionaries({}, optional=valid) if optional else st.fixed_dictionaries(valid)
    names = st.sampled_from([*valid, "unexpected"])
    changes = st.dictionaries(names, _odd_value, max_size=3)
    return st.builds(_apply, base, changes)


def raw_query(names: list[str]) -> st.SearchStrategy[str]:
    """A query string of arbitrary bytes, invalid UTF-8 included, for the named parameters."""
    pair = st.tuples(st.sampled_from([*names, "x"]), st.binary(max_size=30))
    return st.lists(pair, max_size=5).map(
        lambda pairs: "&".join(f"{name}={quote_from_bytes(value)}" for name, value in pairs)
    )


def send(client, method: str, path: str, data=None, **extra):
    """One request in a savepoint that is rolled back; fails on a 5xx or an exception."""
    cache.clear()  # rate limits count in the cache: every example starts from zero
    with transaction.atomic():
        response = getattr(client, method)(path, data, **extra)
        transaction.set_rollback(True)
    event(f"answered {response.status_code}")  # see --hypothesis-show-statistics
    assert response.status_code < 500, f"{method.upper()} {path} {data!r}: {response.status_code}"
    return response

"""Delta pages are fetched one ahead of the page being applied, in order, errors included."""

import threading
import time

import pytest

from syncconnections.graph import DeltaPage, ResyncNeeded
from syncconnections.inbound.delta import read_ahead


def pages(count, fail_with=None, fetched=None):
    for n in range(count):
        if fetched is not None:
            fetched.append(n)
        yield DeltaPage([{"id": str(n)}], f"next{n}", None)
    if fail_with:
        raise fail_with


def test_pages_arrive_in_order():
    assert [p.events[0]["id"] for p in read_ahead(pages(5))] == ["0", "1", "2", "3", "4"]


def test_an_error_arrives_after_the_pages_before_it():
    seen = []
    with pytest.raises(ResyncNeeded):
        for page in read_ahead(pages(2, fail_with=ResyncNeeded("gone", status=410))):
            seen.append(page.events[0]["id"])
    assert seen == ["0", "1"]


def test_the_next_page_is_fetched_while_this_one_is_applied():
    fetched = []
    reader = read_ahead(pages(3, fetched=fetched))
    next(reader)
    time.sleep(0.2)  # the caller applies page 0
    assert fetched == [0, 1, 2]  # page 1 is waiting, page 2 in hand: never further ahead
    reader.close()


def test_stopping_early_ends_the_reading_thread():
    reader = read_ahead(pages(1000))
    next(reader)
    reader.close()
    assert not [t for t in threading.enumerate() if t.name == "delta read-ahead"]

"""PageReads: one person's page reads run at most `per_user` at a time; other people's do not wait."""

from __future__ import annotations

import threading

from chatroom.realtime.guard import PageReads


def test_a_persons_third_read_waits_and_another_persons_does_not() -> None:
    reads = PageReads(2)
    release = threading.Event()
    inside: list[str] = []
    entered = threading.Semaphore(0)

    def read(user_id: int, name: str, hold: bool) -> None:
        with reads.slot(user_id):
            inside.append(name)
            entered.release()
            if hold:
                release.wait(10)

    first = [threading.Thread(target=read, args=(1, f"a{n}", True)) for n in range(2)]
    for t in first:
        t.start()
    for _ in first:
        assert entered.acquire(timeout=10)
    third = threading.Thread(target=read, args=(1, "a2", False))
    third.start()
    other = threading.Thread(target=read, args=(2, "b", False))
    other.start()
    other.join(10)
    assert entered.acquire(timeout=10)
    # Person 2 got in while person 1's two reads still ran; person 1's third did not.
    assert sorted(inside) == ["a0", "a1", "b"]
    release.set()
    for t in [*first, third]:
        t.join(10)
    assert sorted(inside) == ["a0", "a1", "a2", "b"]
    # Nobody reads any more: nothing is kept per person.
    assert reads._slots == {}

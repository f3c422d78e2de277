import pytest

from modules.payments.domain import needs_recheck, retry_delay


@pytest.mark.parametrize(
    ("attempts", "expected"), [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (50, 60.0)]
)
def test_retry_delay_doubles_from_the_initial_wait_up_to_the_cap(attempts: int, expected: float) -> None:
    assert retry_delay(attempts=attempts, initial=1.0, cap=60.0, rand=0.0) == expected


def test_retry_delay_adds_at_most_its_jitter_and_never_passes_the_cap() -> None:
    assert retry_delay(attempts=2, initial=1.0, cap=60.0, jitter=0.1, rand=1.0) == pytest.approx(2.2)
    assert retry_delay(attempts=6, initial=1.0, cap=33.0, jitter=0.1, rand=1.0) == 33.0
    spread = {retry_delay(attempts=3, initial=1.0, cap=60.0) for _ in range(50)}
    assert all(4.0 <= wait <= 4.4 for wait in spread)
    assert len(spread) > 1  # queued payments do not all retry at the same instant


@pytest.mark.parametrize(
    ("reference", "contacted", "expected"),
    [("", True, True), ("auth_1", True, False), ("", False, False), ("auth_1", False, False)],
)
def test_a_void_looks_again_only_for_an_authorization_that_may_exist_unseen(reference, contacted, expected) -> None:
    assert needs_recheck(provider_reference=reference, provider_contacted=contacted) is expected

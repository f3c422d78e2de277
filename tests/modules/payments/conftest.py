from collections.abc import Iterator
from typing import Any

import pytest

from scripts.fake_payment_provider import FakePaymentProvider
from tests.modules.payments.support import provider_running


@pytest.fixture
def provider(settings: Any) -> Iterator[FakePaymentProvider]:
    """The fake payment provider, real HTTP on a free 127.0.0.1 port; payments talks to it."""
    with provider_running(settings) as running:
        yield running

"""The engine loaded when an API worker starts, before it takes requests, so that the first
draft of a fresh worker costs what every other draft does (a few tens of milliseconds, not
the seconds of loading the library, the NLP pipelines and the request catalogue).

``OPENIMR_WARM_ENGINE=0`` skips it (a worker that never drafts)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any


def warm_lifespan(enabled: bool) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that loads the review engine at start-up (in a thread: the event
    loop stays free) when ``enabled`` and not turned off by ``OPENIMR_WARM_ENGINE=0``."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if enabled and os.environ.get("OPENIMR_WARM_ENGINE", "1") not in ("0", "false", "no"):
            import anyio

            from openimr.batch import warm

            await anyio.to_thread.run_sync(warm)
        yield

    return lifespan

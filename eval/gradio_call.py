"""One Gradio API call over plain HTTP, shared by the load test and the cold-start race.

Gradio's queue is joined with ``POST /gradio_api/call/<api_name>`` and answered on the event
stream ``GET /gradio_api/call/<api_name>/<event_id>``; the result is the ``data:`` line after
``event: complete``. Reading that stream by hand (not with gradio_client) keeps the scripts'
only client dependency httpx, and lets a race count every failure text exactly.
"""

from __future__ import annotations

import json

import httpx


class GradioCallError(RuntimeError):
    """The call failed: a bad status, an ``error`` event, or a stream that ended early."""


async def gradio_result(client: httpx.AsyncClient, api_name: str, data: list) -> object:
    """The ``complete`` event's data (Gradio wraps a single output in a list)."""
    resp = await client.post(f"/gradio_api/call/{api_name}", json={"data": data})
    if resp.status_code != 200:
        raise GradioCallError(f"POST {resp.status_code} {resp.text[:160]}")
    event_id = resp.json()["event_id"]
    event = ""
    async with client.stream("GET", f"/gradio_api/call/{api_name}/{event_id}") as stream:
        if stream.status_code != 200:
            raise GradioCallError(f"GET {stream.status_code}")
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in {"complete", "error"}:
                payload = line.split(":", 1)[1].strip()
                if event == "error":
                    raise GradioCallError(f"error event: {payload[:200]}")
                return json.loads(payload)
    raise GradioCallError(f"the event stream ended without a result (last event {event!r})")

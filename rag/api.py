"""The REST API: plain JSON over HTTP beside the UI, for scripts and newsroom tools.

Routes (all under ``/api``, documented at ``/api/docs``): ``GET|POST /api/ask``, ``GET /api/claims``,
``GET /api/claims/{id}``, ``GET /api/health``. Answers are exactly ``Assistant.ask(...).to_dict()``;
errors are ``{"error": message, "status": code}`` with the messages the UI gives (400 for a bad
question or history, 413 for one over the limits). No route changes the index.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from .assistant import QuestionError
from .models import VERDICTS

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant

log = logging.getLogger(__name__)

ASK_BODY = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["question"],
                "properties": {
                    "question": {"type": "string", "example": "How many trucks did the Allies send?"},
                    "history": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "earlier questions of the conversation, oldest first",
                    },
                },
            }
        }
    },
    "required": True,
}
ANSWER_DOC: dict[int | str, dict[str, Any]] = {
    200: {"description": "The Answer: exactly `Assistant.ask(question, history).to_dict()`."},
    400: {"description": "A bad question or history (empty, not text, not a list)."},
    413: {"description": "A question or history over the limits."},
}


# Questions answered at once: one per core. More threads only share the GIL and the cores, so every
# answer gets slower together; the rest wait their turn in order (FIFO), which keeps the tail short.
ASK_THREADS = max(1, min(4, os.cpu_count() or 1))


async def run_ask(request: Request, question: Any, history: Any) -> JSONResponse:
    state = request.app.state
    if getattr(state, "ask_limiter", None) is None:
        state.ask_limiter = anyio.CapacityLimiter(ASK_THREADS)
    return await anyio.to_thread.run_sync(
        answer_json, _assistant(request), question, history, limiter=state.ask_limiter
    )


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def question_status(exc: QuestionError) -> int:
    """413 for an input over a limit, 400 for any other bad input (the messages say which)."""
    return 413 if "the limit is" in str(exc) else 400


def body_limit(assistant: Assistant) -> int:
    """Largest request body read (bytes): a full question and history, UTF-8 and JSON-escaped."""
    s = assistant.settings
    return 8 * (s.max_question_chars * (s.max_history_items + 1) + s.max_history_chars) + 4096


async def read_ask_body(request: Request, limit: int) -> tuple[Any, Any]:
    """(question, history) from a JSON object body; ValueError (400) or OverflowError (413)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise OverflowError(f"The request is {int(declared):,} bytes; the limit is {limit:,}.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise OverflowError(f"The request is over {limit:,} bytes; the limit is {limit:,}.")
    try:
        data = json.loads(raw.decode("utf-8", errors="replace") or "null")
    except json.JSONDecodeError as exc:
        raise ValueError(f"The request body is not valid JSON ({exc.msg}).") from None
    if not isinstance(data, dict):
        raise ValueError('The request body must be a JSON object: {"question": "…", "history": […]}.')
    return data.get("question"), data.get("history")


def answer_json(assistant: Assistant, question: Any, history: Any) -> JSONResponse:
    """Ask, and map every failure to a clear JSON error (never a bare 500 page)."""
    try:
        return JSONResponse(assistant.ask(question, history=history).to_dict())
    except QuestionError as exc:
        return error(question_status(exc), str(exc))
    except Exception as exc:  # the details go to the log, the reader gets one clear line
        log.exception("/api/ask failed")
        return error(
            500,
            f"The question could not be answered ({exc.__class__.__name__}); the details are in the server log.",
        )


router = APIRouter(prefix="/api")


def _assistant(request: Request) -> Assistant:
    return request.app.state.assistant


@router.get("/ask", responses=ANSWER_DOC, summary="Ask a question (query string)")
async def ask_get(
    request: Request,
    question: str | None = Query(None, description="the question"),
    history: list[str] | None = Query(None, description="an earlier question (repeat, oldest first)"),  # noqa: B008
) -> JSONResponse:
    """The Answer as JSON; `?question=…&history=…&history=…`."""
    return await run_ask(request, question, history)


@router.post(
    "/ask",
    responses=ANSWER_DOC,
    summary="Ask a question (JSON body)",
    openapi_extra={"requestBody": ASK_BODY},
)
async def ask_post(request: Request) -> JSONResponse:
    """The Answer as JSON; body `{"question": "…", "history": ["…"]}`. Types are checked here."""
    assistant = _assistant(request)
    try:
        question, history = await read_ask_body(request, body_limit(assistant))
    except OverflowError as exc:
        return error(413, str(exc))
    except ValueError as exc:
        return error(400, str(exc))
    return await run_ask(request, question, history)


@router.get("/claims", summary="The reviewed claims of the essay")
def claims(
    request: Request,
    verdict: str | None = Query(None, description="only claims with this verdict: " + ", ".join(VERDICTS)),
) -> JSONResponse:
    """Every reviewed claim (quote, paragraph, verdict, rationale, plain-text citations)."""
    if verdict and verdict not in VERDICTS:
        return error(400, f"Unknown verdict {verdict!r}; use one of: {', '.join(VERDICTS)}.")
    return JSONResponse([c.to_dict() for c in _assistant(request).claims(verdict or None)])


@router.get(
    "/claims/{claim_id}", summary="One reviewed claim", responses={404: {"description": "No such claim."}}
)
def claim(request: Request, claim_id: str) -> JSONResponse:
    """One reviewed claim by its id (e.g. C45)."""
    try:
        return JSONResponse(_assistant(request).claim(claim_id).to_dict())
    except KeyError:
        return error(404, f"No reviewed claim {claim_id!r} (see /api/claims).")


@router.get("/health", summary="Is the server up, and what does it hold")
def health(request: Request) -> dict[str, Any]:
    """Passage counts of the open index, the number of claims and user documents."""
    assistant = _assistant(request)
    index = assistant.index
    return {
        "status": "ok",
        "essay_passages": index.count("essay"),
        "literature_passages": index.count("literature"),
        "claims": len(assistant.claims()),
        "user_documents": len(index.manifest.documents),
        "read_only": bool(getattr(request.app.state, "read_only", False)),
    }

"""The MLflow scoring protocol, as ``mlflow models serve`` speaks it.

A JSON object with exactly one of ``dataframe_split``, ``dataframe_records``,
``instances``, ``inputs``; the answer is ``{"predictions": [...]}``. MLflow's
own parser turns the body into model input (so the four shapes mean what
they mean to MLflow); this module then insists on what the ticket model
needs, a ``text`` column of strings, and says so when a request lacks it.
"""

from __future__ import annotations

import json

import pandas

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
EXAMPLE = '{"dataframe_records": [{"text": "I was charged twice for my order"}]}'


class BadRequest(Exception):
    """A request the client must fix (HTTP 400, MLflow's error body with BAD_REQUEST)."""


def parse_body(body: bytes, content_type: str | None, input_schema) -> pandas.DataFrame:
    """The rows of a scoring request, as a DataFrame with one string column ``text``."""
    from mlflow.pyfunc.scoring_server import infer_and_parse_data

    mime = (content_type or "application/json").split(";")[0].strip().lower()
    if mime != "application/json":
        raise BadRequest(f"this server reads application/json only, got {mime!r}; send e.g. {EXAMPLE}")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(f"the body is not JSON ({error}); send e.g. {EXAMPLE}") from None
    if not isinstance(payload, dict):
        raise BadRequest(f"the body must be a JSON object with exactly one of {', '.join(FORMATS)}; send e.g. {EXAMPLE}")
    present = [key for key in FORMATS if key in payload]
    if len(present) != 1:
        found = ", ".join(present) if present else f"none (keys: {', '.join(map(str, payload)) or 'none'})"
        raise BadRequest(f"the body must carry exactly one of {', '.join(FORMATS)}; found {found}; send e.g. {EXAMPLE}")
    try:
        data = infer_and_parse_data({present[0]: payload[present[0]]}, input_schema)
    except Exception as error:  # MLflow raises MlflowException and plain pandas/numpy errors alike
        raise BadRequest(f"cannot read {present[0]}: {error}") from None
    return _as_text_frame(data, present[0])


def _as_text_frame(data, shape: str) -> pandas.DataFrame:
    if isinstance(data, pandas.DataFrame):
        frame = data
    elif isinstance(data, dict):
        try:
            frame = pandas.DataFrame({k: list(v) if hasattr(v, "__len__") and not isinstance(v, str) else [v] for k, v in data.items()})
        except ValueError as error:
            raise BadRequest(f"{shape}: the columns have different lengths ({error})") from None
    elif isinstance(data, list) and all(isinstance(item, str) for item in data):
        frame = pandas.DataFrame({"text": data})
    elif isinstance(data, list) and all(isinstance(item, dict) for item in data):
        frame = pandas.DataFrame.from_records(data)
    else:
        frame = pandas.DataFrame({"text": list(getattr(data, "tolist", lambda: data)())})
    if len(frame) == 0:
        return pandas.DataFrame({"text": pandas.Series([], dtype=object)})
    if "text" not in frame.columns:
        raise BadRequest(f"{shape}: the model reads one column 'text', got columns {list(map(str, frame.columns))}; send e.g. {EXAMPLE}")
    texts = frame["text"].tolist()
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise BadRequest(f"{shape}: 'text' must be strings; row {bad[0]} is {type(texts[bad[0]]).__name__}")
    return pandas.DataFrame({"text": texts})

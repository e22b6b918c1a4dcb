"""Lean query encoder: all-MiniLM-L6-v2 as ONNX, run with onnxruntime + tokenizers (no torch).

Exporting needs torch, transformers and onnx, and happens once, at index time, from the packaged
local weights (never a download). Encoding needs only onnxruntime, tokenizers and numpy, so a
process that only answers questions starts without importing torch.

Layout under ``<home>/onnx/``::

    model.onnx        transformer: input_ids, attention_mask, token_type_ids -> last_hidden_state
    model.int8.onnx   optional dynamic int8 quantisation of model.onnx
    tokenizer.json    the model's fast tokenizer
    encoder.json      pooling config, max_seq_length, a hash of the source weights, versions

The folder is built in a temporary sibling and swapped in with ``os.replace``, so a crash never
leaves a half-written model where :func:`onnx_model_file` points.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path, atomic_write
from .encoders import DIM, MODEL_NAME, EncoderBase, SentenceTransformerEmbeddings

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the export recipe changes: older exports then count as stale
OPSET = 17  # >= 14; 17 has a native LayerNormalization op
DIRNAME = "onnx"
MODEL_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "encoder.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
_TMP_PREFIX = f".{DIRNAME}-tmp-"
_OLD_PREFIX = f".{DIRNAME}-old-"
_LOCK_FILE = f".{DIRNAME}.lock"
_STRAY_AGE = 3600.0  # without file locks, only temp dirs older than this are presumed dead
# files of the sentence-transformers folder whose content defines the encoder
_SOURCE_FILES = (
    "config.json",
    "tokenizer.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
)


# -- paths -------------------------------------------------------------------------------------
def onnx_dir(home: Path | str) -> Path:
    return Path(home) / DIRNAME


def onnx_model_file(home: Path | str) -> Path:
    """Where the exported fp32 model lives; its existence switches ``get_embeddings`` to ONNX."""
    return onnx_dir(home) / MODEL_FILE


def onnx_int8_file(home: Path | str) -> Path:
    return onnx_dir(home) / INT8_FILE


def read_meta(home: Path | str) -> dict[str, Any]:
    try:
        return json.loads((onnx_dir(home) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# -- source weights ----------------------------------------------------------------------------
def _source_dir() -> Path:
    from .encoders import model_path

    return model_path()


def _source_files(src: Path) -> list[Path]:
    weights = sorted(src.glob("*.safetensors")) or sorted(src.glob("pytorch_model*.bin"))
    if not weights:
        raise FileNotFoundError(f"no model weights under {src}")
    return weights + [src / f for f in _SOURCE_FILES if (src / f).exists()]


def _stat_signature(src: Path) -> dict[str, list[int]]:
    sig = {}
    for f in _source_files(src):
        st = f.stat()
        sig[f.relative_to(src).as_posix()] = [st.st_size, st.st_mtime_ns]
    return sig


def source_hash(src: Path | None = None) -> str:
    """SHA-256 over the weights and configs that define the encoder, plus the export recipe."""
    src = Path(src) if src is not None else _source_dir()
    h = hashlib.sha256(f"export-v{EXPORT_VERSION}\0".encode())
    for f in _source_files(src):
        h.update(f.relative_to(src).as_posix().encode() + b"\0")
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _pooling_config(src: Path) -> dict[str, Any]:
    modules = _read_json(src / "modules.json", [])
    pool_dir, normalize = "1_Pooling", False
    for m in modules:
        typ = m.get("type", "")
        if typ.endswith("models.Pooling"):
            pool_dir = m.get("path") or pool_dir
        if typ.endswith("models.Normalize"):
            normalize = True
    pooling = _read_json(src / pool_dir / "config.json", {"pooling_mode_mean_tokens": True})
    sbert = _read_json(src / "sentence_bert_config.json", {})
    return {
        "pooling": pooling,
        "normalize": normalize,
        "max_seq_length": int(sbert.get("max_seq_length") or 256),
        "do_lower_case": bool(sbert.get("do_lower_case", False)),
    }


# -- export ------------------------------------------------------------------------------------
def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, json.dumps(data, indent=2, sort_keys=True))


def _export_transformer(src: Path, out: Path) -> None:
    """torch.onnx (TorchScript exporter) of the BERT body; heavy imports stay in here."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:  # eager attention traces to plain MatMul/Softmax ops that every runtime knows
        model = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    finally:
        if bar:
            hf_logging.enable_progress_bar()

    class _Body(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    body = _Body(model).eval()  # the exporter restores the wrapper's mode: keep it eval
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 2023, 2003, 1037, 3231, 102]], dtype=torch.long)
    mask = (ids != 0).long()
    axes = {n: {0: "batch", 1: "sequence"} for n in (*INPUT_NAMES, OUTPUT_NAME)}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings and the legacy-exporter notice
        torch.onnx.export(
            body,
            (ids, mask, torch.zeros_like(ids)),
            str(out),
            dynamo=False,
            opset_version=OPSET,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            do_constant_folding=True,
        )
    _verify_export(out, model)


def _verify_export(path: Path, model) -> None:
    """Run the exported graph on a batch of another shape than the trace; it must match torch."""
    import onnxruntime as ort
    import torch

    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 29000, (3, 37), generator=gen)
    ids[:, 0], ids[0, 20], ids[0, 21:], ids[1, -1] = 101, 102, 0, 102
    mask, types = (ids != 0).long(), torch.zeros_like(ids)
    model.eval()
    with torch.no_grad():
        ref = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state.numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(
        [OUTPUT_NAME],
        {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()},
    )[0]
    keep = mask.numpy().astype(bool)
    err = float(np.abs(got - ref)[keep].max())
    if got.shape != ref.shape or not err < 1e-3:
        raise RuntimeError(f"exported ONNX model disagrees with torch (max abs error {err:.2g})")


def _quantize(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = _DropRecords("onnxruntime")  # it logs INFO/WARNING chatter through the root logger
    logging.getLogger().addFilter(quiet)
    try:
        with atomic_path(out) as tmp:
            # per-channel int8 weights on the MatMuls only: per-tensor scales cost this model ~0.1
            # of cosine on some inputs, and quantising the embedding Gathers buys size, not speed
            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
    finally:
        logging.getLogger().removeFilter(quiet)


class _DropRecords(logging.Filter):
    def __init__(self, path_part: str):
        super().__init__()
        self.path_part = path_part

    def filter(self, record: logging.LogRecord) -> bool:
        return self.path_part not in record.pathname or record.levelno >= logging.ERROR


def _fill_export_dir(src: Path, dest: Path, quantize: bool) -> dict[str, Any]:
    """Write a complete export into the (temporary) folder ``dest``; return its metadata."""
    t0 = time.perf_counter()
    digest = source_hash(src)
    _export_transformer(src, dest / MODEL_FILE)
    shutil.copyfile(src / TOKENIZER_FILE, dest / TOKENIZER_FILE)
    if quantize:
        _quantize(dest / MODEL_FILE, dest / INT8_FILE)
    import torch

    meta = {
        "model_name": MODEL_NAME,
        "dim": DIM,
        "export_version": EXPORT_VERSION,
        "opset": OPSET,
        "inputs": list(INPUT_NAMES),
        "output": OUTPUT_NAME,
        "source_hash": digest,
        "source_stat": _stat_signature(src),
        "torch": torch.__version__,
        "quantized": quantize,
        "model_bytes": (dest / MODEL_FILE).stat().st_size,  # a truncated copy shows on open
        "export_seconds": round(time.perf_counter() - t0, 2),
        **_pooling_config(src),
    }
    _write_json_atomic(dest / META_FILE, meta)
    return meta


@contextlib.contextmanager
def _export_lock(home: Path) -> Iterator[bool]:
    """Serialise exports into one home across processes; yields whether the lock is exclusive."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield False
        return
    with open(home / _LOCK_FILE, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _strays(home: Path) -> list[Path]:
    try:
        return [p for p in home.iterdir() if p.name.startswith((_TMP_PREFIX, _OLD_PREFIX))]
    except OSError:
        return []


def _clean_strays(home: Path, exclusive: bool) -> None:
    """Remove temp/old folders a killed export left behind (all of them when we hold the lock)."""
    now = time.time()
    for p in _strays(home):
        try:
            if exclusive or now - p.stat().st_mtime > _STRAY_AGE:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


def _swap_in(home: Path, tmp: Path) -> None:
    final = onnx_dir(home)
    old = None
    if final.exists():
        old = home / f"{_OLD_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_export(home: Path) -> None:
    final = onnx_dir(home)
    if final.exists():
        old = home / f"{_OLD_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        os.replace(final, old)
        shutil.rmtree(old, ignore_errors=True)


def _missing_export_deps() -> list[str]:
    from importlib.util import find_spec

    return [m for m in ("torch", "transformers", "onnx") if find_spec(m) is None]


def _export_locked(home: Path, src: Path, quantize: bool, exclusive: bool) -> dict[str, Any]:
    _clean_strays(home, exclusive)
    tmp = home / f"{_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        meta = _fill_export_dir(src, tmp, quantize)
        _swap_in(home, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported ONNX encoder to %s in %.1fs", onnx_dir(home), meta["export_seconds"])
    return meta


def export_onnx(home: Path | str, quantize: bool = False) -> Path:
    """Export the packaged weights to ``<home>/onnx`` (replacing any export there); return model.onnx.

    Needs torch, transformers and onnx; reads only the local weights.
    """
    home = Path(home)
    missing = _missing_export_deps()
    if missing:
        raise ImportError(f"exporting the ONNX encoder needs {', '.join(missing)}")
    src = _source_dir()
    home.mkdir(parents=True, exist_ok=True)
    with _export_lock(home) as exclusive:
        _export_locked(home, src, quantize, exclusive)
    return onnx_model_file(home)


def quantize_onnx(home: Path | str) -> Path:
    """Add ``model.int8.onnx`` (dynamic int8) beside an existing export; return its path."""
    home = Path(home)
    fp32 = onnx_model_file(home)
    if not fp32.exists():
        raise FileNotFoundError(f"no ONNX export under {onnx_dir(home)}; run export_onnx first")
    with _export_lock(home):
        out = onnx_int8_file(home)
        _quantize(fp32, out)
        meta = read_meta(home)
        if meta:
            _write_json_atomic(onnx_dir(home) / META_FILE, meta | {"quantized": True})
    return out


def is_fresh(home: Path | str, src: Path | None = None) -> bool:
    """True when a complete export exists and was made from the current source weights."""
    home = Path(home)
    d = onnx_dir(home)
    if not all((d / f).exists() for f in (MODEL_FILE, TOKENIZER_FILE, META_FILE)):
        return False
    meta = read_meta(home)
    if meta.get("export_version") != EXPORT_VERSION or meta.get("model_name") != MODEL_NAME:
        return False
    if model_damage(home):
        return False
    src = Path(src) if src is not None else _source_dir()
    try:
        if meta.get("source_stat") == _stat_signature(src):
            return True  # same files, same sizes and mtimes: skip hashing 90 MB
        if meta.get("source_hash") != source_hash(src):
            return False
    except OSError:
        return False
    # same content, touched files (e.g. a reinstall): remember the new stat signature
    with contextlib.suppress(OSError):
        _write_json_atomic(d / META_FILE, meta | {"source_stat": _stat_signature(src)})
    return True


def model_damage(home: Path | str, load: bool = False) -> str | None:
    """Why the exported fp32 model cannot be used (None when it looks fine or is absent).

    Cheap: its size against the one recorded at export; with ``load``, also open a session.
    """
    f = onnx_model_file(home)
    if not f.exists():
        return None
    want = read_meta(home).get("model_bytes")
    if isinstance(want, int) and f.stat().st_size != want:
        return f"the ONNX model {f} is damaged ({f.stat().st_size} bytes, {want} written)"
    if load:
        try:
            import onnxruntime as ort

            ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])
        except ImportError:
            return None
        except Exception as exc:
            return f"the ONNX model {f} cannot be loaded ({exc.__class__.__name__})"
    return None


def ensure_exported(home: Path | str, quantize: bool = False, force: bool = False) -> bool:
    """Export if missing, stale or damaged (``force``: it failed to load); True when a usable
    (current) ONNX model exists afterwards.

    A stale export (other weights, older recipe) is removed before re-exporting, so that if the
    export cannot run (torch or onnx missing) queries fall back to sentence-transformers rather
    than use a model that disagrees with the index.
    """
    home = Path(home)
    try:
        src = _source_dir()
        _source_files(src)
    except (ImportError, FileNotFoundError) as exc:  # cannot check or export: trust what is there
        log.warning("source weights unavailable (%s)", exc)
        return onnx_model_file(home).exists()
    if force or not is_fresh(home, src):
        home.mkdir(parents=True, exist_ok=True)
        with _export_lock(home) as exclusive:
            # another process may have exported meanwhile
            if (force or not is_fresh(home, src)) and not _reexport(home, src, quantize, exclusive):
                return False
    elif _strays(home):  # a killed export left its temp folder: tidy up, the model is fine
        with _export_lock(home) as exclusive:
            _clean_strays(home, exclusive)
    if quantize and not onnx_int8_file(home).exists():
        quantize_onnx(home)
    return onnx_model_file(home).exists()


def _reexport(home: Path, src: Path, quantize: bool, exclusive: bool) -> bool:
    if onnx_dir(home).exists():
        log.info("ONNX export under %s is stale or damaged; removing it", onnx_dir(home))
        _remove_export(home)
    missing = _missing_export_deps()
    if missing:
        log.warning(
            "cannot export the ONNX encoder (needs %s); using sentence-transformers", ", ".join(missing)
        )
        return False
    _export_locked(home, src, quantize, exclusive)
    return True


# -- inference ---------------------------------------------------------------------------------
POOLING_MODES = ("pooling_mode_mean_tokens", "pooling_mode_cls_token", "pooling_mode_max_tokens")
UNSUPPORTED_POOLING = (
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
)


def _pooling_mode(pooling: dict[str, Any]) -> str:
    modes = [k for k in POOLING_MODES if pooling.get(k)]
    if len(modes) != 1 or any(pooling.get(k) for k in UNSUPPORTED_POOLING):
        raise ValueError(f"unsupported pooling config {pooling}")
    return modes[0]


def _tokenizer(path: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_length=max_length)
    pad = tok.padding or {"pad_id": tok.token_to_id("[PAD]") or 0, "pad_token": "[PAD]", "pad_type_id": 0}
    tok.enable_padding(
        pad_id=pad["pad_id"], pad_token=pad["pad_token"], pad_type_id=pad.get("pad_type_id", 0)
    )
    return tok  # pads to the longest in the batch


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "pooling_mode_cls_token":
        vecs = hidden[:, 0]
    elif mode == "pooling_mode_max_tokens":
        vecs = np.where(mask[..., None] > 0, hidden, -1e9).max(axis=1)
    else:
        m = mask[..., None].astype(np.float32)
        vecs = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.clip(norms, 1e-12, None)).astype(np.float32)


class OnnxEmbeddings(EncoderBase):
    """all-MiniLM-L6-v2 through onnxruntime: same vectors as sentence-transformers, no torch.

    A damaged model file (truncated, garbage) is detected when it is opened: this process then
    encodes with sentence-transformers (same model, same vectors), says so once in the log, and
    ``failure`` tells the store to re-export at the next ``rag index``.
    """

    backend = "onnx"
    name = MODEL_NAME  # same model name, so an index built with sentence-transformers is reused

    def __init__(
        self,
        home: Path | str = Path(".rag"),
        batch_size: int = 32,
        progress: Callable[[int, int], None] | None = None,
        *,
        quantized: bool = False,
        threads: int | None = None,
    ):
        super().__init__(batch_size, progress)
        self.home = Path(home)
        self.quantized = quantized
        if quantized:  # different vectors: an index built with them must not be reused by the fp32 model
            self.name = f"{MODEL_NAME}-int8"
        self.threads = threads or os.cpu_count() or 1
        self.model_file = onnx_int8_file(self.home) if quantized else onnx_model_file(self.home)
        if not self.model_file.exists():
            raise FileNotFoundError(f"no ONNX model at {self.model_file}")
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: set[str] = set()
        self._fallback: SentenceTransformerEmbeddings | None = None
        self.failure: str | None = None  # why the model could not be opened, if it could not
        self._load_lock = threading.Lock()
        meta = read_meta(self.home)
        if meta.get("model_name", MODEL_NAME) != MODEL_NAME:
            log.warning("ONNX export under %s is %r, not %r", self.home, meta.get("model_name"), MODEL_NAME)
        self.max_seq_length = int(meta.get("max_seq_length") or 256)
        self.pooling = _pooling_mode(meta.get("pooling") or {"pooling_mode_mean_tokens": True})
        if not quantized:
            self._fail_if(model_damage(self.home))

    def _fail_if(self, reason: str | None) -> None:
        if reason and self.failure is None:
            self.failure = reason
            self._fallback = SentenceTransformerEmbeddings(self.batch_size)
            self.backend = "sentence-transformers (ONNX model damaged)"
            log.warning("%s; using sentence-transformers in this process; `rag index` re-exports it", reason)

    def load(self) -> OnnxEmbeddings:
        """Open the session and tokenizer now (otherwise done on first use)."""
        with self._load_lock:
            if self._session is None and self._fallback is None:
                try:
                    tok = _tokenizer(self.model_file.parent / TOKENIZER_FILE, self.max_seq_length)
                    sess = _session(self.model_file, self.threads)
                except ImportError:
                    raise
                except Exception as exc:  # a truncated or garbage file: onnxruntime's parse error
                    if self.quantized:
                        raise
                    self._fail_if(
                        f"the ONNX model {self.model_file} cannot be loaded ({exc.__class__.__name__})"
                    )
                    return self
                self._inputs = {i.name for i in sess.get_inputs()}
                self._tokenizer, self._session = tok, sess
        return self

    def health(self) -> str | None:
        """Open the model if not yet done; why it cannot be used (None when it works)."""
        self.load()
        return self.failure

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if self._session is None:
            self.load()
        if self._fallback is not None:
            return self._fallback._encode(texts)
        encs = self._tokenizer.encode_batch([str(t) for t in texts])
        ids = np.asarray([e.ids for e in encs], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encs], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.asarray([e.type_ids for e in encs], dtype=np.int64)
        return _pool(self._session.run([OUTPUT_NAME], feed)[0], mask, self.pooling)

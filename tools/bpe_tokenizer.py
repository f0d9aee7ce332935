#!/usr/bin/python3
"""Byte-level BPE tokenizer (GPT-2 style) for the demo models: pre-tokenizer, trainer, encoder.

Why it exists: the built-in demo model pair needs its own vocabulary, trained on the same corpus
as the models, and the engine must tokenize text exactly as training did. The engine reads the
vocabulary from the GGUF (tokenizer.ggml.model = "gpt2", tokenizer.ggml.pre = "gpt-2") and
pre-tokenizes with GPT-2's ByteLevel regex

    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+

(the final |\\s+ only ever takes a single whitespace character the other branches leave, so it
changes nothing about the split). Debian's Python has no `regex` module, so the Unicode classes are
spelled out here as explicit code point ranges built from `unicodedata` (Unicode 14.0 in Python
3.11, the same version as Debian 12's PCRE2 10.42):
  \\p{L}  general category L*           \\p{N}  general category N*
  \\s     TAB..CR, U+0085 and category Z* (Oniguruma's Unicode \\s, which Hugging Face's tokenizers
         use and the engine spells out for PCRE2).
Python's `re` then runs the same alternation with the same leftmost-first backtracking semantics.

Bytes map to printable characters with GPT-2's reversible table (bytes_to_unicode); token strings
and merges are stored in that mapped form, as GGUF files do.

Training (train_bpe): count unique pre-token words with frequencies, then repeatedly merge the most
frequent adjacent pair (ties: the pair whose token ids are smallest), updating pair counts
incrementally only in the words that contain the merged pair (an index pair -> words), with a
lazy max-heap. Encoding (Tokenizer.encode) is standard rank-based BPE: within each pre-token,
repeatedly merge the adjacent pair with the lowest merge rank.

JSON format (save/load): {"format": "q8chat-bpe-1", "tokens": [...], "merges": ["a b", ...],
"specials": {"<|endoftext|>": id, ...}, "pre": "gpt-2", ...}. "pre" is informative only; files
written before it was "gpt-2" say "default" and load the same.
"""
from __future__ import annotations

import heapq
import json
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

# The tokenizer.ggml.pre name of the split above. Not "default": GGUF readers (llama.cpp, and
# the engine) take that to mean a different split sequence, which cuts off punctuation and digit
# groups before GPT-2's regex runs.
GGUF_PRE = "gpt-2"

SPECIAL_TOKENS = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"]


# ----------------------------------------------------------------------------------------------
# GPT-2 byte <-> unicode table
# ----------------------------------------------------------------------------------------------

def bytes_to_unicode() -> dict[int, str]:
    """Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 bytes
    map to U+0100, U+0101, ... in byte order."""
    keep = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


BYTE_TO_UNI = bytes_to_unicode()
UNI_TO_BYTE = {u: b for b, u in BYTE_TO_UNI.items()}


def token_bytes(token: str) -> bytes:
    return bytes(UNI_TO_BYTE[c] for c in token)


# ----------------------------------------------------------------------------------------------
# Pre-tokenizer: GPT-2's regex with explicit Unicode classes
# ----------------------------------------------------------------------------------------------

def _class_ranges(pred) -> str:
    """A regex character-class body listing every code point satisfying pred as ranges."""
    parts = []
    start = prev = None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:   # surrogates never occur in decoded text and are not L/N/Z
            ok = False
        else:
            ok = pred(cp)
        if ok:
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            parts.append((start, prev))
            start = None
    if start is not None:
        parts.append((start, prev))

    def esc(cp: int) -> str:
        return "\\U%08x" % cp

    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in parts)


@lru_cache(maxsize=1)
def gpt2_pattern() -> re.Pattern:
    cat = unicodedata.category
    letters = _class_ranges(lambda cp: cat(chr(cp)).startswith("L"))
    numbers = _class_ranges(lambda cp: cat(chr(cp)).startswith("N"))
    spaces = "\\t-\\r\\x85" + _class_ranges(lambda cp: cat(chr(cp)).startswith("Z"))
    L, N, S, NS = f"[{letters}]", f"[{numbers}]", f"[{spaces}]", f"[^{spaces}]"
    pat = (f"'s|'t|'re|'ve|'m|'ll|'d| ?{L}+| ?{N}+| ?[^{spaces}{letters}{numbers}]+"
           f"|{S}+(?!{NS})|{S}+")
    return re.compile(pat)


def pre_tokenize(text: str) -> list[str]:
    """The GPT-2 pre-token pieces of `text` (they concatenate back to `text`)."""
    return gpt2_pattern().findall(text)


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------

def word_counts(texts) -> Counter:
    c: Counter = Counter()
    for t in texts:
        c.update(pre_tokenize(t))
    return c


def train_bpe(counts: Counter, vocab_size: int, specials=SPECIAL_TOKENS, log=print) -> dict:
    """Learn merges until 256 byte tokens + merged tokens + specials == vocab_size."""
    n_target = vocab_size - len(specials)
    if n_target <= 256:
        raise ValueError("vocab_size too small")
    tokens = [BYTE_TO_UNI[b] for b in range(256)]
    tok_id = {t: i for i, t in enumerate(tokens)}
    merges: list[tuple[int, int]] = []

    # Words as lists of token ids; iterate in a fixed order (sorted by the word string).
    items = sorted(counts.items())
    words = [[BYTE_TO_UNI[b] for b in w.encode("utf-8")] for w, _ in items]
    words = [[tok_id[c] for c in w] for w in words]
    freqs = [c for _, c in items]

    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    pair_words: dict[tuple[int, int], set[int]] = defaultdict(set)
    for wi, w in enumerate(words):
        f = freqs[wi]
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += f
            pair_words[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    while len(tokens) < n_target and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_count.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:      # stale entry: re-push with the current count
            heapq.heappush(heap, (-cur, pair))
            continue
        a, b = pair
        merged_str = tokens[a] + tokens[b]
        new_id = tok_id.get(merged_str)
        if new_id is None:
            new_id = len(tokens)
            tokens.append(merged_str)
            tok_id[merged_str] = new_id
        merges.append(pair)
        changed: dict[tuple[int, int], int] = defaultdict(int)
        for wi in list(pair_words.get(pair, ())):
            w = words[wi]
            f = freqs[wi]
            # remove old pair counts of this word
            for x, y in zip(w, w[1:]):
                changed[(x, y)] -= f
            out = []
            i = 0
            n = len(w)
            while i < n:
                if i + 1 < n and w[i] == a and w[i + 1] == b:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[wi] = out
            for x, y in zip(out, out[1:]):
                changed[(x, y)] += f
            old_pairs = set(zip(w, w[1:]))
            new_pairs = set(zip(out, out[1:]))
            for p in old_pairs - new_pairs:
                pair_words[p].discard(wi)
            for p in new_pairs - old_pairs:
                pair_words[p].add(wi)
        for p, d in changed.items():
            if d == 0:
                continue
            pair_count[p] += d
            if pair_count[p] > 0:
                heapq.heappush(heap, (-pair_count[p], p))
            else:
                pair_count.pop(p, None)
        pair_count.pop(pair, None)
        pair_words.pop(pair, None)
        if len(merges) % 1000 == 0:
            log(f"  {len(merges)} merges, vocab {len(tokens)}, last {merged_str!r} x{cur}")

    if len(tokens) < n_target:
        raise ValueError(f"corpus supports only {len(tokens)} tokens, {n_target} requested")
    spec = {}
    for s in specials:
        spec[s] = len(tokens)
        tokens.append(s)
    return {
        "format": "q8chat-bpe-1",
        "pre": GGUF_PRE,
        "tokens": tokens,
        "merges": [f"{tokens[x]} {tokens[y]}" for x, y in merges],
        "specials": spec,
    }


# ----------------------------------------------------------------------------------------------
# Encoding / decoding
# ----------------------------------------------------------------------------------------------

class Tokenizer:
    def __init__(self, data: dict):
        self.data = data
        self.tokens: list[str] = data["tokens"]
        self.tok_id = {t: i for i, t in enumerate(self.tokens)}
        self.specials: dict[str, int] = data["specials"]
        self.ranks: dict[tuple[str, str], int] = {}
        for r, m in enumerate(data["merges"]):
            a, b = m.split(" ")
            self.ranks.setdefault((a, b), r)
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def load(cls, path: str) -> "Tokenizer":
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def eot(self) -> int:
        return self.specials["<|endoftext|>"]

    def _bpe(self, word: str) -> list[int]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        syms = [BYTE_TO_UNI[b] for b in word.encode("utf-8")]
        ranks = self.ranks
        while len(syms) > 1:
            best = None
            best_rank = None
            for i in range(len(syms) - 1):
                r = ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best = r, i
            if best is None:
                break
            a, b = syms[best], syms[best + 1]
            # merge every occurrence of this pair, left to right
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        ids = [self.tok_id[s] for s in syms]
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Plain text (special-token strings are NOT recognised; they encode as bytes)."""
        out: list[int] = []
        for piece in pre_tokenize(text):
            out.extend(self._bpe(piece))
        return out

    def decode_bytes(self, ids) -> bytes:
        inv = {v: k for k, v in self.specials.items()}
        return b"".join(inv[i].encode() if i in inv else token_bytes(self.tokens[i]) for i in ids)

    def decode(self, ids) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


def save_json(data: dict, path: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=0)
    os.replace(tmp, path)


if __name__ == "__main__":
    # Quick manual check: print the pieces and ids of a string.
    tok = Tokenizer.load(sys.argv[1])
    text = sys.argv[2]
    print(pre_tokenize(text))
    print(tok.encode(text))

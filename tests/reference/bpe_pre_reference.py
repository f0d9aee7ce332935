#!/usr/bin/python3
"""Byte-level BPE test vectors for the pre-tokenizers "default" and "gpt-2", from a hand-written
reference.

Why it exists: GGUF files that say tokenizer.ggml.pre = "default" are tokenized by llama.cpp with
its fallback split sequence, which is not GPT-2's regex. No tokenizer.json describes that
sequence, so there are no Hugging Face vectors for it; this script computes them independently of
the engine (no regex engine at all: each split rule is a scanner over Unicode categories from
`unicodedata`), and writes a small vocabulary-only GGUF to run them on.

The "default" sequence, each step applied to every piece of the previous one, keeping both its
matches and the text between them:
  1. [\\p{P}$+<=>^|~]+        runs of punctuation and those ASCII symbols
  2. GPT-2's ByteLevel regex   's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
  3. \\p{N}+                   runs of numeric characters
  4. [0-9][0-9][0-9]          groups of three ASCII digits, left to right
"gpt-2" is step 2 alone. \\s is TAB..CR, U+0085 and the Z categories (llama.cpp's and
Oniguruma's whitespace).

The vocabulary: the 256 byte tokens of GPT-2's byte-to-unicode table, merges learned here on a
small built-in corpus and the test strings, split the GPT-2 way (as the demo models' vocabulary
was), and <|endoftext|>. Because the merges follow GPT-2's split, text split the "default" way encodes
differently (e.g. " (" or "'t" or "2024" stop being one token), which is what the test needs.

Writes into --out:
  vocab-default.gguf                 tokenizer.ggml.model = gpt2, tokenizer.ggml.pre = default
  default.inp / default.out          the strings and their ids under "default"
  gpt-2.inp / gpt-2.out              the same strings and their ids under "gpt-2"
in llama.cpp's test-tokenizer-0 format (strings each followed by "\\n__ggml_vocab_test__\\n";
one line of space-separated ids per string).
"""
from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402

SEPARATOR = "\n__ggml_vocab_test__\n"
N_MERGES = 400

# Strings where the two pre-tokenizers disagree (punctuation runs next to words and spaces, digit
# groups, apostrophes) and where they agree (words, whitespace runs, letters of other scripts).
TEST_STRINGS = [
    "a...b",
    "x+=1;",
    "<=>",
    "12345678",
    "3.14159",
    "value = 2024 + 12345678",
    "don't you'll we've I'm it's they'd we're",
    "DON'T Can't",
    "hello  world\t\ttabs\n\n\nnewlines   ",
    "   leading spaces",
    "if (x == y) { return [a, b]; }",
    "def f(a, b):\n    return a ** b // 3",
    "print(\"Hello, world!\")  # comment",
    "email@example.com $100 ^caret ~tilde |pipe `tick`",
    "caf\u00e9 na\u00efve \u00fcber stra\u00dfe",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u4f60\u597d\u4e16\u754c\u3002\u6d4b\u8bd5",
    "\u00a1Hola! \u00bfQu\u00e9 tal?",
    "\u2014dash\u2014 \u201cquotes\u201d \u2026ellipsis",
    "\u0663\u0664\u0665 \u2167 \u00bd half",
    "non\u00a0breaking\u3000ideographic\u2028line",
    "tabs\tand\u0085next",
    "a--b__c..d!!e??f",
    "1,000,000.00 and 0x1F",
    "   ",
    "x",
]

# Text the merges are learned from: Python-like code and prose, so common pairs merge.
TRAIN_TEXT = """
def fibonacci(n):
    \"\"\"Return the n-th Fibonacci number.\"\"\"
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __repr__(self):
        return f"Point({self.x}, {self.y})"

for i in range(2024):
    total += i * 12345678 // 1000
print("Hello, world!")  # don't print twice; it's fine, we'll see, they've said
values = [3.14159, 2.71828, 1.41421, 100, 2000, 30000]
if x == y and y != z or a <= b >= c:
    result = {"key": "value", 'other': None}
The quick brown fox jumps over the lazy dog. It's what we've done and what they'd do.
Caf\u00e9 na\u00efve \u00fcber stra\u00dfe. \u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440. \u4f60\u597d\u4e16\u754c\u3002
"""

WHITESPACE_EXTRA = {0x85}
PUNCT_EXTRA = set("$+<=>^|~")
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]


def is_space(c: str) -> bool:
    o = ord(c)
    return 0x09 <= o <= 0x0D or o in WHITESPACE_EXTRA or unicodedata.category(c).startswith("Z")


def is_letter(c: str) -> bool:
    return unicodedata.category(c).startswith("L")


def is_number(c: str) -> bool:
    return unicodedata.category(c).startswith("N")


def is_punct(c: str) -> bool:
    return unicodedata.category(c).startswith("P") or c in PUNCT_EXTRA


def is_other(c: str) -> bool:
    return not (is_space(c) or is_letter(c) or is_number(c))


def runs(piece: str, pred) -> list[str]:
    """Maximal runs where `pred` holds, and the text between them."""
    out, start = [], 0
    for i in range(1, len(piece) + 1):
        if i == len(piece) or pred(piece[i]) != pred(piece[start]):
            out.append(piece[start:i])
            start = i
    return out


def run_end(s: str, i: int, pred) -> int:
    while i < len(s) and pred(s[i]):
        i += 1
    return i


def gpt2_match_len(s: str, i: int) -> int:
    """Length of GPT-2's regex match at i: the first alternative that matches wins."""
    for c in CONTRACTIONS:
        if s.startswith(c, i):
            return len(c)
    space = 1 if s[i] == " " and i + 1 < len(s) else 0
    for pred in (is_letter, is_number, is_other):
        if space and pred(s[i + 1]):
            return run_end(s, i + 1, pred) - i
        if pred(s[i]):
            return run_end(s, i, pred) - i
    # Whitespace: \s+(?!\S) keeps the run's last character for the word after it, unless the run
    # ends the piece or has only one character (then \s+ takes that one).
    end = run_end(s, i, is_space)
    if end == len(s) or end - i == 1:
        return end - i
    return end - i - 1


def gpt2_split(piece: str) -> list[str]:
    out, i = [], 0
    while i < len(piece):
        n = gpt2_match_len(piece, i)
        out.append(piece[i:i + n])
        i += n
    return out


def three_digit_split(piece: str) -> list[str]:
    out, last, i = [], 0, 0
    while i + 3 <= len(piece):
        if all("0" <= c <= "9" for c in piece[i:i + 3]):
            if i > last:
                out.append(piece[last:i])
            out.append(piece[i:i + 3])
            i = last = i + 3
        else:
            i += 1
    if last < len(piece):
        out.append(piece[last:])
    return out


def pre_split(text: str, pre: str) -> list[str]:
    if pre == "gpt-2":
        steps = [gpt2_split]
    elif pre == "default":
        steps = [lambda p: runs(p, is_punct), gpt2_split, lambda p: runs(p, is_number), three_digit_split]
    else:
        raise ValueError(pre)
    pieces = [text] if text else []
    for step in steps:
        pieces = [q for p in pieces for q in step(p)]
    assert "".join(pieces) == text
    return pieces


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable Latin-1 bytes stand for themselves, the other 68 bytes for
    U+0100.. in byte order."""
    keep = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHARS = bytes_to_unicode()


def symbols(piece: str) -> list[str]:
    return [BYTE_CHARS[b] for b in piece.encode("utf-8")]


def learn_merges(text: str, n: int) -> list[tuple[str, str]]:
    """Plain BPE training: merge the most frequent adjacent pair, ties to the smaller pair."""
    words = Counter(tuple(symbols(p)) for p in pre_split(text, "gpt-2"))
    merges = []
    for _ in range(n):
        pairs = Counter()
        for w, f in words.items():
            for a, b in zip(w, w[1:]):
                pairs[a, b] += f
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = Counter()
        for w, f in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += f
        words = merged
    return merges


def bpe(piece: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """Rank-based BPE: merge the lowest-ranked adjacent pair (leftmost first) until none is left."""
    syms = symbols(piece)
    while len(syms) > 1:
        best = min(range(len(syms) - 1), key=lambda i: (ranks.get((syms[i], syms[i + 1]), len(ranks)), i))
        if (syms[best], syms[best + 1]) not in ranks:
            break
        syms[best:best + 2] = [syms[best] + syms[best + 1]]
    return syms


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to write into")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    merges = learn_merges(TRAIN_TEXT + "\n".join(TEST_STRINGS * 2), N_MERGES)
    tokens = [BYTE_CHARS[b] for b in range(256)]
    for a, b in merges:
        if a + b not in tokens:
            tokens.append(a + b)
    tokens.append("<|endoftext|>")
    ids = {t: i for i, t in enumerate(tokens)}
    ranks = {m: r for r, m in enumerate(merges)}

    w = gw.GGUFWriter(os.path.join(args.out, "vocab-default.gguf"))
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", "bpe-pre-reference")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "default")
    w.add_array("tokenizer.ggml.tokens", gw.STRING, tokens)
    w.add_array("tokenizer.ggml.token_type", gw.INT32, [1] * (len(tokens) - 1) + [3])
    w.add_array("tokenizer.ggml.merges", gw.STRING, [f"{a} {b}" for a, b in merges])
    w.add_u32("tokenizer.ggml.bos_token_id", len(tokens) - 1)
    w.add_u32("tokenizer.ggml.eos_token_id", len(tokens) - 1)
    w.write()

    for pre in ("default", "gpt-2"):
        with open(os.path.join(args.out, pre + ".inp"), "w", encoding="utf-8", newline="") as f:
            f.write("".join(s + SEPARATOR for s in TEST_STRINGS))
        with open(os.path.join(args.out, pre + ".out"), "w", encoding="utf-8", newline="") as f:
            for s in TEST_STRINGS:
                f.write(" ".join(str(ids[t]) for p in pre_split(s, pre) for t in bpe(p, ranks)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
